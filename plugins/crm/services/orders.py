"""Sales orders and contracts. Confirming one fires `order_confirmed` inside the confirming
transaction: inventory reserves, finance invoices, any subscriber may veto (`core.payloads.Veto`)
and then nothing at all is written. Confirming twice (double click, two tabs, an API retry) has
the effect of once. Confirming wins the negotiation (Saba points) unless it is already won.
Cancelling fires `order_cancelled` the same way."""
from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import func, select

from core.access import can
from core.db import begin_write, db
from core.jalali import today_tehran, utcnow
from core.payloads import Effect, OrderLinePayload, OrderPayload, Veto
from core.validation import ValidationError
from plugins.crm.models import Customer, Negotiation
from plugins.crm.models.sales import Order, OrderEffect, OrderLine, Quote
from plugins.crm.services import quotes as quote_service
from plugins.crm.services.negotiations import NotFound, materialize_expiry, transition
from plugins.crm.services.visibility import can_act_on, customer_filter

log = logging.getLogger(__name__)


def _next_number() -> int:
    return (db.session.scalar(select(func.max(Order.number))) or 0) + 1


def from_quote(quote_id: int, actor, kind: str = "order", allow_partial: bool = False) -> Order:
    """An order from an accepted, still valid quote (its prices are kept as quoted)."""
    if kind not in ("order", "contract"):
        raise ValidationError({"kind": "نوع باید سفارش یا قرارداد باشد."})
    quote = quote_service.get_visible(quote_id, actor)
    if not can_act_on(actor, quote.negotiation):
        raise ValidationError("فقط کارشناس مسئول یا مدیران او از پیش‌فاکتور سفارش می‌سازند.")
    if quote.status != "accepted":
        raise ValidationError("سفارش فقط از پیش‌فاکتور پذیرفته‌شده ساخته می‌شود.")
    if quote.valid_until < today_tehran():
        raise ValidationError("اعتبار این پیش‌فاکتور گذشته است؛ نسخهٔ تازه بسازید.")
    inactive = [li.product.name for li in quote.lines if not li.product.active]
    if inactive:
        raise ValidationError("این کالاها غیرفعال شده‌اند: " + "، ".join(inactive))
    if db.session.scalar(select(Order.id).where(Order.quote_id == quote.id)):
        raise ValidationError("از این پیش‌فاکتور پیش‌تر سفارش ساخته شده است.")
    begin_write()
    quote = db.session.get(Quote, quote_id)
    order = Order(number=_next_number(), kind=kind, quote_id=quote.id, negotiation_id=quote.negotiation_id,
                  customer_id=quote.customer_id, office_id=quote.negotiation.office_id, allow_partial=allow_partial,
                  subtotal=quote.subtotal, discount=quote.discount, tax=quote.tax, total=quote.total,
                  notes=quote.notes, created_by_id=actor.id)
    order.lines = [OrderLine(position=li.position, product_id=li.product_id, description=li.description,
                             quantity=li.quantity, unit_price=li.net // li.quantity if li.quantity else 0,
                             gross=li.gross, discount=li.discount, net=li.net, tax_rate=li.tax_rate, tax=li.tax,
                             total=li.total) for li in quote.lines]
    db.session.add(order)
    db.session.commit()
    return order


def direct(customer_id: int, data: dict, actor, kind: str = "order") -> Order:
    """An order without a quote: lines priced by the same engine, today."""
    if not db.session.scalar(select(Customer.id).where(Customer.id == customer_id, customer_filter(actor))):
        raise NotFound("مشتری پیدا نشد.")
    customer = db.session.get(Customer, customer_id)
    current = db.session.get(Negotiation, customer.current_negotiation_id) if customer.current_negotiation_id else None
    if current is None or not can_act_on(actor, current):
        raise ValidationError("فقط کارشناس مسئول این مشتری یا مدیران او برایش سفارش ثبت می‌کنند.")
    lines, errors = quote_service._clean_lines(data.get("lines") or [])
    if errors:
        raise ValidationError(errors)
    priced, _ctx = quote_service.price_lines(customer, lines, today_tehran())
    if any(row["adhoc_percent"] > quote_service.group_limit(actor) for row in lines):
        raise ValidationError("تخفیف بیش از سقف مجاز شما نیاز به تأیید مدیر دارد؛ از راه پیش‌فاکتور اقدام کنید.")
    begin_write()
    order = Order(number=_next_number(), kind=kind, negotiation_id=current.id, customer_id=customer_id,
                  office_id=current.office_id, subtotal=priced.subtotal, discount=priced.discount, tax=priced.tax,
                  total=priced.total, created_by_id=actor.id, allow_partial=bool(data.get("allow_partial")))
    order.lines = [OrderLine(position=li.position, product_id=li.product_id, description=row["description"],
                             quantity=li.quantity, unit_price=li.net // li.quantity, gross=li.gross,
                             discount=li.discount, net=li.net, tax_rate=li.tax_rate, tax=li.tax, total=li.total)
                   for row, li in zip(lines, priced.lines)]
    db.session.add(order)
    db.session.commit()
    return order


def visible(actor):
    return select(Order).join(Customer, Customer.id == Order.customer_id).where(customer_filter(actor))


def get_visible(order_id: int, actor) -> Order:
    order = db.session.scalar(visible(actor).where(Order.id == order_id))
    if order is None:
        raise NotFound("سفارش پیدا نشد.")
    return order


def payload(order: Order, actor, override_credit: bool = False) -> OrderPayload:
    customer = db.session.get(Customer, order.customer_id)
    return OrderPayload(
        ref=f"crm.order:{order.id}", id=order.id, number=order.number, kind=order.kind, party_id=customer.party_id,
        customer_ref=f"crm.customer:{customer.id}", category_id=customer.category_id, office_id=order.office_id,
        allow_partial=order.allow_partial,
        subtotal=order.subtotal, discount=order.discount, tax=order.tax, total=order.total,
        confirmed_at=order.confirmed_at, actor_id=actor.id, override_credit=override_credit,
        lines=[OrderLinePayload(li.position, li.product_id, li.quantity, li.unit_price, li.net, li.tax, li.total,
                                li.cost_price) for li in order.lines])


def _run_subscribers(hook: str, order: Order, event: str, data: OrderPayload) -> None:
    """Call every subscriber in this transaction; record what each reports back."""
    host = current_app.extensions["peyvand"].host
    try:
        results = host.call_each(hook, order=data)
    except Veto:
        raise
    except ValidationError as exc:  # a subscriber's own clear refusal
        raise Veto(str(exc)) from exc
    except Exception as exc:  # noqa: BLE001 - any failure rolls the whole order back
        log.exception("%s subscriber failed for order %s", hook, order.id)
        raise Veto("یکی از بخش‌های وابسته (انبار، مالی، …) خطا داد؛ هیچ تغییری ثبت نشد. دوباره امتحان کنید.") from exc
    now = utcnow()
    for plugin, result in results:
        for effect in (result if isinstance(result, list) else [result]):
            if isinstance(effect, Effect):
                order.effects.append(OrderEffect(event=event, plugin=plugin, ref=effect.ref[:120],
                                                 label=effect.label[:300], url=effect.url[:300], at=now))


def confirm(order_id: int, actor, override_credit: bool = False) -> Order:
    get_visible(order_id, actor)  # 404 for what the user may not see
    if override_credit and not can(actor, "crm.credit_override"):
        raise ValidationError("شما اجازهٔ عبور از سقف اعتبار مشتری را ندارید.")
    begin_write()
    order = db.session.execute(select(Order).where(Order.id == order_id).with_for_update()).scalar_one()
    if order.status == "confirmed":
        return order  # a double click, a second tab or an API retry: already done, done once
    if order.status == "cancelled":
        raise ValidationError("این سفارش لغو شده است.")
    inactive = [li.product.name for li in order.lines if not li.product.active]
    if inactive:
        raise ValidationError("این کالاها غیرفعال شده‌اند: " + "، ".join(inactive))
    negotiation = db.session.get(Negotiation, order.negotiation_id) if order.negotiation_id else None
    if negotiation is not None and not can_act_on(actor, negotiation):
        raise ValidationError("فقط کارشناس مسئول یا مدیران او سفارش را تأیید می‌کنند.")
    try:
        now = utcnow()
        order.status, order.confirmed_at, order.confirmed_by_id = "confirmed", now, actor.id
        for li in order.lines:
            li.cost_price = li.product.cost_price
        if negotiation is not None:
            db.session.execute(select(Negotiation.id).where(Negotiation.id == negotiation.id).with_for_update())
            materialize_expiry(negotiation)
            if negotiation.status == "negotiating":
                transition(negotiation, "won", actor, reason=f"تأیید سفارش شمارهٔ {order.number}")
        db.session.flush()
        _run_subscribers("order_confirmed", order, "confirmed", payload(order, actor, override_credit))
        db.session.commit()
    except Veto as veto:
        db.session.rollback()
        raise ValidationError(veto.reason) from None
    return order


def cancel(order_id: int, actor, reason: str) -> Order:
    get_visible(order_id, actor)
    reason = (reason or "").strip()
    if not reason or len(reason) > 400:
        raise ValidationError({"reason": "دلیل لغو را (تا ۴۰۰ نویسه) بنویسید."})
    begin_write()
    order = db.session.execute(select(Order).where(Order.id == order_id).with_for_update()).scalar_one()
    if order.status == "cancelled":
        return order
    negotiation = db.session.get(Negotiation, order.negotiation_id) if order.negotiation_id else None
    if negotiation is not None and not can_act_on(actor, negotiation):
        raise ValidationError("فقط کارشناس مسئول یا مدیران او سفارش را لغو می‌کنند.")
    was = order.status
    try:
        order.status, order.cancelled_at, order.cancel_reason = "cancelled", utcnow(), reason
        db.session.flush()
        if was == "confirmed":
            _run_subscribers("order_cancelled", order, "cancelled", payload(order, actor))
        db.session.commit()
    except Veto as veto:
        db.session.rollback()
        raise ValidationError(veto.reason) from None
    return order
