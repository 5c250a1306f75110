"""Reservations from confirmed orders, their release on cancellation, and goods issue.

Warehouse rule (documented for sales staff): a line is reserved from the active warehouses of
the order's office first, then from the other active warehouses, each group in warehouse-id
order; a line may be split over warehouses. Unless the order allows partial reservation (and the
setting `inventory.allow_partial` is on), every line must be reserved in full or the order is
vetoed with the missing quantities.
"""
from __future__ import annotations

from flask import url_for
from sqlalchemy import func, select, text

from core import settings
from core.db import begin_write, db
from core.models.products import Product
from core.payloads import Availability, Effect, OrderPayload, Veto
from core.persian import to_persian_digits
from core.validation import ValidationError
from plugins.inventory.models import GoodsIssue, ProductStockSetting, Reservation, Stock, Warehouse
from plugins.inventory.services.ledger import lock, post, quantity


def warehouse_order(office_id: int | None) -> list[Warehouse]:
    warehouses = db.session.scalars(select(Warehouse).where(Warehouse.active.is_(True)).order_by(Warehouse.id)).all()
    return sorted(warehouses, key=lambda w: (w.office_id != office_id, w.id))


def untracked(product_ids) -> set[int]:
    """The products among `product_ids` that are not kept in stock (services, licences)."""
    ids = list(set(product_ids))
    if not ids:
        return set()
    return set(db.session.scalars(select(ProductStockSetting.product_id).where(
        ProductStockSetting.product_id.in_(ids), ProductStockSetting.tracked.is_(False))))


def reserve(order: OrderPayload, actor=None) -> Effect | None:
    """The `order_confirmed` subscriber: reserve every line or veto the order. Lines of products
    not kept in stock (services, licences) reserve nothing."""
    warehouses = warehouse_order(order.office_id)
    needed: dict[int, int] = {}
    skip = untracked(line.product_id for line in order.lines)
    for line in order.lines:
        if line.product_id in skip:
            continue
        needed[line.product_id] = needed.get(line.product_id, 0) + line.quantity
    if not needed:
        return None
    stocks = lock([(p, w.id) for p in needed for w in warehouses])
    partial = order.allow_partial and bool(settings.get("inventory.allow_partial"))
    plan, missing = [], {}
    for product_id, want in sorted(needed.items()):
        for warehouse in warehouses:
            if want <= 0:
                break
            take = min(want, stocks[(product_id, warehouse.id)].available)
            if take > 0:
                plan.append((product_id, warehouse.id, take))
                want -= take
        if want > 0:
            missing[product_id] = (needed[product_id], want)
    if missing and not partial:
        names = {p.id: p.name for p in db.session.scalars(select(Product).where(Product.id.in_(list(missing))))}
        parts = [f"«{names.get(p, p)}»: {to_persian_digits(f'{need:,}')} لازم، {to_persian_digits(f'{need - short:,}')} موجود"
                 for p, (need, short) in missing.items()]
        raise Veto("موجودی انبار کافی نیست؛ " + "؛ ".join(parts) + ".")
    made = [Reservation(order_ref=order.ref, order_number=order.number, party_id=order.party_id,
                        product_id=product_id, warehouse_id=warehouse_id, quantity=take)
            for product_id, warehouse_id, take in plan]
    db.session.add_all(made)
    db.session.flush()  # one INSERT for all the lines: their ids go on the moves
    for reservation in made:
        post(stocks[(reservation.product_id, reservation.warehouse_id)], "reservation", reserved_delta=reservation.quantity,
             actor=actor, ref=order.ref, reservation_id=reservation.id)
    units = sum(t for _p, _w, t in plan)
    label = f"رزرو {to_persian_digits(f'{units:,}')} واحد در انبار" + (" (بخشی)" if missing else "")
    return Effect(f"inventory.order:{order.id}", label, _url("inventory.order_reservations", order_ref=order.ref))


def release(order: OrderPayload, actor=None) -> Effect | None:
    """The `order_cancelled` subscriber: release what is still reserved for the order."""
    reservations = db.session.scalars(select(Reservation).where(Reservation.order_ref == order.ref)
                                      .order_by(Reservation.id)).all()
    open_ones = [r for r in reservations if r.remaining > 0]
    if not open_ones:
        return None
    stocks = lock([(r.product_id, r.warehouse_id) for r in open_ones])
    units = 0
    for r in open_ones:
        left = r.remaining
        r.released += left
        units += left
        post(stocks[(r.product_id, r.warehouse_id)], "release", reserved_delta=-left, actor=actor, ref=order.ref,
             reservation_id=r.id, reason="لغو سفارش")
    return Effect(f"inventory.order:{order.id}", f"آزادسازی {to_persian_digits(f'{units:,}')} واحد رزرو",
                  _url("inventory.order_reservations", order_ref=order.ref))


def issue(reservation_quantities: dict[int, object], actor, notes: str = "", *, order_ref: str | None = None,
          warehouse_id: int | None = None) -> GoodsIssue:
    """خروج کالا against reservations of one order in one warehouse, full or partial.

    `order_ref` and `warehouse_id`, when given, are the order and warehouse the caller's form was
    for: a reservation of any other is refused like a mix of two orders."""
    wanted = {}
    for rid, raw in reservation_quantities.items():
        if raw is None or str(raw).strip() in ("", "0", "۰"):
            continue
        try:
            rid = int(rid)
        except (TypeError, ValueError):
            raise ValidationError("رزرو انتخاب‌شده پیدا نشد.") from None
        wanted[rid] = quantity(raw, "تعداد خروج")
    if not wanted:
        raise ValidationError({"quantity": "دست‌کم برای یک ردیف تعداد خروج بنویسید."})
    begin_write()
    reservations = db.session.scalars(select(Reservation).where(Reservation.id.in_(list(wanted)))
                                      .order_by(Reservation.id).with_for_update()).all()
    if len(reservations) != len(wanted):
        raise ValidationError("رزرو انتخاب‌شده پیدا نشد.")
    groups = {(r.order_ref, r.warehouse_id) for r in reservations}
    if len(groups) != 1 or (order_ref is not None and groups != {(order_ref, int(warehouse_id or 0))}):
        raise ValidationError("هر برگهٔ خروج فقط برای یک سفارش از یک انبار است.")
    for r in reservations:
        if wanted[r.id] > r.remaining:
            raise ValidationError(f"برای «{r.product.name}» فقط {to_persian_digits(f'{r.remaining:,}')} واحد رزرو باقی است.")
    stocks = lock([(r.product_id, r.warehouse_id) for r in reservations])
    first = reservations[0]
    if db.session.get_bind().dialect.name == "postgresql":
        # Slip numbers are max + 1: two storekeepers issuing at once take turns here rather than
        # collide on the unique number (SQLite writers are serialised by BEGIN IMMEDIATE).
        db.session.execute(text("SELECT pg_advisory_xact_lock(hashtext('inventory.issue_number'))"))
    slip = GoodsIssue(number=(db.session.scalar(select(func.max(GoodsIssue.number))) or 0) + 1,
                      warehouse_id=first.warehouse_id, order_ref=first.order_ref, party_id=first.party_id,
                      created_by_id=actor.id, notes=(notes or "")[:400])
    db.session.add(slip)
    db.session.flush()
    for r in reservations:
        q = wanted[r.id]
        r.issued += q
        post(stocks[(r.product_id, r.warehouse_id)], "issue", on_hand_delta=-q, reserved_delta=-q, actor=actor,
             ref=r.order_ref, reservation_id=r.id, issue_id=slip.id)
    db.session.commit()
    return slip


def availability(product_ids: list[int], office_id: int | None) -> list[Availability]:
    """Available units per product: everywhere, with the office's own warehouses named first."""
    product_ids = [p for p in product_ids if p not in untracked(product_ids)]  # services: not stocked
    if not product_ids:
        return []
    warehouses = warehouse_order(office_id)
    names = {w.id: w.name for w in warehouses}
    rows = db.session.execute(select(Stock.product_id, Stock.warehouse_id, Stock.on_hand - Stock.reserved).where(
        Stock.product_id.in_(product_ids), Stock.warehouse_id.in_(list(names)))).all()
    by_product: dict[int, list[tuple[int, int]]] = {}
    for product_id, warehouse_id, available in rows:
        by_product.setdefault(product_id, []).append((warehouse_id, int(available)))
    rank = {w.id: i for i, w in enumerate(warehouses)}
    out = []
    for product_id in product_ids:
        parts = sorted(by_product.get(product_id, []), key=lambda x: rank[x[0]])
        total = sum(a for _w, a in parts)
        label = "، ".join(f"{names[w]}: {to_persian_digits(f'{a:,}')}" for w, a in parts if a) or "ناموجود"
        out.append(Availability(product_id, total, label))
    return out


def _url(endpoint: str, **values) -> str:
    try:
        return url_for(endpoint, **values)
    except Exception:  # noqa: BLE001 - outside a request (CLI, jobs) there is no URL to give
        return ""
