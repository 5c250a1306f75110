"""The printable proforma invoice (پیش‌فاکتور) of a quote as a PDF: A4, right to left, Vazirmatn
embedded from the app's own static files, Persian digits and Jalali dates.

WeasyPrint renders `crm/sales/proforma_pdf.html`; its URL fetcher reads only files under the
app's static folders (the font), so rendering never touches the network — an `<img>` pointing
elsewhere is simply not loaded."""
from __future__ import annotations

import os
import urllib.parse
import urllib.request
from pathlib import Path

from flask import current_app, render_template
from markupsafe import Markup
from sqlalchemy import select

from core import settings
from core.db import db
from core.jalali import format_date
from core.models.products import Product
from core.persian import to_persian_digits
from core.phones import display, mask
from plugins.crm.models import Customer
from plugins.crm.models.sales import QUOTE_STATUSES, Quote

FONT_FILE = "vendor/vazirmatn/Vazirmatn[wght].woff2"

_ONES = ["", "یک", "دو", "سه", "چهار", "پنج", "شش", "هفت", "هشت", "نه"]
_TEENS = ["ده", "یازده", "دوازده", "سیزده", "چهارده", "پانزده", "شانزده", "هفده", "هجده", "نوزده"]
_TENS = ["", "", "بیست", "سی", "چهل", "پنجاه", "شصت", "هفتاد", "هشتاد", "نود"]
_HUNDREDS = ["", "صد", "دویست", "سیصد", "چهارصد", "پانصد", "ششصد", "هفتصد", "هشتصد", "نهصد"]
_SCALES = ["", "هزار", "میلیون", "میلیارد", "هزار میلیارد", "میلیون میلیارد"]


def _below_thousand(n: int) -> str:
    parts = []
    if n >= 100:
        parts.append(_HUNDREDS[n // 100])
        n %= 100
    if 10 <= n < 20:
        parts.append(_TEENS[n - 10])
    else:
        if n >= 20:
            parts.append(_TENS[n // 10])
        if n % 10:
            parts.append(_ONES[n % 10])
    return " و ".join(parts)


def in_words(n: int) -> str:
    """An integer in Persian words: 1250000 → «یک میلیون و دویست و پنجاه هزار»."""
    if n == 0:
        return "صفر"
    if n < 0:
        return "منفی " + in_words(-n)
    groups, parts, rest = [], [], n
    while rest:
        groups.append(rest % 1000)
        rest //= 1000
    if len(groups) > len(_SCALES):
        return fa_number(n)
    for scale in range(len(groups) - 1, -1, -1):
        if groups[scale]:
            words = _below_thousand(groups[scale])
            parts.append(f"{words} {_SCALES[scale]}".strip())
    return " و ".join(parts)


def fa_number(value: int) -> str:
    return to_persian_digits(f"{int(value):,}".replace(",", "٬"))


def fa_percent(bp: int | None) -> str:
    if bp is None:
        return ""
    return to_persian_digits(f"{bp / 100:.2f}".rstrip("0").rstrip(".").replace(".", "٫")) + "٪"


def _local_fetcher(roots: list[str]):
    """A WeasyPrint URL fetcher for `file://` URLs under the app's static folders, and nothing
    else (no network: offline deployments, and no server-side request forgery)."""
    from weasyprint.urls import URLFetcher

    allowed = [os.path.realpath(r) + os.sep for r in roots]

    class LocalFetcher(URLFetcher):
        def fetch(self, url, headers=None):
            parsed = urllib.parse.urlparse(url)
            if parsed.scheme != "file":
                raise ValueError(f"not fetched (no network in proformas): {url}")
            path = os.path.realpath(urllib.request.url2pathname(parsed.path))
            if not any(path.startswith(root) for root in allowed):
                raise ValueError(f"not fetched (outside the static folders): {url}")
            return super().fetch(url, headers)

    return LocalFetcher(allowed_protocols=("file",), timeout=5)


def _static_roots() -> list[str]:
    roots = [current_app.static_folder]
    for bp in current_app.blueprints.values():
        if bp.static_folder:
            roots.append(bp.static_folder)
    return [r for r in roots if r]


def font_url() -> str:
    return Path(current_app.static_folder, FONT_FILE).resolve().as_uri()


def css_string(text) -> Markup:
    """Text to put inside a double-quoted CSS string in a <style> element."""
    out = []
    for ch in str(text or ""):
        out.append(f"\\{ord(ch):x} " if ch in '"\\<>&\n\r' else ch)
    return Markup("".join(out))


def _phone_text(e164: str) -> str:
    return mask(e164) if settings.get("core.mask_contacts") else display(e164)


def context(quote: Quote) -> dict:
    customer = quote.customer or db.session.get(Customer, quote.customer_id)
    party = customer.party
    products = {p.id: p for p in select_products([li.product_id for li in quote.lines])}
    masked = bool(settings.get("core.mask_contacts"))
    return {
        "quote": quote, "party": party, "customer": customer, "products": products,
        "company": settings.get("core.company_name"),
        "company_css": css_string(settings.get("core.company_name")),
        "font_url": font_url(),
        "phones": [_phone_text(p.e164) for p in party.phones],
        "addresses": [] if masked else [a for a in party.addresses if a.address],
        "issued": format_date(quote.created_at), "valid_until": format_date(quote.valid_until),
        "status_label": QUOTE_STATUSES.get(quote.status, quote.status),
        "total_words": in_words(quote.total),
        "fa": to_persian_digits, "fa_number": fa_number, "fa_percent": fa_percent,
        "owner": quote.negotiation.owner if quote.negotiation else None,
    }


def select_products(ids):
    return db.session.scalars(select(Product).where(Product.id.in_(list(ids) or [-1]))).all()


def render(quote: Quote) -> bytes:
    """The quote's proforma as PDF bytes."""
    from weasyprint import HTML
    html = render_template("crm/sales/proforma_pdf.html", **context(quote))
    fetcher = _local_fetcher(_static_roots())
    return HTML(string=html, base_url=Path(current_app.static_folder).resolve().as_uri() + "/",
                url_fetcher=fetcher).write_pdf()


def filename(quote: Quote) -> str:
    return f"proforma-{quote.number}-v{quote.version}.pdf"
