"""The five Saba reports and the rep workbench, as set-based queries.

Every figure comes from a few GROUP BY queries with conditional sums; nothing loops over
negotiations in Python. Row visibility is `visibility.negotiation_filter` (the same rules as the
lists), narrowed to the users the viewer may report on (`report_user_ids`). An overdue
`negotiating` negotiation counts as `expired` everywhere (`Negotiation.effective_status`).

Date ranges are Tehran calendar days, both ends included: `bounds(start, end)` turns them into the
half-open UTC interval `[from, to)` the database stores.
"""
from __future__ import annotations

import dataclasses
import datetime as dt

from sqlalchemy import Date, Interval, and_, case, cast, exists, false, func, literal_column, select, true
from sqlalchemy.orm import contains_eager, joinedload

from core.access import scope_of, subordinate_ids
from core.db import db
from core.jalali import MONTHS, TEHRAN, UTC, format_date, month_bounds, to_jalali, today_tehran, utcnow
from core.models.org import User
from core.models.parties import Party
from core.persian import to_persian_digits
from core.validation import ValidationError
from plugins.crm.models import STATUSES, Card, Comment, Customer, LogEntry, Negotiation, PointDay, PointEntry
from plugins.crm.services.stale import last_activity, level_expression, stale_condition
from plugins.crm.services.visibility import negotiation_filter

EVENT_LABELS = {"negotiating": "شروع مذاکره", "cut": "قطع مذاکره", "suspended": "معلق (برداشته شد)",
                "won": "قطعی شده", "expired": "منقضی شده"}
LEVEL_LABELS = {"watch": "زیر نظر", "yellow": "کارت زرد", "red": "کارت قرمز"}
# Report 1's columns, in order: key → Persian header.
STATUS_COLUMNS = {
    "points": "امتیاز", "total": "مذاکرات", "negotiating": "در حال مذاکره", "cut": "قطع مذاکره",
    "suspended": "معلق", "won": "قطعی شده", "expired": "منقضی شده", "stale": "راکد",
    "yellow": "کارت زرد", "red": "کارت قرمز",
}
# Numbers that click through to negotiations (points go to the ledger instead).
METRICS = tuple(k for k in STATUS_COLUMNS if k != "points")
DAILY_LIMIT_DAYS = 62      # longer ranges are charted per Jalali month
EXPIRY_WINDOW_DAYS = 14    # workbench: open negotiations whose window ends this soon
RECENT_CARD_DAYS = 30      # workbench: cards received this recently


# --- date ranges --------------------------------------------------------------------------------

def current_month(today: dt.date | None = None) -> tuple[dt.date, dt.date]:
    """First and last day (Gregorian dates) of the Jalali month containing `today`."""
    j = to_jalali(today or today_tehran())
    first, next_first = month_bounds(j.year, j.month)
    return first, next_first - dt.timedelta(days=1)


def check_range(start: dt.date | None, end: dt.date | None) -> tuple[dt.date, dt.date]:
    """Complete a range: nothing given → the current Jalali month; only a start → up to today
    (or to the end of the start's month if it is in the future); only an end → from the first
    of that Jalali month. An end before the start is refused in Persian."""
    if start is None and end is None:
        return current_month()
    if start is None:
        start = current_month(end)[0]
    if end is None:
        today = today_tehran()
        end = today if start <= today else current_month(start)[1]
    if end < start:
        raise ValidationError({"end": "تاریخ پایان نمی‌تواند پیش از تاریخ شروع باشد."})
    return start, end


def midnight_utc(day: dt.date) -> dt.datetime:
    """The UTC instant (naive, as stored) at which `day` begins in Tehran."""
    return dt.datetime.combine(day, dt.time()).replace(tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Tehran days `start`..`end` (inclusive) as the UTC interval `[from, to)`."""
    return midnight_utc(start), midnight_utc(end + dt.timedelta(days=1))


def _in(column, start: dt.date, end: dt.date):
    lo, hi = bounds(start, end)
    return and_(column >= lo, column < hi)


# --- who the viewer reports on ------------------------------------------------------------------

def report_user_ids(viewer) -> list[int] | None:
    """None for the all-offices scope (administrator, inspector): every user. Otherwise the
    viewer and everyone below them, recursively."""
    if scope_of(viewer, "crm") == "all":
        return None
    return [viewer.id, *subordinate_ids(viewer.id)]


def _owner_in(column, ids):
    return true() if ids is None else column.in_(ids)


def visible_users(viewer) -> list[User]:
    """The users a report's user select offers: all users with negotiations for the all-offices
    scope, else the viewer and subordinates. Sorted by name."""
    ids = report_user_ids(viewer)
    stmt = select(User)
    if ids is None:
        stmt = stmt.where(exists().where(Negotiation.owner_id == User.id))
    else:
        stmt = stmt.where(User.id.in_(ids))
    return list(db.session.scalars(stmt.order_by(User.first_name, User.last_name, User.id)))


def may_report_on(viewer, user_id: int) -> bool:
    ids = report_user_ids(viewer)
    return ids is None or user_id in ids


def _open(now: dt.datetime, model=Negotiation):
    """Open at `now`, written so the (status, window_end) index serves it."""
    return and_(model.status == "negotiating", model.window_end > now)


# --- report 1: user negotiation status --------------------------------------------------------

@dataclasses.dataclass
class StatusRow:
    user_id: int | None
    name: str
    points: int = 0
    total: int = 0
    negotiating: int = 0
    cut: int = 0
    suspended: int = 0
    won: int = 0
    expired: int = 0
    stale: int = 0
    yellow: int = 0
    red: int = 0

    def __getitem__(self, key):
        return getattr(self, key)


def _card_exists(colour: str, start, end, owner_col=Negotiation.owner_id):
    return exists().where(Card.negotiation_id == Negotiation.id, Card.colour == colour,
                          Card.user_id == owner_col, _in(Card.at, start, end))


def metric_condition(metric: str, start: dt.date, end: dt.date, now: dt.datetime):
    """The condition over `Negotiation` behind one number of report 1 (the drill-down uses it;
    the counts use the same definitions)."""
    started = _in(Negotiation.window_start, start, end)
    if metric == "total":
        return started
    if metric in STATUSES:
        return and_(started, Negotiation.effective_status == metric)
    if metric == "stale":
        return stale_condition(now)
    if metric in ("yellow", "red"):
        return _card_exists(metric, start, end)
    raise KeyError(metric)


def status_report(viewer, start: dt.date, end: dt.date, sort: str = "-points",
                  now: dt.datetime | None = None) -> tuple[list[StatusRow], StatusRow]:
    """One row per user the viewer may report on, and the totals row. Five GROUP BY queries."""
    now = now or utcnow()
    ids = report_user_ids(viewer)
    visible = negotiation_filter(viewer)
    rows: dict[int, StatusRow] = {u.id: StatusRow(u.id, u.full_name) for u in visible_users(viewer)}

    def row(user_id):
        if user_id not in rows:  # a user with points but no negotiation (cannot happen normally)
            user = db.session.get(User, user_id)
            rows[user_id] = StatusRow(user_id, user.full_name if user else "—")
        return rows[user_id]

    lo, hi = bounds(start, end)
    # The ledger summed per Tehran day ahead (`PointDay`): the range is whole Tehran days.
    points = select(PointDay.user_id, func.sum(PointDay.points)).where(
        _owner_in(PointDay.user_id, ids), PointDay.day >= start, PointDay.day <= end).group_by(PointDay.user_id)
    for user_id, total in db.session.execute(points):
        row(user_id).points = int(total or 0)

    # Counted per stored status (an index in owner, status, start order serves it without a sort
    # or a CASE per row), then the overdue `negotiating` ones moved to `expired`.
    started = (_owner_in(Negotiation.owner_id, ids), visible, Negotiation.window_start >= lo,
               Negotiation.window_start < hi)
    for user_id, status, n in db.session.execute(
            select(Negotiation.owner_id, Negotiation.status, func.count()).where(*started)
            .group_by(Negotiation.owner_id, Negotiation.status)):
        r = row(user_id)
        r.total += n
        if status in STATUSES:
            setattr(r, status, r[status] + n)
    overdue = select(Negotiation.owner_id, func.count()).where(
        *started, Negotiation.status == literal_column("'negotiating'"), Negotiation.window_end <= now)
    for user_id, n in db.session.execute(overdue.group_by(Negotiation.owner_id)):
        r = row(user_id)
        r.negotiating -= n
        r.expired += n

    stale = select(Negotiation.owner_id, func.count()).where(
        _owner_in(Negotiation.owner_id, ids), visible, stale_condition(now)).group_by(Negotiation.owner_id)
    for user_id, n in db.session.execute(stale):
        row(user_id).stale = int(n)

    cards = select(Card.user_id, Card.colour, func.count(Card.id)).where(
        _owner_in(Card.user_id, ids), Card.at >= lo, Card.at < hi).group_by(Card.user_id, Card.colour)
    if ids is not None:  # the all-offices scope sees every negotiation: no join needed
        cards = cards.join(Negotiation, Negotiation.id == Card.negotiation_id).where(visible)
    for user_id, colour, n in db.session.execute(cards):
        if colour in ("yellow", "red"):
            setattr(row(user_id), colour, int(n))

    result = sort_rows(list(rows.values()), sort)
    totals = StatusRow(None, "جمع")
    for key in STATUS_COLUMNS:
        setattr(totals, key, sum(r[key] for r in result))
    return result, totals


def sort_rows(rows: list[StatusRow], sort: str) -> list[StatusRow]:
    key = sort.lstrip("-")
    desc = sort.startswith("-")
    if key not in STATUS_COLUMNS and key != "name":
        key, desc = "points", True
    # Ties in name order, whatever the direction of the main key.
    rows = sorted(rows, key=lambda r: (r.name, r.user_id or 0))
    return sorted(rows, key=lambda r: r[key], reverse=desc)


def drilldown(viewer, user_id: int, metric: str, start: dt.date, end: dt.date, now: dt.datetime | None = None):
    """SELECT Negotiation (customer and owner loaded) behind one number of report 1."""
    now = now or utcnow()
    if metric not in METRICS:
        raise KeyError(metric)
    stmt = (select(Negotiation)
            .join(Customer, Customer.id == Negotiation.customer_id)
            .join(Party, Party.id == Customer.party_id)
            .options(contains_eager(Negotiation.customer).contains_eager(Customer.party),
                     joinedload(Negotiation.owner))
            .where(negotiation_filter(viewer), metric_condition(metric, start, end, now)))
    if user_id:
        if not may_report_on(viewer, user_id):
            return stmt.where(false())
        stmt = stmt.where(Negotiation.owner_id == user_id)
    else:
        stmt = stmt.where(_owner_in(Negotiation.owner_id, report_user_ids(viewer)))
    return stmt.order_by(Negotiation.window_start.desc(), Negotiation.id.desc())


# --- report 2: points chart -------------------------------------------------------------------

def _tehran_day(column, offset_minutes: int):
    """SQL: the Tehran calendar day of a stored UTC timestamp. Iran has kept one offset since
    2022 (no daylight saving), so the range's offset is applied to every row."""
    offset = int(offset_minutes)
    if db.session.get_bind().dialect.name == "postgresql":
        return cast(column + literal_column(f"INTERVAL '{offset} minutes'", type_=Interval), Date)
    return func.date(column, literal_column(f"'{offset:+d} minutes'"))


def _points_scope(viewer, user_id: int | None):
    ids = report_user_ids(viewer)
    if user_id:
        return PointEntry.user_id == user_id if may_report_on(viewer, user_id) else false()
    return _owner_in(PointEntry.user_id, ids)


def points_series(viewer, start: dt.date, end: dt.date, user_id: int | None = None) -> dict:
    """Positive and negative points per Tehran day, or per Jalali month when the range is longer
    than `DAILY_LIMIT_DAYS`: {"unit", "labels", "positive", "negative", "net", totals…}."""
    lo, hi = bounds(start, end)
    offset = int(dt.datetime.combine(start, dt.time(12)).replace(tzinfo=TEHRAN).utcoffset().total_seconds() // 60)
    inner = (select(_tehran_day(PointEntry.at, offset).label("day"),
                    case((PointEntry.points > 0, PointEntry.points), else_=0).label("pos"),
                    case((PointEntry.points < 0, PointEntry.points), else_=0).label("neg"))
             .where(_points_scope(viewer, user_id), PointEntry.at >= lo, PointEntry.at < hi))
    if report_user_ids(viewer) is not None:  # the all-offices scope sees every negotiation
        inner = inner.join(Negotiation, Negotiation.id == PointEntry.negotiation_id).where(negotiation_filter(viewer))
    inner = inner.subquery()
    per_day = {}
    for day, pos, neg in db.session.execute(
            select(inner.c.day, func.sum(inner.c.pos), func.sum(inner.c.neg)).group_by(inner.c.day)):
        per_day[dt.date.fromisoformat(str(day)[:10])] = (int(pos or 0), int(neg or 0))
    monthly = (end - start).days + 1 > DAILY_LIMIT_DAYS
    buckets: dict[object, list[int]] = {}
    labels: dict[object, str] = {}
    titles: dict[object, str] = {}
    day = start
    while day <= end:  # one step per calendar day of the range, not per row
        j = to_jalali(day)
        key = (j.year, j.month) if monthly else day
        if key not in buckets:
            buckets[key] = [0, 0]
            month = to_persian_digits(f"{MONTHS[j.month - 1]} {j.year}")
            labels[key] = month if monthly else to_persian_digits(f"{j.day} {MONTHS[j.month - 1]}")
            titles[key] = month if monthly else format_date(day)
        pos, neg = per_day.get(day, (0, 0))
        buckets[key][0] += pos
        buckets[key][1] += neg
        day += dt.timedelta(days=1)
    positive = [b[0] for b in buckets.values()]
    negative = [b[1] for b in buckets.values()]
    return {"unit": "month" if monthly else "day", "labels": list(labels.values()),
            "titles": list(titles.values()),
            "positive": positive, "negative": negative,
            "net": [p + n for p, n in zip(positive, negative)],
            "total_positive": sum(positive), "total_negative": sum(negative),
            "total": sum(positive) + sum(negative)}


def points_ledger(viewer, start: dt.date, end: dt.date, user_id: int | None = None):
    """SELECT PointEntry (user, negotiation, customer loaded), newest first."""
    lo, hi = bounds(start, end)
    return (select(PointEntry)
            .join(Negotiation, Negotiation.id == PointEntry.negotiation_id)
            .join(Customer, Customer.id == Negotiation.customer_id)
            .join(Party, Party.id == Customer.party_id)
            .options(contains_eager(PointEntry.negotiation).contains_eager(Negotiation.customer)
                     .contains_eager(Customer.party), joinedload(PointEntry.user))
            .where(_points_scope(viewer, user_id), negotiation_filter(viewer),
                   PointEntry.at >= lo, PointEntry.at < hi)
            .order_by(PointEntry.at.desc(), PointEntry.id.desc()))


# --- report 3: stale negotiations -------------------------------------------------------------

def _stale_base(viewer, now):
    level = level_expression(now)
    return level, (negotiation_filter(viewer), _open(now), level != "")


def stale_list(viewer, level: str | None = None, owner_id: int | None = None, now: dt.datetime | None = None):
    """SELECT Negotiation: open, visible, at watch / yellow / red; longest silence first."""
    now = now or utcnow()
    expr, conditions = _stale_base(viewer, now)
    stmt = (select(Negotiation)
            .join(Customer, Customer.id == Negotiation.customer_id)
            .join(Party, Party.id == Customer.party_id)
            .options(contains_eager(Negotiation.customer).contains_eager(Customer.party),
                     joinedload(Negotiation.owner))
            .where(*conditions))
    if level in LEVEL_LABELS:
        stmt = stmt.where(expr == level)
    if owner_id:
        stmt = stmt.where(Negotiation.owner_id == owner_id)
    return stmt.order_by(last_activity().asc(), Negotiation.id.asc())


def stale_summary(viewer, now: dt.datetime | None = None) -> dict:
    """{"levels": {level: n}, "owners": [(user, {level: n, "total": n})]} over what the viewer sees."""
    now = now or utcnow()
    expr, conditions = _stale_base(viewer, now)
    inner = select(expr.label("level"), Negotiation.owner_id.label("owner_id")).where(*conditions).subquery()
    levels = {k: 0 for k in LEVEL_LABELS}
    owners: dict[int, dict] = {}
    for level, owner_id, n in db.session.execute(
            select(inner.c.level, inner.c.owner_id, func.count()).group_by(inner.c.level, inner.c.owner_id)):
        levels[level] += n
        counts = owners.setdefault(owner_id, {**{k: 0 for k in LEVEL_LABELS}, "total": 0})
        counts[level] += n
        counts["total"] += n
    users = {u.id: u for u in db.session.scalars(select(User).where(User.id.in_(list(owners) or [-1])))}
    ranked = sorted(((users[i], c) for i, c in owners.items() if i in users),
                    key=lambda pair: (-pair[1]["total"], pair[0].full_name))
    return {"levels": levels, "owners": ranked}


def stale_days(negotiation: Negotiation, now: dt.datetime | None = None) -> int:
    now = now or utcnow()
    return (now - (negotiation.last_entry_at or negotiation.window_start)).days


# --- report 4: daily follow-ups ---------------------------------------------------------------

def followup_owner_ids(viewer) -> list[int]:
    return [viewer.id, *subordinate_ids(viewer.id)]


def _last_entry_id():
    return (select(LogEntry.id).where(LogEntry.negotiation_id == Negotiation.id)
            .order_by(LogEntry.date.desc(), LogEntry.id.desc()).limit(1)
            .correlate(Negotiation).scalar_subquery())


def followups(viewer, day: dt.date | None = None, owner_id: int | None = None, now: dt.datetime | None = None):
    """SELECT (Negotiation, LogEntry | None): the viewer's and subordinates' open negotiations
    whose next contact is on `day` or earlier, with their latest log entry; oldest due first."""
    now = now or utcnow()
    day = day or today_tehran()
    ids = followup_owner_ids(viewer)
    if owner_id:
        ids = [owner_id] if owner_id in ids else []
    return (select(Negotiation, LogEntry)
            .join(Customer, Customer.id == Negotiation.customer_id)
            .join(Party, Party.id == Customer.party_id)
            .outerjoin(LogEntry, LogEntry.id == _last_entry_id())
            .options(contains_eager(Negotiation.customer).contains_eager(Customer.party),
                     joinedload(Negotiation.owner))
            .where(Negotiation.owner_id.in_(ids or [-1]), negotiation_filter(viewer), _open(now),
                   Negotiation.next_contact.is_not(None), Negotiation.next_contact <= day)
            .order_by(Negotiation.next_contact.asc(), Party.name.asc(), Negotiation.id.asc()))


def overdue_before(day: dt.date) -> dt.date:
    """Follow-ups due before this date are overdue when looking at `day`."""
    return min(day, today_tehran())


# --- report 5: comments addressed to me -------------------------------------------------------

def comments_to(viewer, start: dt.date | None = None, end: dt.date | None = None):
    """SELECT Comment addressed to the viewer, newest first (entry, author, customer loaded)."""
    stmt = (select(Comment)
            .join(LogEntry, LogEntry.id == Comment.entry_id)
            .join(Negotiation, Negotiation.id == LogEntry.negotiation_id)
            .options(contains_eager(Comment.entry).contains_eager(LogEntry.negotiation)
                     .joinedload(Negotiation.customer),
                     contains_eager(Comment.entry).joinedload(LogEntry.author),
                     joinedload(Comment.author))
            .where(Comment.addressee_id == viewer.id, negotiation_filter(viewer)))
    if start and end:
        stmt = stmt.where(_in(Comment.created_at, start, end))
    return stmt.order_by(Comment.created_at.desc(), Comment.id.desc())


def unread_comments(viewer) -> int:
    return db.session.scalar(select(func.count(Comment.id)).join(LogEntry, LogEntry.id == Comment.entry_id)
                             .join(Negotiation, Negotiation.id == LogEntry.negotiation_id)
                             .where(Comment.addressee_id == viewer.id, Comment.read_at.is_(None),
                                    negotiation_filter(viewer))) or 0


# --- the workbench ----------------------------------------------------------------------------

def workbench(user, now: dt.datetime | None = None, limit: int = 5) -> dict:
    """What the home page shows a sales user: today's and overdue follow-ups, negotiations near
    their window's end, recent cards, latest comments, this Jalali month's points."""
    now = now or utcnow()
    today = today_tehran()
    ids = followup_owner_ids(user)
    visible = negotiation_filter(user)
    mine = and_(Negotiation.owner_id.in_(ids), visible, _open(now))

    def count(*conditions):
        return db.session.scalar(select(func.count(Negotiation.id)).where(mine, *conditions)) or 0

    def items(*conditions, order):
        return list(db.session.scalars(
            select(Negotiation).join(Customer, Customer.id == Negotiation.customer_id)
            .join(Party, Party.id == Customer.party_id)
            .options(contains_eager(Negotiation.customer).contains_eager(Customer.party),
                     joinedload(Negotiation.owner))
            .where(mine, *conditions).order_by(*order).limit(limit)))

    due_today = (Negotiation.next_contact == today,)
    overdue = (Negotiation.next_contact < today,)
    expiring = (Negotiation.window_end <= now + dt.timedelta(days=EXPIRY_WINDOW_DAYS),)
    month_start, month_end = current_month(today)
    lo, hi = bounds(month_start, month_end)
    pos, neg = db.session.execute(select(
        func.coalesce(func.sum(case((PointEntry.points > 0, PointEntry.points), else_=0)), 0),
        func.coalesce(func.sum(case((PointEntry.points < 0, PointEntry.points), else_=0)), 0)).where(
        PointEntry.user_id == user.id, PointEntry.at >= lo, PointEntry.at < hi)).one()
    card_since = now - dt.timedelta(days=RECENT_CARD_DAYS)
    cards = list(db.session.scalars(
        select(Card).join(Negotiation, Negotiation.id == Card.negotiation_id)
        .options(joinedload(Card.negotiation).joinedload(Negotiation.customer))
        .where(Card.user_id == user.id, Card.at >= card_since, visible)
        .order_by(Card.at.desc(), Card.id.desc()).limit(limit)))
    card_counts = dict(db.session.execute(
        select(Card.colour, func.count(Card.id)).join(Negotiation, Negotiation.id == Card.negotiation_id)
        .where(Card.user_id == user.id, Card.at >= card_since, visible).group_by(Card.colour)).all())
    return {
        "today": today,
        "due_today": items(*due_today, order=(Party.name, Negotiation.id)),
        "due_today_count": count(*due_today),
        "overdue": items(*overdue, order=(Negotiation.next_contact, Negotiation.id)),
        "overdue_count": count(*overdue),
        "expiring": items(*expiring, order=(Negotiation.window_end, Negotiation.id)),
        "expiring_count": count(*expiring),
        "cards": cards,
        "yellow_cards": int(card_counts.get("yellow", 0)),
        "red_cards": int(card_counts.get("red", 0)),
        "comments": list(db.session.scalars(comments_to(user).limit(limit))),
        "unread_comments": unread_comments(user),
        "points_positive": int(pos), "points_negative": int(neg), "points": int(pos) + int(neg),
        "month_label": to_persian_digits(f"{MONTHS[to_jalali(today).month - 1]} {to_jalali(today).year}"),
    }
