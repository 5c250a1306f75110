"""Customer registration and editing. Registering opens the rep's negotiation."""
from __future__ import annotations

from sqlalchemy import select

from core.db import begin_write, db
from core.models.products import Product
from core.services.parties import save_party
from core.validation import Checker, ValidationError
from plugins.crm.models import LIST_KINDS, Customer, ListItem, Negotiation
from plugins.crm.services import dup_audit, match_index
from plugins.crm.services import negotiations as neg_service
from plugins.crm.services.duplicates import Match, find_duplicates

LIST_FIELDS = {"category_id": "category", "activity_id": "activity", "source_id": "source",
               "marketer_id": "marketer"}


class DuplicateWarning(Exception):
    """Possible duplicates were found; the rep must look at them and confirm "not a duplicate".
    `matches` are the raw matches, `shown` what the rep may see of them (masked),
    `warning_id` the stored warning to pass back with the confirmation."""

    def __init__(self, matches: list[Match], shown: list[dict] | None = None, warning_id: int | None = None):
        super().__init__("مشتری(های) مشابه پیدا شد.")
        self.matches, self.shown, self.warning_id = matches, shown or [], warning_id


def _crm_fields(data: dict, c: Checker, customer: Customer | None = None) -> dict:
    """The master-list and product picks; an edited customer may keep a pick that has since
    been deactivated (only new picks must be active)."""
    out = {}
    for field, kind in LIST_FIELDS.items():
        value = c.integer(field, LIST_KINDS[kind])
        if value:
            item = db.session.get(ListItem, value)
            kept = customer is not None and getattr(customer, field) == value
            if item is None or item.kind != kind or not (item.active or kept):
                c.fail(field, f"«{LIST_KINDS[kind]}» انتخاب‌شده معتبر نیست.")
        out[field] = value or None
    product_id = c.integer("product_id", "محصول مورد علاقه")
    if product_id:
        product = db.session.get(Product, product_id)
        kept = customer is not None and customer.product_id == product_id
        if product is None or not (product.active or kept):
            c.fail("product_id", "محصول انتخاب‌شده وجود ندارد یا غیرفعال است.")
    out["product_id"] = product_id or None
    return out


def register(data: dict, actor, *, confirmed_not_duplicate: bool = False,
             reopen_customer_id: int | None = None, warning_id: int | None = None,
             via: str = "register") -> Negotiation:
    """Register a customer and open `actor`'s negotiation, or — for a customer whose current
    negotiation is `won` — open a new sale on it (`reopen_customer_id`). Raises
    `DuplicateWarning` when likely duplicates exist and the rep has not confirmed; every
    warning shown and every dismissal is stored for the administrator and inspector."""
    if reopen_customer_id is not None:
        return _reopen_won(reopen_customer_id, actor)
    c = Checker(data)
    fields = _crm_fields(data, c)
    c.done()
    matches = find_duplicates(data, office_area_code=actor.office.area_code if actor.office else None)
    shown = dup_audit.describe(matches, actor)
    if matches and not confirmed_not_duplicate:
        warning = dup_audit.record(actor, data, shown)
        db.session.commit()
        raise DuplicateWarning(matches, shown, warning.id)
    db.session.rollback()  # end the read transaction before taking the write lock
    begin_write()
    me = neg_service._lock_user(actor.id)
    neg_service.check_capacity(me)
    party = save_party({**data, "created_by_id": me.id, "office_id": me.office_id},
                       office_area_code=me.office.area_code if me.office else None, commit=False)
    customer = Customer(party_id=party.id, registered_by_id=me.id, **fields)
    db.session.add(customer)
    db.session.flush()
    match_index.reindex(customer)
    if matches and not dup_audit.dismiss(warning_id, me, customer.id):
        # Confirmed without a stored warning of one's own (an API client): store it now.
        dup_audit.dismiss(dup_audit.record(me, data, shown).id, me, customer.id)
    negotiation = neg_service.open_negotiation(customer, me, via)
    neg_service._fire(negotiation, None, "negotiating", me)
    db.session.commit()
    return negotiation


def _reopen_won(customer_id: int, actor) -> Negotiation:
    begin_write()
    customer = db.session.execute(select(Customer).where(Customer.id == customer_id).with_for_update(of=Customer)).scalar_one_or_none()
    current = db.session.get(Negotiation, customer.current_negotiation_id) if customer else None
    if customer is None or current is None:
        raise neg_service.NotFound("مشتری پیدا نشد.")
    if current.effective_status != "won":
        raise ValidationError("فقط برای مشتری‌ای که معامله‌اش قطعی شده می‌توان فروش تازه ثبت کرد؛ "
                              "مشتری آزاد را از لیست آزاد بردارید.")
    me = neg_service._lock_user(actor.id)
    neg_service.check_capacity(me)
    negotiation = neg_service.open_negotiation(customer, me, "register", previous=current)
    neg_service._fire(negotiation, None, "negotiating", me)
    db.session.commit()
    return negotiation


def update(customer: Customer, data: dict, actor) -> Customer:
    c = Checker(data)
    fields = _crm_fields(data, c, customer)
    c.done()
    save_party(data, customer.party, office_area_code=actor.office.area_code if actor.office else None,
               commit=False)
    for key, value in fields.items():
        setattr(customer, key, value)
    match_index.reindex(customer)
    db.session.commit()
    return customer
