"""The customer lists (my customers, my subordinates', all, free pool) as one query builder,
so every list, export and API endpoint filters, searches and sorts the same way."""
from __future__ import annotations

from sqlalchemy import and_, or_, select

from core.access import subordinate_ids
from core.models.parties import Party, PartyPhone
from core.persian import like_pattern, to_ascii_digits
from plugins.crm.models import STATUSES, Customer, Negotiation
from plugins.crm.services.visibility import negotiation_filter, pool_condition

LISTS = {"my": "مشتریان من", "team": "مشتریان زیرمجموعه", "all": "همهٔ مشتریان", "pool": "لیست آزاد"}
SORTS = {
    "name": Party.name,
    "registered": Customer.registered_at,
    "status": Negotiation.status,
    "window": Negotiation.window_end,
    # The current negotiation's last activity, copied onto the customer so the sort walks an index.
    "activity": Customer.last_activity_at,
    "next": Negotiation.next_contact,
}


def customer_list(user, which: str, *, q: str = "", status: str = "", owner_id: int | None = None,
                  office_id: int | None = None, category_id: int | None = None,
                  product_id: int | None = None, sort: str = "-registered"):
    """SELECT (Customer, Party, Negotiation) rows for one list, filtered and sorted."""
    stmt = (select(Customer, Party, Negotiation)
            .join(Party, Party.id == Customer.party_id)
            .join(Negotiation, Negotiation.id == Customer.current_negotiation_id)
            .where(Party.merged_into_id.is_(None)))
    if which == "my":
        stmt = stmt.where(Negotiation.owner_id == user.id)
    elif which == "team":
        stmt = stmt.where(Negotiation.owner_id.in_(subordinate_ids(user.id) or [-1]))
    elif which == "pool":
        stmt = stmt.where(pool_condition())
    if which != "pool":
        # Lists show customers through their current negotiation; the pool is open to all. A
        # visible current negotiation makes its customer visible, so `customer_filter` (an OR
        # of sub-selects over every negotiation) would add nothing but a scan.
        stmt = stmt.where(negotiation_filter(user))
    if q:
        digits = "".join(ch for ch in to_ascii_digits(q) if ch.isdigit())
        conditions = [Party.search_key.like(like_pattern(q), escape="\\")]
        if len(digits) >= 4:
            conditions.append(Party.id.in_(select(PartyPhone.party_id).where(PartyPhone.e164.like(f"%{digits.lstrip('0')}%"))))
            conditions.append(Party.national_id == digits)
        stmt = stmt.where(or_(*conditions))
    if status in STATUSES:
        stmt = stmt.where(Negotiation.effective_status == status)
    if owner_id:
        stmt = stmt.where(Negotiation.owner_id == owner_id)
    if office_id:
        stmt = stmt.where(Negotiation.office_id == office_id)
    if category_id:
        stmt = stmt.where(Customer.category_id == category_id)
    if product_id:
        stmt = stmt.where(Customer.product_id == product_id)
    key = sort.lstrip("-") if sort.lstrip("-") in SORTS else "registered"
    column = SORTS[key]
    stmt = stmt.order_by(column.desc() if sort.startswith("-") else column.asc(), Customer.id.desc())
    return stmt


def visible_negotiations(user, customer_id: int):
    """The customer's negotiations `user` may read, newest first. A customer in the free pool
    shows its whole history to everyone who may claim it, except other reps' won deals."""
    from core.access import can
    condition = negotiation_filter(user)
    if can(user, "crm.free_pool"):
        in_pool = select(Customer.id).join(Negotiation, Negotiation.id == Customer.current_negotiation_id).where(
            Customer.id == customer_id, pool_condition()).exists()
        condition = or_(condition, and_(in_pool, Negotiation.status != "won"))
    return (select(Negotiation).where(Negotiation.customer_id == customer_id, condition)
            .order_by(Negotiation.id.desc()))


def negotiation_list(user, *, owner_id=None, status=None, date_from=None, date_to=None, stale=None):
    """Negotiations behind a report number (drill-down), visible to `user`."""
    stmt = (select(Negotiation, Customer, Party)
            .join(Customer, Customer.id == Negotiation.customer_id)
            .join(Party, Party.id == Customer.party_id)
            .where(negotiation_filter(user)))
    if owner_id:
        stmt = stmt.where(Negotiation.owner_id == owner_id)
    if status in STATUSES:
        stmt = stmt.where(Negotiation.effective_status == status)
    if date_from is not None:
        stmt = stmt.where(Negotiation.window_start >= date_from)
    if date_to is not None:
        stmt = stmt.where(Negotiation.window_start < date_to)
    return stmt.order_by(Negotiation.id.desc())



