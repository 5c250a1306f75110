"""Who sees which negotiations and customers (the Saba visibility rules), as SQL conditions.

- administrator and inspector (`crm.scope_all`): everything;
- everyone: their own negotiations and those of their subordinates, recursively;
- reps and managers (`crm.scope_office`): also their office's negotiations, except `won` ones
  (a won customer is hidden from every rep but its owner and those above them);
- a customer is visible when one of its negotiations is, or when it is in the free pool
  (every user may browse the pool, across offices: a free customer is free for everyone).
The same conditions serve lists, pages, reports, exports and the API.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, false, or_, select, true
from sqlalchemy.orm import aliased

from core.access import can, scope_of, subordinate_ids
from plugins.crm.models import POOL_STATUSES, Customer, Negotiation
from plugins.crm.models.negotiations import effective_status_in


def _ids(user) -> list[int]:
    return [user.id, *subordinate_ids(user.id)]


def negotiation_filter(user, model=Negotiation):
    if user is None or not user.is_authenticated or not can(user, "crm.customers"):
        return false()
    scope = scope_of(user, "crm")
    if scope == "all":
        return true()
    mine = model.owner_id.in_(_ids(user))
    if scope == "office" and user.office_id is not None:
        return or_(mine, and_(model.office_id == user.office_id, model.effective_status != "won"))
    return mine


def pool_condition(current=Negotiation):
    """The customer's current negotiation is cut, suspended or (effectively) expired."""
    return effective_status_in(POOL_STATUSES, current)


def customer_filter(user):
    """Condition over `Customer`: visible through a negotiation, or free in the pool."""
    if user is None or not user.is_authenticated or not can(user, "crm.customers"):
        return false()
    if scope_of(user, "crm") == "all":
        return true()
    any_neg, current = aliased(Negotiation), aliased(Negotiation)
    visible = exists().where(any_neg.customer_id == Customer.id, negotiation_filter(user, any_neg)).correlate(Customer)
    in_pool = exists().where(current.id == Customer.current_negotiation_id, pool_condition(current)).correlate(Customer)
    return or_(visible, in_pool) if can(user, "crm.free_pool") else visible


def party_condition(user, party_id_column):
    """The `party_visibility` hook: which parties other plugins may show `user`. None (no limit)
    for users outside the CRM and those who see every office; otherwise a party that is no CRM
    customer, or a customer `customer_filter` lets them see — so another rep's won customer
    stays hidden in support tickets and finance books as it is in the CRM."""
    if user is None or not user.is_authenticated or not can(user, "crm.customers") or scope_of(user, "crm") == "all":
        return None
    customer = aliased(Customer)
    return or_(~exists().where(customer.party_id == party_id_column),
               exists().where(Customer.party_id == party_id_column, customer_filter(user)))


def can_see_customer(user, customer_id: int) -> bool:
    from core.db import db
    return db.session.scalar(select(Customer.id).where(Customer.id == customer_id, customer_filter(user))) is not None


def can_act_on(user, negotiation: Negotiation) -> bool:
    """Change status or log for a negotiation: its owner, those above the owner, or anyone with
    the all-offices scope — and only with the permission for it (checked by the caller)."""
    if scope_of(user, "crm") == "all":
        return True
    return negotiation.owner_id in _ids(user)
