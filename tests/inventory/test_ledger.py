"""The ledger: on-hand = receipts − issues ± adjustments ± transfers, available = on-hand −
reserved, after any sequence of operations; bad input refused with nothing written."""
import itertools

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from sqlalchemy import func, select

from core.validation import ValidationError
from plugins.inventory.models import Move, Stock
from plugins.inventory.services import ledger


def stock_of(db, product, warehouse):
    return db.session.get(Stock, (product.id, warehouse.id))


def test_receipt_adjust_transfer(db, stockroom):
    r = stockroom
    ledger.receipt(r.w_tehran.id, r.reader.id, "۱۲", r.keeper)
    ledger.adjust(r.w_tehran.id, r.reader.id, 10, r.keeper, "شمارش پایان ماه: دو دستگاه آسیب‌دیده")
    ledger.transfer(r.w_tehran.id, r.w_isfahan.id, r.reader.id, 4, r.keeper)
    assert (stock_of(db, r.reader, r.w_tehran).on_hand, stock_of(db, r.reader, r.w_isfahan).on_hand) == (6, 4)
    assert [m.kind for m in db.session.scalars(select(Move).order_by(Move.id))] == \
        ["receipt", "adjustment", "transfer_out", "transfer_in"]


@pytest.mark.parametrize("call, message", [
    (lambda r: ledger.receipt(r.w_tehran.id, r.reader.id, -5, r.keeper), "بیشتر از صفر"),
    (lambda r: ledger.receipt(r.w_tehran.id, r.reader.id, "پنج", r.keeper), "عدد صحیح"),
    (lambda r: ledger.receipt(9999, r.reader.id, 5, r.keeper), "انبار"),
    (lambda r: ledger.transfer(r.w_tehran.id, r.w_tehran.id, r.reader.id, 1, r.keeper), "مقصد"),
    (lambda r: ledger.transfer(r.w_tehran.id, r.w_isfahan.id, r.reader.id, 50, r.keeper), "آزاد"),
    (lambda r: ledger.adjust(r.w_tehran.id, r.reader.id, 3, r.keeper, ""), "دلیل"),
    (lambda r: ledger.adjust(r.w_tehran.id, r.reader.id, -3, r.keeper, "x"), "منفی"),
])
def test_bad_input_writes_nothing(db, stockroom, call, message):
    ledger.receipt(stockroom.w_tehran.id, stockroom.reader.id, 5, stockroom.keeper)
    before = db.session.scalar(select(func.count(Move.id)))
    with pytest.raises(ValidationError, match=message):
        call(stockroom)
    db.session.rollback()
    assert db.session.scalar(select(func.count(Move.id))) == before
    assert stock_of(db, stockroom.reader, stockroom.w_tehran).on_hand == 5


def test_posted_moves_cannot_be_edited_or_deleted(db, stockroom):
    move = ledger.receipt(stockroom.w_tehran.id, stockroom.reader.id, 5, stockroom.keeper)
    move = db.session.get(Move, move.id)
    move.on_hand_delta = 500
    with pytest.raises(ValidationError, match="اصلاحی"):
        db.session.commit()
    db.session.rollback()
    db.session.delete(db.session.get(Move, move.id))
    with pytest.raises(ValidationError, match="اصلاحی"):
        db.session.commit()
    db.session.rollback()
    assert db.session.get(Move, move.id).on_hand_delta == 5


PRODUCT_CODES = itertools.count()
OPS = st.lists(st.tuples(st.sampled_from(["receipt", "adjust", "transfer", "reserve", "issue", "cancel"]),
                         st.integers(0, 1), st.integers(1, 15)), min_size=1, max_size=25)


@pytest.mark.sqlite_only
@hsettings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_balances_always_follow_the_ledger(db, stockroom, order_for, ops):
    from plugins.crm.services import orders
    from plugins.inventory.models import Reservation
    from plugins.inventory.services import reservations
    from core.models.products import Product
    r = stockroom
    # Hypothesis runs many examples on one fixture: each example gets a product of its own (a
    # counter: `id(ops)` was reused once an earlier example's list was freed, a duplicate code).
    product = Product(code=f"H{next(PRODUCT_CODES)}", name="کالای آزمون", list_price=1000, cost_price=1, search_key="h")
    db.session.add(product)
    r.rep.max_open_negotiations = 100_000
    db.session.commit()
    warehouses = [r.w_tehran, r.w_isfahan]
    confirmed = []
    for op, w, n in ops:
        try:
            if op == "receipt":
                ledger.receipt(warehouses[w].id, product.id, n, r.keeper)
            elif op == "adjust":
                current = stock_of(db, product, warehouses[w])
                ledger.adjust(warehouses[w].id, product.id, max(0, (current.on_hand if current else 0) - n // 3),
                              r.keeper, "شمارش")
            elif op == "transfer":
                ledger.transfer(warehouses[w].id, warehouses[1 - w].id, product.id, n, r.keeper)
            elif op == "reserve":
                order = order_for(r.rep, [(product, n)])
                orders.confirm(order.id, r.rep)
                confirmed.append(order.id)
            elif op == "issue" and confirmed:
                open_ones = [x for x in db.session.scalars(select(Reservation).where(Reservation.product_id == product.id))
                             if x.remaining > 0]
                if open_ones:
                    reservations.issue({open_ones[0].id: min(n, open_ones[0].remaining)}, r.keeper)
            elif op == "cancel" and confirmed:
                orders.cancel(confirmed.pop(0), r.rep, "انصراف")
        except ValidationError:
            db.session.rollback()
    ledger_sums = ledger.balances_from_moves()
    for stock in db.session.scalars(select(Stock).where(Stock.product_id == product.id)):
        on_hand, reserved = ledger_sums.get((stock.product_id, stock.warehouse_id), (0, 0))
        assert (stock.on_hand, stock.reserved) == (on_hand, reserved)
        assert 0 <= stock.reserved <= stock.on_hand and stock.available == on_hand - reserved
    mine = Move.product_id == product.id

    def total(kind, sign=1):
        return db.session.scalar(select(func.coalesce(func.sum(sign * Move.on_hand_delta), 0)).where(mine, Move.kind == kind))
    on_hand = db.session.scalar(select(func.coalesce(func.sum(Stock.on_hand), 0)).where(Stock.product_id == product.id))
    assert on_hand == total("receipt") - total("issue", -1) + total("adjustment")  # transfers create no units
