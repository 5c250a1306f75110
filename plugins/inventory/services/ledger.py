"""The stock ledger: every change is a posted move; on-hand, reserved and available follow.

Writers lock the stock rows they change (`SELECT … FOR UPDATE` on PostgreSQL; SQLite serialises
writers with BEGIN IMMEDIATE), always in (product, warehouse) order so two transactions never
wait on each other in a circle; the CHECK constraints on `inv_stock` are the last line against
an oversell.
"""
from __future__ import annotations

from sqlalchemy import func, select, tuple_

from core.db import begin_write, db, insert_ignore
from core.models.products import Product
from core.persian import to_ascii_digits, to_persian_digits
from core.validation import ValidationError
from plugins.inventory.models import Move, Stock, Warehouse

MAX_QUANTITY = 10 ** 9


def quantity(value, label: str = "تعداد", allow_negative: bool = False) -> int:
    try:
        number = int(to_ascii_digits(str(value if value is not None else "")).replace("٬", "").replace(",", "").strip())
    except ValueError:
        raise ValidationError({"quantity": f"«{label}» باید عدد صحیح باشد."}) from None
    if not allow_negative and number <= 0:
        raise ValidationError({"quantity": f"«{label}» باید بیشتر از صفر باشد."})
    if abs(number) > MAX_QUANTITY:
        raise ValidationError({"quantity": f"«{label}» بیش از حد بزرگ است."})
    return number


def _fa(number: int) -> str:
    return to_persian_digits(f"{number:,}".replace(",", "٬"))


def lock(pairs) -> dict[tuple[int, int], Stock]:
    """Lock (creating when missing) the stock rows of (product_id, warehouse_id) pairs."""
    pairs = sorted(set(pairs))
    if not pairs:
        return {}
    # Missing rows are created with ON CONFLICT DO NOTHING, so two transactions creating the
    # same row never collide; then every row is locked, in order.
    db.session.execute(insert_ignore(Stock).values(
        [{"product_id": p, "warehouse_id": w, "on_hand": 0, "reserved": 0} for p, w in pairs]).on_conflict_do_nothing())
    return {(s.product_id, s.warehouse_id): s for s in db.session.scalars(
        select(Stock).where(tuple_(Stock.product_id, Stock.warehouse_id).in_(pairs))
        .order_by(Stock.product_id, Stock.warehouse_id).with_for_update().execution_options(populate_existing=True))}



def post(stock: Stock, kind: str, on_hand_delta: int = 0, reserved_delta: int = 0, *, actor=None, ref: str = "",
         reason: str = "", reservation_id: int | None = None, issue_id: int | None = None) -> Move:
    """Post one move and apply it to its (locked) stock row."""
    on_hand, reserved = stock.on_hand + on_hand_delta, stock.reserved + reserved_delta
    if on_hand < 0 or reserved < 0 or reserved > on_hand:
        raise ValidationError("موجودی برای این کار کافی نیست.")
    stock.on_hand, stock.reserved = on_hand, reserved
    move = Move(product_id=stock.product_id, warehouse_id=stock.warehouse_id, kind=kind, on_hand_delta=on_hand_delta,
                reserved_delta=reserved_delta, ref=ref[:120], reason=reason[:400], reservation_id=reservation_id,
                issue_id=issue_id, created_by_id=actor.id if actor is not None else None)
    db.session.add(move)
    return move


def _warehouse(warehouse_id, field: str = "warehouse_id") -> Warehouse:
    warehouse = db.session.get(Warehouse, int(warehouse_id or 0)) if str(warehouse_id or "").isdigit() else None
    if warehouse is None or not warehouse.active:
        raise ValidationError({field: "انبار انتخاب‌شده وجود ندارد یا غیرفعال است."})
    return warehouse


def _product(product_id) -> Product:
    product = db.session.get(Product, int(product_id or 0)) if str(product_id or "").isdigit() else None
    if product is None:
        raise ValidationError({"product_id": "کالا را انتخاب کنید."})
    return product


def receipt(warehouse_id, product_id, qty, actor, reason: str = "") -> Move:
    """رسید انبار: units come in."""
    warehouse, product, q = _warehouse(warehouse_id), _product(product_id), quantity(qty)
    begin_write()
    stock = lock([(product.id, warehouse.id)])[(product.id, warehouse.id)]
    move = post(stock, "receipt", on_hand_delta=q, actor=actor, reason=(reason or "").strip())
    db.session.commit()
    return move


def adjust(warehouse_id, product_id, counted, actor, reason: str) -> Move | None:
    """A stock count: the counted quantity replaces on-hand, posted as an adjustment with a reason.
    Refused when fewer units would remain than are reserved."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "دلیل اصلاح موجودی را بنویسید."})
    if len(reason) > 400:
        raise ValidationError({"reason": "دلیل نباید بیش از ۴۰۰ نویسه باشد."})
    warehouse, product = _warehouse(warehouse_id), _product(product_id)
    counted = quantity(counted, "شمارش", allow_negative=True)
    if counted < 0:
        raise ValidationError({"quantity": "موجودی شمارش‌شده نمی‌تواند منفی باشد."})
    begin_write()
    stock = lock([(product.id, warehouse.id)])[(product.id, warehouse.id)]
    delta = counted - stock.on_hand
    if counted < stock.reserved:
        raise ValidationError({"quantity": f"{_fa(stock.reserved)} واحد از این کالا برای سفارش‌ها رزرو است؛ موجودی "
                                           "کمتر از آن نمی‌شود مگر رزروها خارج یا آزاد شوند."})
    move = post(stock, "adjustment", on_hand_delta=delta, actor=actor, reason=reason) if delta else None
    db.session.commit()
    return move


def transfer(from_id, to_id, product_id, qty, actor, reason: str = "") -> tuple[Move, Move]:
    source, target, product, q = _warehouse(from_id), _warehouse(to_id, "to_id"), _product(product_id), quantity(qty)
    if source.id == target.id:
        raise ValidationError({"to_id": "انبار مقصد باید با مبدأ فرق داشته باشد."})
    begin_write()
    stocks = lock([(product.id, source.id), (product.id, target.id)])
    out_stock = stocks[(product.id, source.id)]
    if out_stock.available < q:
        raise ValidationError({"quantity": f"در «{source.name}» فقط {_fa(out_stock.available)} واحد آزاد (رزرونشده) هست."})
    ref = f"inventory.transfer:{source.id}-{target.id}"
    out = post(out_stock, "transfer_out", on_hand_delta=-q, actor=actor, ref=ref, reason=reason)
    into = post(stocks[(product.id, target.id)], "transfer_in", on_hand_delta=q, actor=actor, ref=ref, reason=reason)
    db.session.commit()
    return out, into


def balances_from_moves():
    """(product_id, warehouse_id) → (on_hand, reserved) computed from the ledger alone."""
    rows = db.session.execute(select(Move.product_id, Move.warehouse_id, func.sum(Move.on_hand_delta),
                                     func.sum(Move.reserved_delta)).group_by(Move.product_id, Move.warehouse_id))
    return {(p, w): (int(h or 0), int(r or 0)) for p, w, h, r in rows}
