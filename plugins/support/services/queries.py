"""Who sees which tickets, the lists (mine, team queue, all, overdue) with their filters, the
support staff, and the customer search over the core's parties.

Visibility, one helper for every screen, export and API endpoint:
- `support.scope_all`: every ticket;
- otherwise: tickets assigned to or opened by oneself or one's subordinates (in any office), and
  tickets of one's own office whose customer one may see (`core.access.party_visible`: a rep
  does not see another rep's won customer there, as in the CRM).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import re

from sqlalchemy import and_, case, exists, false, func, or_, select, true
from sqlalchemy.orm import joinedload, selectinload

from core.access import can, parties_shown, party_visible, subordinate_ids
from core.db import db
from core.jalali import TEHRAN, UTC, utcnow
from core.models.org import GroupPermission, User, user_groups
from core.models.parties import Party, PartyPhone
from core.persian import like_pattern, normalize, to_ascii_digits
from plugins.support.models import CLOCK_STATUSES, OPEN_STATUSES, PRIORITY_RANK, STATUSES, Ticket

VIEWS = ("mine", "queue", "all", "overdue")


class NotFound(LookupError):
    """A ticket that does not exist or that the user may not see (both are a 404)."""


def visible_filter(user):
    if user is None or not getattr(user, "is_authenticated", False):
        return false()
    if can(user, "support.scope_all"):
        return true()
    ids = [user.id, *subordinate_ids(user.id)]
    conditions = [Ticket.assignee_id.in_(ids), Ticket.created_by_id.in_(ids)]
    if user.office_id is not None:
        office = Ticket.office_id == user.office_id
        conditions.append(and_(office, parties_shown(user, Ticket.party_id, select(Ticket.party_id).where(office),
                                                     "support.office")))
    return or_(*conditions)


def visible_ticket(user, ticket_id, *, lock: bool = False) -> Ticket:
    try:
        ticket_id = int(ticket_id)
    except (TypeError, ValueError):
        raise NotFound("درخواست پیدا نشد.") from None
    stmt = select(Ticket).where(Ticket.id == ticket_id, visible_filter(user))
    if lock:
        stmt = stmt.with_for_update(of=Ticket)
    ticket = db.session.scalar(stmt)
    if ticket is None:
        raise NotFound("درخواست پیدا نشد.")
    return ticket


# --- support staff -----------------------------------------------------------------------------

def _staff_ids():
    return (select(user_groups.c.user_id)
            .join(GroupPermission, GroupPermission.group_id == user_groups.c.group_id)
            .where(GroupPermission.permission == "support.work"))


def support_staff(office_id: int | None = None) -> list[User]:
    """Active users whose groups grant `support.work` (those a ticket may be assigned to)."""
    stmt = select(User).where(User.active.is_(True), User.id.in_(_staff_ids())).options(joinedload(User.office))
    if office_id is not None:
        stmt = stmt.where(User.office_id == office_id)
    return list(db.session.scalars(stmt.order_by(User.last_name, User.first_name, User.id)))


def is_support_staff(user_id: int) -> bool:
    return bool(db.session.scalar(select(User.id).where(User.id == user_id, User.active.is_(True),
                                                          User.id.in_(_staff_ids()))))


# --- lists -------------------------------------------------------------------------------------

@dataclasses.dataclass
class Filters:
    q: str = ""
    status: str = ""                 # a status, "open" or "" (any)
    priority: str = ""
    category_id: int | None = None
    office_id: int | None = None
    assignee_ids: list[int] = dataclasses.field(default_factory=list)
    unassigned: bool = False
    department_id: int | None = None
    party_id: int | None = None
    overdue: bool = False
    created_from: dt.date | None = None   # Tehran days, both included
    created_to: dt.date | None = None
    breached_from: dt.date | None = None
    breached_to: dt.date | None = None
    resolved_from: dt.date | None = None
    resolved_to: dt.date | None = None

    def active(self) -> bool:
        return any(v not in ("", None, False, []) for v in dataclasses.asdict(self).values())


def day_start_utc(day: dt.date) -> dt.datetime:
    """00:00 Tehran of `day`, as naive UTC."""
    return dt.datetime.combine(day, dt.time(), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def _between(column, start: dt.date | None, end: dt.date | None):
    out = []
    if start is not None:
        out.append(column >= day_start_utc(start))
    if end is not None:
        out.append(column < day_start_utc(end + dt.timedelta(days=1)))
    return out


def overdue_condition(now: dt.datetime | None = None):
    return (Ticket.status.in_(CLOCK_STATUSES)) & (Ticket.due_at < (now or utcnow()))


def open_first():
    return case((Ticket.status.in_(OPEN_STATUSES), 0), else_=1)


def priority_rank():
    return case(*[(Ticket.priority == key, rank) for key, rank in PRIORITY_RANK.items()], else_=9)


def ticket_query(user, view: str = "all", f: Filters | None = None, now: dt.datetime | None = None):
    """The tickets of one list, visible to `user`, filtered; unordered (the caller sorts)."""
    f = f or Filters()
    now = now or utcnow()
    stmt = select(Ticket).where(visible_filter(user)).options(
        joinedload(Ticket.party), joinedload(Ticket.assignee), joinedload(Ticket.category),
        joinedload(Ticket.office))
    if view == "mine":
        stmt = stmt.where(Ticket.assignee_id == user.id)
    elif view == "queue":
        stmt = stmt.where(Ticket.status.in_(OPEN_STATUSES))
        if f.office_id is None:
            stmt = stmt.where(Ticket.office_id == user.office_id) if user.office_id else stmt.where(false())
    elif view == "overdue":
        stmt = stmt.where(overdue_condition(now))
    conditions = []
    if f.q:
        text = normalize(f.q)
        digits = to_ascii_digits(f.q).strip().lstrip("#")
        options = [Ticket.search_key.like(like_pattern(f.q), escape="\\"),
                   Ticket.party.has(Party.search_key.like(like_pattern(f.q), escape="\\"))]
        if digits.isdigit() and len(digits) < 10:
            options.append(Ticket.id == int(digits))
            options.append(Ticket.order_number == int(digits))
        if text:
            conditions.append(or_(*options))
    if f.status == "open":
        conditions.append(Ticket.status.in_(OPEN_STATUSES))
    elif f.status in STATUSES:
        conditions.append(Ticket.status == f.status)
    if f.priority:
        conditions.append(Ticket.priority == f.priority)
    if f.category_id:
        conditions.append(Ticket.category_id == f.category_id)
    if f.office_id:
        conditions.append(Ticket.office_id == f.office_id)
    if f.assignee_ids or f.unassigned:
        parts = []
        if f.assignee_ids:
            parts.append(Ticket.assignee_id.in_(f.assignee_ids))
        if f.unassigned:
            parts.append(Ticket.assignee_id.is_(None))
        conditions.append(or_(*parts))
    if f.department_id:
        conditions.append(Ticket.assignee_id.in_(select(User.id).where(User.department_id == f.department_id)))
    if f.party_id:
        conditions.append(Ticket.party_id == f.party_id)
    if f.overdue:
        conditions.append(overdue_condition(now))
    conditions += _between(Ticket.created_at, f.created_from, f.created_to)
    conditions += _between(Ticket.breached_at, f.breached_from, f.breached_to)
    conditions += _between(Ticket.resolved_at, f.resolved_from, f.resolved_to)
    return stmt.where(*conditions)


def count(stmt) -> int:
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))


def tab_counts(user) -> dict[str, int]:
    """The open counts shown on the list tabs."""
    now = utcnow()
    return {
        "mine": count(ticket_query(user, "mine", Filters(status="open"))),
        "queue": count(ticket_query(user, "queue")) if user.office_id else 0,
        "overdue": count(ticket_query(user, "overdue", now=now)),
    }


def customer_tickets(party_id: int, user, limit: int = 10) -> tuple[list[Ticket], int, int]:
    """A customer's tickets the user may see (open first, then newest), how many of those are
    open, and how many more exist that the user may not see (other offices)."""
    base = select(Ticket).where(Ticket.party_id == party_id)
    visible = base.where(visible_filter(user))
    rows = list(db.session.scalars(visible.options(joinedload(Ticket.assignee))
                                   .order_by(open_first(), Ticket.due_at.asc(), Ticket.id.desc()).limit(limit)))
    open_count = count(visible.where(Ticket.status.in_(OPEN_STATUSES)))
    hidden = count(base) - count(visible)
    return rows, open_count, hidden


# --- customers ---------------------------------------------------------------------------------

def kept_party(party_id: int, user=None) -> Party | None:
    """The party, or the one it was merged into (following a short chain); with `user`, None
    for a customer they may not see (`core.access.party_visible`)."""
    party = db.session.get(Party, party_id)
    for _ in range(10):
        if party is None or party.merged_into_id is None:
            break
        party = db.session.get(Party, party.merged_into_id)
    if party is not None and user is not None and db.session.scalar(
            select(Party.id).where(Party.id == party.id, party_visible(user, Party.id))) is None:
        return None
    return party


def party_search(text: str, user, limit: int = 12) -> list[Party]:
    """Customers `user` may see by normalised name or organisation, or by any part of a phone
    number (Persian or Latin digits, with or without the leading 0 or +98); merged-away parties
    are left out."""
    text = (text or "").strip()[:100]
    if len(normalize(text)) < 2:
        return []
    options = [Party.search_key.like(like_pattern(text), escape="\\")]
    digits = re.sub(r"\D", "", to_ascii_digits(text))
    if len(digits) >= 4:
        if digits.startswith("0098"):
            digits = digits[4:]
        elif digits.startswith("98") and len(digits) > 10:
            digits = digits[2:]
        digits = digits.lstrip("0")
        if digits:
            options.append(exists().where(PartyPhone.party_id == Party.id, PartyPhone.e164.like(f"%{digits}%")))
    stmt = (select(Party).where(Party.merged_into_id.is_(None), or_(*options), party_visible(user, Party.id))
            .options(selectinload(Party.phones)).order_by(Party.name, Party.id).limit(limit))
    return list(db.session.scalars(stmt))
