"""Quotes and proforma invoices (پیش‌فاکتور): lines priced by the engine with every adjustment
explained, versions kept, validity, the rep's ad hoc discounts within their group's limit
(above it a manager approves), availability and credit from other plugins through hooks."""
from __future__ import annotations

import datetime as dt

from flask import current_app
from sqlalchemy import func, select

from core import settings
from core.access import can, subordinate_ids
from core.db import begin_write, db
from core.jalali import today_tehran, utcnow
from core.jobs import emit_after_commit
from core.models.products import Product
from core.payloads import Adjustment, LineContext, QuoteContext
from core.persian import to_ascii_digits
from core.validation import Checker, ValidationError
from plugins.crm.models import Customer, Negotiation
from plugins.crm.models.sales import DiscountLimit, Order, Quote, QuoteLine
from plugins.crm.services import policies, pricing
from plugins.crm.services.negotiations import NotFound
from plugins.crm.services.visibility import can_act_on, negotiation_filter

MAX_QUANTITY = 1_000_000
MAX_LINES = 500
MAX_LINE_TOTAL = 10 ** 15


def group_limit(user) -> int:
    """The largest ad hoc discount (basis points) the user's groups allow without approval."""
    if user.is_superuser:
        return 10000
    ids = [g.id for g in user.groups]
    limit = db.session.scalar(select(func.max(DiscountLimit.max_percent)).where(DiscountLimit.group_id.in_(ids))) if ids else None
    return int(limit or 0)


def bought_last_year(customer_id: int, day: dt.date) -> int:
    since = dt.datetime.combine(day - dt.timedelta(days=365), dt.time())
    return int(db.session.scalar(select(func.coalesce(func.sum(Order.total), 0)).where(
        Order.customer_id == customer_id, Order.status == "confirmed", Order.confirmed_at >= since)) or 0)


def _clean_lines(rows: list[dict]) -> tuple[list[dict], dict[str, str]]:
    errors, out = {}, []
    if not rows:
        errors["lines"] = "دست‌کم یک ردیف کالا لازم است."
    if len(rows) > MAX_LINES:
        errors["lines"] = f"یک پیش‌فاکتور حداکثر {MAX_LINES} ردیف دارد."
    products = {p.id: p for p in db.session.scalars(select(Product).where(
        Product.id.in_([int(r.get("product_id") or 0) for r in rows if str(r.get("product_id") or "").isdigit()])))}
    for i, row in enumerate(rows, start=1):
        key = f"lines-{i}"
        try:
            product_id = int(row.get("product_id") or 0)
            quantity = int(to_ascii_digits(str(row.get("quantity") or "0")).replace("٬", "").replace(",", ""))
            adhoc = _basis_points(row.get("adhoc_percent"))
        except ValueError:
            errors[key] = f"ردیف {i}: تعداد و درصد تخفیف باید عدد باشند."
            continue
        product = products.get(product_id)
        if product is None:
            errors[key] = f"ردیف {i}: کالا را انتخاب کنید."
        elif not product.active:
            errors[key] = f"ردیف {i}: کالای «{product.name}» غیرفعال است و فروخته نمی‌شود."
        elif not 0 < quantity <= MAX_QUANTITY:
            errors[key] = f"ردیف {i}: تعداد باید بین ۱ و {MAX_QUANTITY:,} باشد."
        elif not 0 <= adhoc <= 10000:
            errors[key] = f"ردیف {i}: درصد تخفیف باید بین ۰ و ۱۰۰ باشد."
        else:
            out.append({"product": product, "quantity": quantity, "adhoc_percent": adhoc,
                        "description": str(row.get("description") or "")[:300]})
    return out, errors


def _basis_points(value) -> int:
    """"12.5" or "۱۲٫۵" percent → 1250 basis points."""
    text = to_ascii_digits(str(value or "0")).replace("٫", ".").replace("%", "").replace("٪", "").strip() or "0"
    number = float(text)
    if number != number or number in (float("inf"), float("-inf")):  # nan or infinite
        raise ValueError(text)
    return int(round(number * 100))


def context(customer: Customer, day: dt.date) -> QuoteContext:
    return QuoteContext(customer_ref=f"crm.customer:{customer.id}", party_id=customer.party_id,
                        category_id=customer.category_id, date=day,
                        bought_last_year=bought_last_year(customer.id, day))


def price_lines(customer: Customer, lines: list[dict], day: dt.date) -> tuple[pricing.PricedQuote, QuoteContext]:
    """Price cleaned lines for a customer on a day, through every plugin's adjustments."""
    ctx = context(customer, day)
    prices = policies.list_prices([row["product"] for row in lines], customer.category_id, day)
    inputs, vat = [], {}
    for position, row in enumerate(lines, start=1):
        unit, _list_id = prices[row["product"].id]
        tax_class = row["product"].tax_class
        if tax_class not in vat:
            vat[tax_class] = policies.vat_rate(tax_class)
        row["list_price"] = unit
        ctx.lines.append(LineContext(position, row["product"].id, row["quantity"], unit, row["product"].tax_class))
        inputs.append({"position": position, "product_id": row["product"].id, "quantity": row["quantity"],
                       "list_price": unit, "tax_rate": vat[tax_class],
                       "adhoc_percent": row["adhoc_percent"]})
    host = current_app.extensions["peyvand"].host
    found_for: dict[int, list[Adjustment]] = {}

    def adjustments_for(line: dict) -> list[Adjustment]:
        if line["position"] not in found_for:  # the engine may price twice: ask the plugins once
            found = []
            for _plugin, result in host.call_each("pricing_adjustments", quote=ctx, line=ctx.lines[line["position"] - 1]):
                found.extend(result or [])
            if line["adhoc_percent"]:
                found.append(Adjustment(f"تخفیف موردی کارشناس ({line['adhoc_percent'] / 100:g}٪)",
                                        pricing.ADHOC_PRECEDENCE, percent=line["adhoc_percent"], kind="adhoc"))
            found_for[line["position"]] = found
        return found_for[line["position"]]

    # Order-amount tiers look at the order after the lines' own adjustments.
    first = pricing.price(inputs, adjustments_for, [])
    order_level = policies.order_adjustments(ctx, sum(line.net for line in first.lines))
    priced = pricing.price(inputs, adjustments_for, order_level) if order_level else first
    return priced, ctx


def _visible_negotiation(negotiation_id: int, actor) -> Negotiation:
    negotiation = db.session.scalar(select(Negotiation).where(Negotiation.id == negotiation_id, negotiation_filter(actor)))
    if negotiation is None:
        raise NotFound("فرصت پیدا نشد.")
    return negotiation


def _fill(quote: Quote, priced: pricing.PricedQuote, lines: list[dict], actor) -> None:
    limit = group_limit(actor)
    quote.lines = []
    for row, line in zip(lines, priced.lines):
        if line.total > MAX_LINE_TOTAL:
            raise ValidationError({f"lines-{line.position}": f"ردیف {line.position}: مبلغ بیش از حد بزرگ است."})
        quote.lines.append(QuoteLine(
            position=line.position, product_id=line.product_id, description=row["description"],
            quantity=line.quantity, list_price=line.list_price, adhoc_percent=row["adhoc_percent"],
            gross=line.gross, discount=line.discount, net=line.net, tax_rate=line.tax_rate, tax=line.tax,
            total=line.total, adjustments=line.applied,
            approval="pending" if row["adhoc_percent"] > limit else "none"))
    quote.subtotal, quote.discount, quote.tax, quote.total = priced.subtotal, priced.discount, priced.tax, priced.total


def save(negotiation_id: int, data: dict, actor, quote: Quote | None = None, *, version_of: int | None = None) -> Quote:
    """Create a draft quote for an opportunity (or the next version of quote number
    `version_of`), or re-price and save a draft."""
    c = Checker(data)
    valid_until = c.date("valid_until", "اعتبار تا")
    notes = c.text("notes", "توضیحات", max_len=4000)
    lines, line_errors = _clean_lines(data.get("lines") or [])
    for key, message in line_errors.items():
        c.fail(key, message)
    if valid_until is None and "valid_until" not in c.errors:
        valid_until = today_tehran() + dt.timedelta(days=int(settings.get("crm.quote_validity_days")))
    if valid_until is not None and valid_until < today_tehran():
        c.fail("valid_until", "تاریخ اعتبار نمی‌تواند گذشته باشد.")
    c.done()
    negotiation = _visible_negotiation(negotiation_id, actor)
    if not can_act_on(actor, negotiation):
        raise ValidationError("فقط کارشناس مسئول این فرصت یا مدیران او می‌توانند برایش پیش‌فاکتور صادر کنند.")
    if negotiation.effective_status != "negotiating":
        raise ValidationError("برای مذاکره‌ای که در جریان نیست پیش‌فاکتور صادر نمی‌شود.")
    if quote is not None and quote.status != "draft":
        raise ValidationError("فقط پیش‌نویس را می‌توان ویرایش کرد؛ نسخهٔ تازه بسازید.")
    customer = db.session.get(Customer, negotiation.customer_id)
    priced, _ctx = price_lines(customer, lines, today_tehran())
    begin_write()
    if quote is None:
        if version_of is None:
            number, version = (db.session.scalar(select(func.max(Quote.number))) or 0) + 1, 1
        else:
            number = version_of
            version = (db.session.scalar(select(func.max(Quote.version)).where(Quote.number == number)) or 0) + 1
            for earlier in db.session.scalars(select(Quote).where(Quote.number == number,
                                                                  Quote.status.in_(("draft", "sent")))):
                earlier.status = "superseded"
        quote = Quote(number=number, version=version, negotiation_id=negotiation.id, customer_id=customer.id,
                      created_by_id=actor.id)
        db.session.add(quote)
    else:
        quote = db.session.get(Quote, quote.id)
    quote.valid_until, quote.notes = valid_until, notes
    _fill(quote, priced, lines, actor)
    db.session.commit()
    if any(line.approval == "pending" for line in quote.lines):
        emit_after_commit("crm.discount_approval_requested", {"quote": f"crm.quote:{quote.id}"})
    return quote


def get_visible(quote_id: int, actor) -> Quote:
    quote = db.session.scalar(select(Quote).join(Negotiation, Negotiation.id == Quote.negotiation_id).where(
        Quote.id == quote_id, negotiation_filter(actor)))
    if quote is None:
        raise NotFound("پیش‌فاکتور پیدا نشد.")
    return quote


def new_version(quote_id: int, actor) -> Quote:
    """Copy a quote into its next version (re-priced today); earlier open versions are kept,
    marked superseded."""
    old = get_visible(quote_id, actor)
    if old.status == "accepted":
        raise ValidationError("پیش‌فاکتور پذیرفته‌شده نسخهٔ تازه نمی‌گیرد.")
    latest = db.session.scalar(select(func.max(Quote.version)).where(Quote.number == old.number))
    if old.version != latest:
        raise ValidationError("فقط از آخرین نسخه می‌توان نسخهٔ تازه ساخت.")
    data = {"valid_until": max(old.valid_until, today_tehran()), "notes": old.notes,
            "lines": [{"product_id": li.product_id, "quantity": li.quantity, "adhoc_percent": li.adhoc_percent / 100,
                       "description": li.description} for li in old.lines]}
    return save(old.negotiation_id, data, actor, version_of=old.number)


def _may_approve(actor, quote: Quote) -> bool:
    owner_id = quote.negotiation.owner_id
    return can(actor, "crm.discount_approve") and (owner_id in subordinate_ids(actor.id) or actor.is_superuser
                                                    or can(actor, "crm.scope_all"))


def decide_discount(quote_id: int, line_id: int, approve: bool, actor) -> QuoteLine:
    quote = get_visible(quote_id, actor)
    if not _may_approve(actor, quote):
        raise ValidationError("تأیید تخفیف با مدیرِ کارشناس است.")
    line = next((li for li in quote.lines if li.id == line_id), None)
    if line is None or line.approval != "pending":
        raise ValidationError("این ردیف منتظر تأیید نیست.")
    line.approval, line.approved_by_id = ("approved" if approve else "rejected"), actor.id
    db.session.commit()
    return line


def pending_approvals(actor):
    """Quote lines waiting for this manager's approval."""
    ids = subordinate_ids(actor.id)
    stmt = select(QuoteLine, Quote).join(Quote, Quote.id == QuoteLine.quote_id).join(
        Negotiation, Negotiation.id == Quote.negotiation_id).where(QuoteLine.approval == "pending", Quote.status == "draft")
    if not (actor.is_superuser or can(actor, "crm.scope_all")):
        stmt = stmt.where(Negotiation.owner_id.in_(ids or [-1]))
    return stmt.order_by(Quote.id)


def send(quote_id: int, actor) -> Quote:
    quote = get_visible(quote_id, actor)
    if not can_act_on(actor, quote.negotiation):
        raise ValidationError("فقط کارشناس مسئول یا مدیران او پیش‌فاکتور را ارسال می‌کنند.")
    if quote.status != "draft":
        raise ValidationError("فقط پیش‌نویس ارسال می‌شود.")
    if any(li.approval == "pending" for li in quote.lines):
        raise ValidationError("تخفیف برخی ردیف‌ها بیش از سقف مجاز است و هنوز تأیید نشده است.")
    if any(li.approval == "rejected" for li in quote.lines):
        raise ValidationError("تخفیف برخی ردیف‌ها رد شده است؛ آن را اصلاح کنید.")
    quote.status, quote.sent_at = "sent", utcnow()
    db.session.commit()
    return quote


def decide(quote_id: int, accept: bool, actor) -> Quote:
    """The customer accepted or rejected a sent quote. An expired quote cannot be accepted."""
    quote = get_visible(quote_id, actor)
    if not can_act_on(actor, quote.negotiation):
        raise ValidationError("فقط کارشناس مسئول یا مدیران او پاسخ مشتری را ثبت می‌کنند.")
    if quote.status != "sent":
        raise ValidationError("فقط پیش‌فاکتور ارسال‌شده پذیرفته یا رد می‌شود.")
    if accept and quote.valid_until < today_tehran():
        raise ValidationError("اعتبار این پیش‌فاکتور گذشته است؛ نسخهٔ تازه بسازید.")
    quote.status, quote.decided_at = ("accepted" if accept else "rejected"), utcnow()
    db.session.commit()
    return quote


def availability(product_ids: list[int], office_id: int | None) -> tuple[dict[int, object], bool]:
    """(product_id → Availability, answered): from the `quote_line_availability` hook; when no
    plugin answers (inventory absent or disabled) the screen says so instead of failing."""
    host = current_app.extensions["peyvand"].host
    out, answered = {}, False
    for _plugin, result in host.call_each("quote_line_availability", isolate_errors=True,
                                          product_ids=product_ids, office_id=office_id):
        if isinstance(result, Exception):
            continue
        answered = True
        for item in result or []:
            out[item.product_id] = item
    return out, answered


def credit(customer: Customer):
    """The customer's balance and credit from the `customer_credit` hook, or None."""
    host = current_app.extensions["peyvand"].host
    for _plugin, result in host.call_each("customer_credit", isolate_errors=True, party_id=customer.party_id,
                                          category_id=customer.category_id):
        if result is not None and not isinstance(result, Exception):
            return result
    return None
