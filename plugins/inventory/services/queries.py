"""Read models for the warehouse screens and the API: stock, the queue of reservations waiting
to be issued, an order's reservations, goods-issue slips and the movement ledger.

Each list is a statement (so the screens page it, export it and the API pages it the same way)
plus a loader for what a page of it shows, in a fixed number of queries.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import case, func, literal, or_, select, true, tuple_
from sqlalchemy.orm import joinedload, selectinload

from core.access import parties_shown
from core.db import db
from core.models.parties import Party
from core.models.products import Product
from core.persian import like_pattern, normalize, to_ascii_digits
from core.validation import ValidationError
from plugins.inventory.models import MOVE_KINDS, GoodsIssue, Move, ProductStockSetting, Reservation, Stock, Warehouse

OPEN = Reservation.quantity > Reservation.issued + Reservation.released
REMAINING = Reservation.quantity - Reservation.issued - Reservation.released


# --- stock --------------------------------------------------------------------------------------

@dataclasses.dataclass
class StockRow:
    product: Product
    warehouse: Warehouse | None   # None: the product's total over the warehouses shown
    on_hand: int
    reserved: int
    reorder: int

    @property
    def available(self) -> int:
        return self.on_hand - self.reserved

    @property
    def level(self) -> str:
        """out (nothing available), low (available ≤ the reorder level) or ok."""
        if self.available <= 0:
            return "out"
        return "low" if self.available <= self.reorder else "ok"


STOCK_SORTS = ("code", "name", "warehouse", "on_hand", "reserved", "available", "reorder")


def stock_query(q: str = "", warehouse_id: int | None = None, low_only: bool = False, sort: str = "code",
                per: str = "warehouse"):
    """One row per product and warehouse (`per="warehouse"`) or per product over the warehouses
    (`per="product"`, a warehouse filter narrows the sum): product, warehouse id, on-hand,
    reserved, reorder level. `q` matches the normalised code and name; `low_only` keeps rows
    whose available units are at or below the product's reorder level; `sort` is one of
    `STOCK_SORTS`, `-` first for descending. Products not kept in stock are left out."""
    reorder = func.coalesce(ProductStockSetting.reorder_level, 0)
    if per == "product":
        sums = select(Stock.product_id, func.sum(Stock.on_hand).label("on_hand"),
                      func.sum(Stock.reserved).label("reserved")).group_by(Stock.product_id)
        if warehouse_id:
            sums = sums.where(Stock.warehouse_id == warehouse_id)
        sums = sums.subquery()
        on_hand, reserved, warehouse = sums.c.on_hand, sums.c.reserved, literal(None).label("warehouse_id")
        stmt = select(Product, warehouse, on_hand, reserved, reorder.label("reorder")).join(
            sums, sums.c.product_id == Product.id)
        warehouse_name = Product.code
    else:
        on_hand, reserved = Stock.on_hand, Stock.reserved
        stmt = (select(Product, Stock.warehouse_id, on_hand, reserved, reorder.label("reorder"))
                .join(Stock, Stock.product_id == Product.id).join(Warehouse, Warehouse.id == Stock.warehouse_id))
        if warehouse_id:
            stmt = stmt.where(Stock.warehouse_id == warehouse_id)
        warehouse_name = Warehouse.name
    stmt = stmt.outerjoin(ProductStockSetting, ProductStockSetting.product_id == Product.id).where(
        or_(ProductStockSetting.tracked.is_(None), ProductStockSetting.tracked.is_(True)))
    if q and normalize(q):
        stmt = stmt.where(Product.search_key.like(like_pattern(q), escape="\\"))
    if low_only:
        stmt = stmt.where(on_hand - reserved <= reorder)
    columns = {"code": Product.code, "name": Product.name, "warehouse": warehouse_name, "on_hand": on_hand,
               "reserved": reserved, "available": on_hand - reserved, "reorder": reorder}
    key = sort if sort.lstrip("-") in columns else "code"
    column = columns[key.lstrip("-")]
    tie = [Product.code] + ([Warehouse.id] if per != "product" else [])
    return stmt.order_by(column.desc() if key.startswith("-") else column.asc(), *tie), key


def stock_rows(q: str = "", warehouse_id: int | None = None, low_only: bool = False, sort: str = "code",
               per: str = "warehouse", limit: int | None = None, offset: int = 0) -> list[StockRow]:
    stmt, _key = stock_query(q, warehouse_id, low_only, sort, per)
    if limit is not None:
        stmt = stmt.limit(limit).offset(offset)
    return to_stock_rows(db.session.execute(stmt).all())


def to_stock_rows(rows) -> list[StockRow]:
    warehouses = {w.id: w for w in db.session.scalars(select(Warehouse))}
    return [StockRow(product, warehouses.get(wid), int(on_hand or 0), int(reserved or 0), int(reorder or 0))
            for product, wid, on_hand, reserved, reorder in rows]


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def stock_of(product_id: int, warehouse_id: int) -> Stock | None:
    return db.session.get(Stock, (product_id, warehouse_id))


def warehouses(active_only: bool = False) -> list[Warehouse]:
    stmt = select(Warehouse).options(joinedload(Warehouse.office)).order_by(Warehouse.active.desc(), Warehouse.code)
    if active_only:
        stmt = stmt.where(Warehouse.active.is_(True))
    return list(db.session.scalars(stmt))


def warehouse_totals() -> dict[int, tuple[int, int, int]]:
    """warehouse id → (products held, units on hand, units reserved)."""
    rows = db.session.execute(select(Stock.warehouse_id, func.count().filter(Stock.on_hand > 0),
                                     func.coalesce(func.sum(Stock.on_hand), 0), func.coalesce(func.sum(Stock.reserved), 0))
                              .group_by(Stock.warehouse_id))
    return {w: (int(n or 0), int(h or 0), int(r or 0)) for w, n, h, r in rows}


def find_product(text: str, field: str = "product", tracked_only: bool = True) -> Product:
    """The product a storekeeper typed: its code (as the suggestions fill it in, «code — name»),
    or a name matching exactly one product. Refused in Persian otherwise."""
    text = (text or "").strip()
    if not text:
        raise ValidationError({field: "کالا را انتخاب کنید (کد یا نام)."})
    code = text.split(" — ", 1)[0].strip()
    product = db.session.scalar(select(Product).where(func.lower(Product.code) == to_ascii_digits(code).lower()))
    if product is None:
        key = normalize(text)
        matches = db.session.scalars(select(Product).where(
            or_(Product.search_key == key, Product.search_key.like(like_pattern(text), escape="\\"))).limit(2)).all()
        exact = [p for p in matches if normalize(p.name) == key]
        product = exact[0] if len(exact) == 1 else (matches[0] if len(matches) == 1 else None)
        if product is None:
            raise ValidationError({field: "چند کالا با این نام هست؛ کد کالا را بنویسید یا از پیشنهادها انتخاب کنید."
                                   if matches else f"کالایی با کد یا نام «{text}» پیدا نشد."})
    if tracked_only and not is_tracked(product.id):
        raise ValidationError({field: f"«{product.name}» کالای انباری نیست (خدمت یا مجوز)؛ موجودی ندارد."})
    return product


def is_tracked(product_id: int) -> bool:
    return db.session.scalar(select(ProductStockSetting.tracked).where(ProductStockSetting.product_id == product_id)) \
        is not False


def product_suggestions(q: str, limit: int = 15) -> list[Product]:
    """Products kept in stock whose code or name match `q`, codes first."""
    if not normalize(q):
        return []
    stmt = (select(Product).outerjoin(ProductStockSetting, ProductStockSetting.product_id == Product.id)
            .where(Product.active.is_(True), Product.search_key.like(like_pattern(q), escape="\\"),
                   or_(ProductStockSetting.tracked.is_(None), ProductStockSetting.tracked.is_(True)))
            .order_by(case((func.lower(Product.code).startswith(normalize(q)), 0), else_=1), Product.code).limit(limit))
    return list(db.session.scalars(stmt))


def product_settings(q: str = ""):
    """Products with their stock settings, for the reorder-level screen."""
    stmt = (select(Product, func.coalesce(ProductStockSetting.reorder_level, 0), func.coalesce(ProductStockSetting.tracked, True))
            .outerjoin(ProductStockSetting, ProductStockSetting.product_id == Product.id).order_by(Product.code))
    if q and normalize(q):
        stmt = stmt.where(Product.search_key.like(like_pattern(q), escape="\\"))
    return stmt


# --- reservations -------------------------------------------------------------------------------

@dataclasses.dataclass
class WaitingGroup:
    """What one order waits for in one warehouse: the unit of a goods-issue slip."""
    order_ref: str
    order_number: int
    warehouse: Warehouse
    party: Party
    since: dt.datetime
    units: int
    lines: list[Reservation] = dataclasses.field(default_factory=list)


def _order_number_filter(q: str):
    digits = to_ascii_digits(q.strip())
    return Reservation.order_number == int(digits) if digits.isdigit() and len(digits) < 10 else None


def _shown(viewer, party_id_column):
    """Rows naming a customer: those `viewer` may see (`core.access.parties_shown`; the CRM hides
    another rep's won customer); no viewer, every row (the services' own look-ups)."""
    if viewer is None:
        return true()
    model = party_id_column.class_
    return parties_shown(viewer, party_id_column, select(party_id_column), f"inventory.{model.__tablename__}")


def waiting_query(warehouse_id: int | None = None, q: str = "", viewer=None):
    """Open reservations grouped by order and warehouse, oldest first (the warehouse's queue)."""
    stmt = (select(Reservation.order_ref, Reservation.warehouse_id, func.max(Reservation.order_number),
                   func.max(Reservation.party_id), func.min(Reservation.created_at), func.sum(REMAINING))
            .where(OPEN, _shown(viewer, Reservation.party_id)).group_by(Reservation.order_ref, Reservation.warehouse_id)
            .order_by(func.min(Reservation.created_at), func.min(Reservation.id)))
    if warehouse_id:
        stmt = stmt.where(Reservation.warehouse_id == warehouse_id)
    q = (q or "").strip()
    if q:
        by_number = _order_number_filter(q)
        by_name = Reservation.party_id.in_(select(Party.id).where(Party.search_key.like(like_pattern(q), escape="\\")))
        stmt = stmt.where(or_(by_number, by_name) if by_number is not None else by_name)
    return stmt


def waiting_groups(rows) -> list[WaitingGroup]:
    """The groups of a page of `waiting_query`, with their open lines (three queries)."""
    rows = list(rows)
    if not rows:
        return []
    parties = {p.id: p for p in db.session.scalars(select(Party).where(Party.id.in_({r[3] for r in rows})))}
    houses = {w.id: w for w in db.session.scalars(select(Warehouse))}
    groups = {(ref, wid): WaitingGroup(ref, number, houses[wid], parties[pid], since, int(units))
              for ref, wid, number, pid, since, units in rows}
    lines = db.session.scalars(select(Reservation).options(joinedload(Reservation.product)).where(
        OPEN, tuple_(Reservation.order_ref, Reservation.warehouse_id).in_(list(groups))).order_by(Reservation.id))
    for line in lines:
        groups[(line.order_ref, line.warehouse_id)].lines.append(line)
    return list(groups.values())


def waiting_count(warehouse_id: int | None = None, viewer=None) -> int:
    return count(waiting_query(warehouse_id, viewer=viewer))


def issue_group(order_ref: str, warehouse_id: int) -> WaitingGroup | None:
    """The open reservations of one order in one warehouse (the «خروج کالا» form)."""
    rows = db.session.execute(waiting_query().where(Reservation.order_ref == order_ref,
                                                    Reservation.warehouse_id == warehouse_id)).all()
    groups = waiting_groups(rows)
    return groups[0] if groups else None


def order_reservations(order_ref: str) -> list[Reservation]:
    return list(db.session.scalars(select(Reservation).options(
        joinedload(Reservation.product), joinedload(Reservation.warehouse), joinedload(Reservation.party))
        .where(Reservation.order_ref == order_ref).order_by(Reservation.warehouse_id, Reservation.id)))


def reservations_query(warehouse_id: int | None = None, order_ref: str | None = None, open_only: bool = True,
                       party_id: int | None = None, product_id: int | None = None, viewer=None):
    stmt = select(Reservation).options(joinedload(Reservation.product), joinedload(Reservation.warehouse)) \
        .where(_shown(viewer, Reservation.party_id)).order_by(Reservation.id.desc())
    if open_only:
        stmt = stmt.where(OPEN)
    for column, value in ((Reservation.warehouse_id, warehouse_id), (Reservation.order_ref, order_ref),
                          (Reservation.party_id, party_id), (Reservation.product_id, product_id)):
        if value:
            stmt = stmt.where(column == value)
    return stmt


# --- goods-issue slips --------------------------------------------------------------------------

def issues_query(warehouse_id: int | None = None, q: str = "", order_ref: str | None = None, viewer=None):
    stmt = select(GoodsIssue).options(joinedload(GoodsIssue.warehouse), joinedload(GoodsIssue.party),
                                      joinedload(GoodsIssue.created_by)).where(
        _shown(viewer, GoodsIssue.party_id)).order_by(GoodsIssue.id.desc())
    if warehouse_id:
        stmt = stmt.where(GoodsIssue.warehouse_id == warehouse_id)
    if order_ref:
        stmt = stmt.where(GoodsIssue.order_ref == order_ref)
    q = (q or "").strip()
    if q:
        digits = to_ascii_digits(q)
        conditions = [GoodsIssue.party_id.in_(select(Party.id).where(Party.search_key.like(like_pattern(q), escape="\\")))]
        if digits.isdigit() and len(digits) < 10:
            number = int(digits)
            conditions += [GoodsIssue.number == number, GoodsIssue.order_ref.in_(
                select(Reservation.order_ref).where(Reservation.order_number == number))]
        stmt = stmt.where(or_(*conditions))
    return stmt


@dataclasses.dataclass
class SlipLine:
    product: Product
    quantity: int


def slip(number: int, viewer=None) -> tuple[GoodsIssue, int, list[SlipLine]] | None:
    """A slip by its number, with its order number and its lines (one per product); None when
    there is none, or `viewer` may not see its customer."""
    issue = db.session.scalar(select(GoodsIssue).options(
        joinedload(GoodsIssue.warehouse), joinedload(GoodsIssue.party), joinedload(GoodsIssue.created_by),
        selectinload(GoodsIssue.moves).joinedload(Move.product)).where(
        GoodsIssue.number == number, _shown(viewer, GoodsIssue.party_id)))
    if issue is None:
        return None
    lines: dict[int, SlipLine] = {}
    for move in issue.moves:
        line = lines.setdefault(move.product_id, SlipLine(move.product, 0))
        line.quantity += -move.on_hand_delta
    return issue, order_number(issue.order_ref), list(lines.values())


def order_numbers(order_refs) -> dict[str, int]:
    """order reference → its number (as the reservations carry it from the order payload)."""
    refs = set(order_refs)
    if not refs:
        return {}
    return dict(db.session.execute(select(Reservation.order_ref, func.max(Reservation.order_number))
                                   .where(Reservation.order_ref.in_(refs)).group_by(Reservation.order_ref)).all())


def order_number(order_ref: str) -> int | None:
    return db.session.scalar(select(Reservation.order_number).where(Reservation.order_ref == order_ref).limit(1))


def slip_units(issue_ids) -> dict[int, int]:
    ids = list(issue_ids)
    if not ids:
        return {}
    return {i: int(-(n or 0)) for i, n in db.session.execute(
        select(Move.issue_id, func.sum(Move.on_hand_delta)).where(Move.issue_id.in_(ids)).group_by(Move.issue_id))}


# --- the movement ledger ------------------------------------------------------------------------

def moves_query(product_id: int | None = None, warehouse_id: int | None = None, kind: str | None = None,
                date_from: dt.date | None = None, date_to: dt.date | None = None):
    """Posted moves, newest first. Dates are Tehran days, inclusive."""
    from core.jalali import TEHRAN, UTC
    stmt = select(Move).options(joinedload(Move.product), joinedload(Move.warehouse), joinedload(Move.created_by)) \
        .order_by(Move.id.desc())
    if product_id:
        stmt = stmt.where(Move.product_id == product_id)
    if warehouse_id:
        stmt = stmt.where(Move.warehouse_id == warehouse_id)
    if kind in MOVE_KINDS:
        stmt = stmt.where(Move.kind == kind)

    def utc(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(), TEHRAN).astimezone(UTC).replace(tzinfo=None)
    if date_from:
        stmt = stmt.where(Move.at >= utc(date_from))
    if date_to:
        stmt = stmt.where(Move.at < utc(date_to + dt.timedelta(days=1)))
    return stmt


@dataclasses.dataclass
class MoveRef:
    order_ref: str = ""
    order_number: int | None = None
    slip_number: int | None = None
    transfer: str = ""            # the other warehouse's name


def move_refs(moves) -> dict[int, MoveRef]:
    """What each move refers to, for display: its order (number), slip, transfer's other side."""
    moves = list(moves)
    numbers = order_numbers(m.ref for m in moves if m.ref.startswith("crm.order:"))
    slips = dict(db.session.execute(select(GoodsIssue.id, GoodsIssue.number).where(
        GoodsIssue.id.in_({m.issue_id for m in moves if m.issue_id} or {-1}))).all())
    names = {w.id: w.name for w in db.session.scalars(select(Warehouse))}
    out = {}
    for m in moves:
        ref = MoveRef()
        if m.ref in numbers:
            ref.order_ref, ref.order_number = m.ref, numbers[m.ref]
        elif m.ref.startswith("crm.order:"):
            ref.order_ref = m.ref
        if m.issue_id:
            ref.slip_number = slips.get(m.issue_id)
        if m.ref.startswith("inventory.transfer:"):
            try:
                source, target = (int(x) for x in m.ref.split(":", 1)[1].split("-"))
            except ValueError:
                source = target = 0
            ref.transfer = names.get(target if m.kind == "transfer_out" else source, "")
        out[m.id] = ref
    return out


def recent_moves(kind: str | tuple[str, ...], limit: int = 8) -> list[Move]:
    kinds = (kind,) if isinstance(kind, str) else kind
    return list(db.session.scalars(select(Move).options(joinedload(Move.product), joinedload(Move.warehouse),
                                                        joinedload(Move.created_by))
                                   .where(Move.kind.in_(kinds)).order_by(Move.id.desc()).limit(limit)))


def customer_open_reservations(party_id: int, limit: int = 50) -> list[Reservation]:
    return list(db.session.scalars(reservations_query(party_id=party_id).options(joinedload(Reservation.party))
                                   .limit(limit)))

