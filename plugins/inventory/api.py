"""The inventory's JSON API under /api/v1/inventory: the same services, permissions and Persian
refusals as the warehouse screens.

A refusal — bad input, more than reserved, two orders on one slip, fewer units than reserved,
the same warehouse twice — is a 422 whose `message` (or `fields`) is the reason in Persian, and
nothing is written. Quantities are whole units."""
from __future__ import annotations

import datetime as dt
import re

from apiflask import APIBlueprint, Schema, abort
from apiflask.fields import Boolean, DateTime, Integer, List, Nested, String
from apiflask.validators import Length, OneOf, Range
from flask_login import current_user

from core.access import permission_required
from core.api import page_schema, protect
from core.db import db
from core.jalali import JalaliDateError, parse_date
from core.validation import ValidationError
from plugins.inventory.models import MOVE_KINDS, Warehouse
from plugins.inventory.services import ledger, queries
from plugins.inventory.services import reservations as reservation_service
from plugins.inventory.services import warehouses as warehouse_service

api_bp = protect(APIBlueprint("inventory_api", __name__, url_prefix="/inventory", tag="Inventory"))

DATE_HELP = {"description": "Jalali (1403/05/12) or ISO (2024-08-02), a Tehran day"}
_ISO = re.compile(r"^\s*(19|20)\d\d-\d\d?-\d\d?\s*$")


# --- schemas ------------------------------------------------------------------------------------

class WarehouseOut(Schema):
    id = Integer()
    name = String()
    code = String()
    office_id = Integer(allow_none=True)
    active = Boolean()


class WarehouseIn(Schema):
    name = String(required=True)
    code = String(required=True)
    office_id = Integer(load_default=None, allow_none=True)
    active = Boolean(load_default=True)


class SettingIn(Schema):
    reorder_level = Integer(metadata={"description": "units; low stock is available ≤ this"})
    tracked = Boolean(metadata={"description": "false for services and licences: their order lines reserve nothing"})


class SettingOut(Schema):
    product_id = Integer()
    reorder_level = Integer()
    tracked = Boolean()


class StockQuery(Schema):
    q = String(load_default="", metadata={"description": "code or name (normalised Persian)"})
    warehouse_id = Integer(load_default=None, allow_none=True)
    low = Boolean(load_default=False, metadata={"description": "only rows whose available units ≤ the reorder level"})
    per = String(load_default="warehouse", validate=OneOf(["warehouse", "product"]),
                 metadata={"description": "one row per product and warehouse, or per product (summed)"})
    sort = String(load_default="code", validate=OneOf(list(queries.STOCK_SORTS) + [f"-{s}" for s in queries.STOCK_SORTS]))
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=50, validate=Range(min=1, max=500))


class StockOut(Schema):
    product_id = Integer(attribute="product.id")
    product_code = String(attribute="product.code")
    product_name = String(attribute="product.name")
    unit = String(attribute="product.unit")
    warehouse_id = Integer(allow_none=True, metadata={"description": "null in rows per product"})
    warehouse_name = String(allow_none=True)
    on_hand = Integer()
    reserved = Integer()
    available = Integer()
    reorder_level = Integer(attribute="reorder")
    level = String(metadata={"description": "out | low | ok"})


class AvailabilityQuery(Schema):
    product_ids = String(required=True, metadata={"description": "comma-separated product ids"})
    office_id = Integer(load_default=None, allow_none=True, metadata={"description": "its warehouses are named first"})


class AvailabilityOut(Schema):
    product_id = Integer()
    available = Integer()
    label = String()


class ReservationQuery(Schema):
    warehouse_id = Integer(load_default=None, allow_none=True)
    order_ref = String(load_default=None, allow_none=True, metadata={"description": "e.g. crm.order:42"})
    product_id = Integer(load_default=None, allow_none=True)
    open = Boolean(load_default=True, metadata={"description": "only those still waiting to be issued"})
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=50, validate=Range(min=1, max=500))


class ReservationOut(Schema):
    id = Integer()
    order_ref = String()
    order_number = Integer()
    party_id = Integer(metadata={"description": "the customer (core parties.id)"})
    product_id = Integer()
    product_code = String(attribute="product.code")
    product_name = String(attribute="product.name")
    warehouse_id = Integer()
    quantity = Integer()
    issued = Integer()
    released = Integer()
    remaining = Integer()
    status = String(metadata={"description": "open | partly_issued | issued | released"})
    created_at = DateTime()


class IssueLineIn(Schema):
    reservation_id = Integer(required=True)
    quantity = Integer(required=True, metadata={"description": "units to issue now (≤ what remains reserved)"})


class IssueIn(Schema):
    order_ref = String(load_default=None, allow_none=True,
                       metadata={"description": "optional: refuse lines of any other order"})
    warehouse_id = Integer(load_default=None, allow_none=True)
    lines = List(Nested(IssueLineIn), required=True)
    notes = String(load_default="", validate=Length(max=400))


class SlipLineOut(Schema):
    product_id = Integer(attribute="product.id")
    product_code = String(attribute="product.code")
    product_name = String(attribute="product.name")
    unit = String(attribute="product.unit")
    quantity = Integer()


class SlipOut(Schema):
    id = Integer()
    number = Integer()
    warehouse_id = Integer()
    warehouse_name = String(attribute="warehouse.name")
    order_ref = String()
    order_number = Integer(allow_none=True)
    party_id = Integer()
    customer_name = String(attribute="party.name")
    created_by_id = Integer(allow_none=True)
    created_at = DateTime()
    notes = String()
    lines = List(Nested(SlipLineOut))
    url = String(metadata={"description": "the printable slip"})


class IssueQuery(Schema):
    warehouse_id = Integer(load_default=None, allow_none=True)
    order_ref = String(load_default=None, allow_none=True)
    q = String(load_default="", metadata={"description": "slip or order number, customer name"})
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=50, validate=Range(min=1, max=500))


class SlipSummaryOut(Schema):
    id = Integer()
    number = Integer()
    warehouse_id = Integer()
    order_ref = String()
    party_id = Integer()
    created_by_id = Integer(allow_none=True)
    created_at = DateTime()
    notes = String()
    units = Integer()


class ReceiptIn(Schema):
    warehouse_id = Integer(required=True)
    product_id = Integer(required=True)
    quantity = Integer(required=True)
    reason = String(load_default="", validate=Length(max=400))


class AdjustIn(Schema):
    warehouse_id = Integer(required=True)
    product_id = Integer(required=True)
    counted = Integer(required=True, metadata={"description": "the units counted on the shelf"})
    reason = String(required=True, metadata={"description": "why (required)"})


class TransferIn(Schema):
    from_warehouse_id = Integer(required=True)
    to_warehouse_id = Integer(required=True)
    product_id = Integer(required=True)
    quantity = Integer(required=True)
    reason = String(load_default="", validate=Length(max=400))


class MoveOut(Schema):
    id = Integer()
    at = DateTime()
    kind = String(metadata={"description": " | ".join(MOVE_KINDS)})
    kind_label = String()
    product_id = Integer()
    product_code = String(attribute="product.code")
    warehouse_id = Integer()
    on_hand_delta = Integer()
    reserved_delta = Integer()
    ref = String(metadata={"description": "e.g. crm.order:42, inventory.transfer:1-2"})
    order_number = Integer(allow_none=True)
    slip_number = Integer(allow_none=True)
    reservation_id = Integer(allow_none=True)
    reason = String()
    created_by_id = Integer(allow_none=True)
    created_by_name = String(allow_none=True)


class AdjustOut(Schema):
    changed = Boolean(metadata={"description": "false when the count matched the books (nothing posted)"})
    move = Nested(MoveOut, allow_none=True)


class TransferOut(Schema):
    out = Nested(MoveOut)
    into = Nested(MoveOut, data_key="in")


class MoveQuery(Schema):
    product_id = Integer(load_default=None, allow_none=True)
    warehouse_id = Integer(load_default=None, allow_none=True)
    kind = String(load_default=None, allow_none=True, validate=OneOf(list(MOVE_KINDS)))
    date_from = String(data_key="from", load_default=None, allow_none=True, metadata=DATE_HELP)
    date_to = String(data_key="to", load_default=None, allow_none=True, metadata=DATE_HELP)
    page = Integer(load_default=1, validate=Range(min=1))
    per_page = Integer(load_default=50, validate=Range(min=1, max=500))


# --- helpers ------------------------------------------------------------------------------------

def _page(items, total, query) -> dict:
    return {"items": items, "page": query["page"], "per_page": query["per_page"], "total": total,
            "pages": max(1, -(-total // query["per_page"]))}


def _limit(stmt, query):
    return stmt.limit(query["per_page"]).offset((query["page"] - 1) * query["per_page"])


def _renamed(exc: ValidationError, names: dict) -> ValidationError:
    """The services name fields after their arguments; the API after its JSON keys."""
    return ValidationError({names.get(k, k): v for k, v in exc.errors.items()})


def _call(names: dict, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except ValidationError as exc:
        db.session.rollback()
        raise _renamed(exc, names) from None


def _moves_out(moves) -> list[dict]:
    refs = queries.move_refs(moves)
    out = []
    for m in moves:
        out.append({**{c: getattr(m, c) for c in ("id", "at", "kind", "product_id", "warehouse_id", "on_hand_delta",
                                                   "reserved_delta", "ref", "reservation_id", "reason", "created_by_id")},
                    "product": m.product, "kind_label": MOVE_KINDS.get(m.kind, m.kind),
                    "order_number": refs[m.id].order_number, "slip_number": refs[m.id].slip_number,
                    "created_by_name": m.created_by.full_name if m.created_by else None})
    return out


def _slip_out(number: int) -> dict:
    from flask import url_for
    found = queries.slip(number, current_user)
    if found is None:
        abort(404)
    issue, order_number, lines = found
    return {**{c: getattr(issue, c) for c in ("id", "number", "warehouse_id", "order_ref", "party_id", "created_by_id",
                                               "created_at", "notes", "warehouse", "party")},
            "order_number": order_number, "lines": lines, "url": url_for("inventory.slip", number=issue.number)}


def _date(value, key):
    if not value:
        return None
    if _ISO.match(value):
        try:
            return dt.date.fromisoformat("-".join(f"{int(p):02d}" for p in value.strip().split("-")))
        except ValueError:
            raise ValidationError({key: "تاریخ معتبر نیست."}) from None
    try:
        return parse_date(value)
    except JalaliDateError as exc:
        raise ValidationError({key: str(exc)}) from None


# --- warehouses and product settings ------------------------------------------------------------

@api_bp.get("/warehouses")
@api_bp.output(WarehouseOut(many=True))
@permission_required("inventory.view")
def list_warehouses():
    """Every warehouse, active ones first."""
    return queries.warehouses()


@api_bp.post("/warehouses")
@api_bp.input(WarehouseIn, arg_name="data")
@api_bp.output(WarehouseOut, status_code=201)
@permission_required("inventory.warehouses")
def create_warehouse(data):
    return warehouse_service.save_warehouse(data)


@api_bp.patch("/warehouses/<int:warehouse_id>")
@api_bp.input(WarehouseIn(partial=True), arg_name="data")
@api_bp.output(WarehouseOut)
@permission_required("inventory.warehouses")
def update_warehouse(warehouse_id, data):
    warehouse = db.session.get(Warehouse, warehouse_id) or abort(404)
    return warehouse_service.save_warehouse({**WarehouseOut().dump(warehouse), **data}, warehouse)


@api_bp.put("/products/<int:product_id>/settings")
@api_bp.input(SettingIn, arg_name="data")
@api_bp.output(SettingOut)
@permission_required("inventory.warehouses")
def product_settings(product_id, data):
    """Set the reorder level and/or whether the product is kept in stock."""
    from core.models.products import Product
    if db.session.get(Product, product_id) is None:
        abort(404)
    return warehouse_service.save_product_setting(product_id, data)


# --- stock and availability ---------------------------------------------------------------------

@api_bp.get("/stock")
@api_bp.input(StockQuery, location="query", arg_name="query")
@api_bp.output(page_schema(StockOut, "InventoryStockPage"))
@permission_required("inventory.view")
def stock(query):
    """Stock by product and warehouse (or per product), with the stock screen's filters."""
    stmt, _sort = queries.stock_query(query["q"], query["warehouse_id"], query["low"], query["sort"], query["per"])
    rows = queries.to_stock_rows(db.session.execute(_limit(stmt, query)).all())
    items = [{"product": r.product, "warehouse_id": r.warehouse.id if r.warehouse else None,
              "warehouse_name": r.warehouse.name if r.warehouse else None, "on_hand": r.on_hand, "reserved": r.reserved,
              "available": r.available, "reorder": r.reorder, "level": r.level} for r in rows]
    return _page(items, queries.count(stmt), query)


@api_bp.get("/availability")
@api_bp.input(AvailabilityQuery, location="query", arg_name="query")
@api_bp.output(AvailabilityOut(many=True))
@permission_required("inventory.view")
def availability(query):
    """Units available (not reserved) per product over the active warehouses, as the quote
    builder sees them. Products not kept in stock are left out."""
    try:
        ids = [int(p) for p in query["product_ids"].replace("،", ",").split(",") if p.strip()]
    except ValueError:
        raise ValidationError({"product_ids": "شناسه‌های کالا را با ویرگول جدا کنید (مثلاً 1,2,3)."}) from None
    if len(ids) > 500:
        raise ValidationError({"product_ids": "حداکثر ۵۰۰ کالا در یک درخواست."})
    return reservation_service.availability(ids, query["office_id"])


# --- reservations and goods issue ---------------------------------------------------------------

@api_bp.get("/reservations")
@api_bp.input(ReservationQuery, location="query", arg_name="query")
@api_bp.output(page_schema(ReservationOut, "InventoryReservationPage"))
@permission_required("inventory.orders")
def list_reservations(query):
    stmt = queries.reservations_query(query["warehouse_id"], query["order_ref"], query["open"],
                                      product_id=query["product_id"], viewer=current_user)
    return _page(db.session.scalars(_limit(stmt, query)).unique().all(), queries.count(stmt), query)


@api_bp.post("/issues")
@api_bp.input(IssueIn, arg_name="data")
@api_bp.output(SlipOut, status_code=201)
@permission_required("inventory.operate")
def create_issue(data):
    """خروج کالا: issue reserved units of one order from one warehouse (any part of each line);
    returns the slip."""
    wanted: dict[int, int] = {}
    for line in data["lines"]:
        if line["reservation_id"] in wanted:
            raise ValidationError({"lines": "هر رزرو فقط یک بار در برگه می‌آید."})
        if line["quantity"] <= 0:
            raise ValidationError({"lines": "تعداد خروج هر ردیف باید بیشتر از صفر باشد."})
        wanted[line["reservation_id"]] = line["quantity"]
    if data["order_ref"] is not None and data["warehouse_id"] is None:
        raise ValidationError({"warehouse_id": "همراه order_ref انبار را هم بفرستید."})
    slip = _call({"quantity": "lines"}, reservation_service.issue, wanted, current_user, data["notes"],
                 order_ref=data["order_ref"], warehouse_id=data["warehouse_id"])
    return _slip_out(slip.number)


@api_bp.get("/issues")
@api_bp.input(IssueQuery, location="query", arg_name="query")
@api_bp.output(page_schema(SlipSummaryOut, "InventoryIssuePage"))
@permission_required("inventory.orders")
def list_issues(query):
    stmt = queries.issues_query(query["warehouse_id"], query["q"], query["order_ref"], viewer=current_user)
    slips = db.session.scalars(_limit(stmt, query)).unique().all()
    units = queries.slip_units(s.id for s in slips)
    items = [{**{c: getattr(s, c) for c in ("id", "number", "warehouse_id", "order_ref", "party_id", "created_by_id",
                                             "created_at", "notes")}, "units": units.get(s.id, 0)} for s in slips]
    return _page(items, queries.count(stmt), query)


@api_bp.get("/issues/<int:number>")
@api_bp.output(SlipOut)
@permission_required("inventory.orders")
def get_issue(number):
    return _slip_out(number)


# --- receipts, counts, transfers ----------------------------------------------------------------

@api_bp.post("/receipts")
@api_bp.input(ReceiptIn, arg_name="data")
@api_bp.output(MoveOut, status_code=201)
@permission_required("inventory.operate")
def receipt(data):
    """رسید: units come into a warehouse."""
    move = _call({}, ledger.receipt, data["warehouse_id"], data["product_id"], data["quantity"], current_user,
                 data["reason"])
    return _moves_out([move])[0]


@api_bp.post("/adjustments")
@api_bp.input(AdjustIn, arg_name="data")
@api_bp.output(AdjustOut, status_code=201)
@permission_required("inventory.operate")
def adjust(data):
    """A stock count: the counted units replace on-hand, with a reason. Never below what is
    reserved."""
    move = _call({"quantity": "counted"}, ledger.adjust, data["warehouse_id"], data["product_id"], data["counted"],
                 current_user, data["reason"])
    return {"changed": move is not None, "move": _moves_out([move])[0] if move is not None else None}


@api_bp.post("/transfers")
@api_bp.input(TransferIn, arg_name="data")
@api_bp.output(TransferOut, status_code=201)
@permission_required("inventory.operate")
def transfer(data):
    """Move free (unreserved) units from one warehouse to another: two moves."""
    out, into = _call({"warehouse_id": "from_warehouse_id", "to_id": "to_warehouse_id"}, ledger.transfer,
                      data["from_warehouse_id"], data["to_warehouse_id"], data["product_id"], data["quantity"],
                      current_user, data["reason"])
    a, b = _moves_out([out, into])
    return {"out": a, "into": b}


@api_bp.get("/movements")
@api_bp.input(MoveQuery, location="query", arg_name="query")
@api_bp.output(page_schema(MoveOut, "InventoryMovePage"))
@permission_required("inventory.view")
def movements(query):
    """The ledger, newest first; posted moves are never edited or deleted."""
    stmt = queries.moves_query(query["product_id"], query["warehouse_id"], query["kind"],
                               _date(query["date_from"], "from"), _date(query["date_to"], "to"))
    moves = db.session.scalars(_limit(stmt, query)).unique().all()
    return _page(_moves_out(moves), queries.count(stmt), query)
