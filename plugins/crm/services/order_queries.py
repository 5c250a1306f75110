"""Reading orders for the screens and the API: the filtered list (visible orders only, through
`orders.visible`) and an order's traceability — its history, the quote it came from, who
approved that quote's discounts and what each subscriber of the order hooks did."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select

from core import audit
from core.db import db
from core.jalali import TEHRAN, UTC
from core.models.org import User
from core.models.parties import Party
from core.persian import like_pattern, to_ascii_digits
from plugins.crm.models import Customer, Negotiation
from plugins.crm.models.sales import ORDER_STATUSES, Order, Quote
from plugins.crm.services import orders
from plugins.crm.services.visibility import negotiation_filter


def tehran_day_start(day: dt.date) -> dt.datetime:
    """00:00 of a Tehran day as the naive UTC the database stores."""
    return dt.datetime.combine(day, dt.time(), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def order_list(actor, *, status: str = "", start: dt.date | None = None, end: dt.date | None = None,
               customer_id: int | None = None, q: str = "", kind: str = ""):
    """The orders `actor` may see, newest first; `start`/`end` are Tehran days (inclusive) of
    the order's registration; `q` is a customer's name or an order number."""
    stmt = orders.visible(actor)
    if status in ORDER_STATUSES:
        stmt = stmt.where(Order.status == status)
    if kind in ("order", "contract"):
        stmt = stmt.where(Order.kind == kind)
    if start is not None:
        stmt = stmt.where(Order.created_at >= tehran_day_start(start))
    if end is not None:
        stmt = stmt.where(Order.created_at < tehran_day_start(end + dt.timedelta(days=1)))
    if customer_id is not None:
        stmt = stmt.where(Order.customer_id == customer_id)
    q = (q or "").strip()
    if q:
        digits = to_ascii_digits(q)
        party_ids = select(Party.id).where(Party.search_key.like(like_pattern(q), escape="\\"))
        conditions = [Customer.party_id.in_(party_ids)]
        if digits.isdigit() and len(digits) < 10:
            conditions.append(Order.number == int(digits))
        stmt = stmt.where(or_(*conditions))
    return stmt.order_by(Order.created_at.desc(), Order.id.desc())


def _users(ids) -> dict[int, User]:
    ids = {i for i in ids if i}
    return {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(ids or [-1])))}


def trace(order: Order, actor) -> dict:
    """Everything the order page shows of where the order came from and what it caused."""
    quote = None
    if order.quote_id is not None:
        quote = db.session.scalar(select(Quote).join(Negotiation, Negotiation.id == Quote.negotiation_id).where(
            Quote.id == order.quote_id, negotiation_filter(actor)))
    approvals = []
    if quote is not None:
        for line in quote.lines:
            if line.approval in ("approved", "rejected") or line.adhoc_percent:
                history = [e for e in audit.history("crm_quote_lines", line.id)
                           if e.action == "update" and "approval" in (e.changes or {})]
                approvals.append({"line": line, "history": history})
    people = _users([order.created_by_id, order.confirmed_by_id]
                    + [a["line"].approved_by_id for a in approvals])
    return {
        "quote": quote,
        "quote_history": audit.history("crm_quotes", quote.id) if quote is not None else [],
        "approvals": approvals,
        "history": audit.history("crm_orders", order.id),
        "effects": list(order.effects),
        "people": people,
        "negotiation": db.session.get(Negotiation, order.negotiation_id) if order.negotiation_id else None,
    }
