"""CSV and XLSX downloads for any list or report: one helper so every export looks the same.

`export_response(filename, columns, rows, fmt)` where `columns` is a list of `(header, getter)`
pairs (a getter is a callable taking a row) and `fmt` is "csv" or "xlsx". CSV is UTF-8 with a BOM
so Excel opens Persian text correctly; dates are written in Jalali.
"""
from __future__ import annotations

import csv
import datetime as dt
import io

from flask import Response
from openpyxl import Workbook

from core.jalali import format_date, format_datetime

FORMATS = ("csv", "xlsx")


def _cell(value):
    if isinstance(value, dt.datetime):
        return format_datetime(value, digits="en")
    if isinstance(value, dt.date):
        return format_date(value, digits="en")
    return "" if value is None else value


def export_response(filename: str, columns, rows, fmt: str = "csv") -> Response:
    if fmt not in FORMATS:
        fmt = "csv"
    headers = [h for h, _ in columns]
    table = ([_cell(get(row)) for _, get in columns] for row in rows)
    if fmt == "xlsx":
        wb = Workbook(write_only=True)
        ws = wb.create_sheet()
        ws.sheet_view.rightToLeft = True
        ws.append(headers)
        for line in table:
            ws.append(line)
        out = io.BytesIO()
        wb.save(out)
        body, mimetype = out.getvalue(), "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(headers)
        writer.writerows(table)
        body, mimetype = "\ufeff" + out.getvalue(), "text/csv; charset=utf-8"
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = f"attachment; filename={filename}.{fmt}"
    return response
