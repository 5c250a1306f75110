"""Whose books a user may read: the row visibility of every finance list, page, export and API
call.

Finance staff, administrators and inspectors (`finance.scope_all`) see the whole company's
books. Anyone else who may open the finance screens (`finance.view`: an office's sales manager by
default) sees their own office's: its invoices and credit notes, and the customers who have one
(their accounts, statements, receipts and cheques), less the customers the CRM hides from them
(`core.access.party_visible`: another rep's won customer). A customer another office sells to
stays out of sight; a user without an office sees nothing. Invoices carry the office of their
order.
"""
from __future__ import annotations

from sqlalchemy import and_, exists, false, select, true
from sqlalchemy.orm import aliased

from core.access import can, parties_shown
from core.db import db
from core.models.parties import Party
from plugins.finance.models import Invoice

ALL = "finance.scope_all"


def office_of(user) -> int | None | bool:
    """None: every office; an office id: that office's books; False: none."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    if can(user, ALL):
        return None
    return user.office_id if user.office_id is not None else False


def office_name(user) -> str | None:
    """What the screens say of a limited view: the office's name, "" for no office; None when
    the user reads every office's books."""
    office = office_of(user)
    if office is None:
        return None
    if office is False:
        return ""
    from core.models.org import Office
    found = db.session.get(Office, office)
    return found.name if found else ""


def invoice_condition(user, model=Invoice):
    office = office_of(user)
    if office is None:
        return true()
    if office is False:
        return false()
    return and_(model.office_id == office, _shown(user, office, model.party_id))


def party_condition(user, party_id_column):
    """The customer has an invoice (or credit note) of the user's office."""
    office = office_of(user)
    if office is None:
        return true()
    if office is False:
        return false()
    own = aliased(Invoice)  # never correlated with an outer query over invoices
    return and_(exists().where(own.party_id == party_id_column, own.office_id == office),
                _shown(user, office, party_id_column))


def _shown(user, office: int, party_id_column):
    """Less the customers of the office's invoices that the CRM hides from `user`."""
    own = aliased(Invoice)
    return parties_shown(user, party_id_column, select(own.party_id).where(own.office_id == office), "finance.office")


def may_see_party(user, party_id: int | None) -> bool:
    return bool(party_id) and db.session.scalar(
        select(Party.id).where(Party.id == party_id, party_condition(user, Party.id))) is not None
