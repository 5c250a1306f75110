"""Reviewing duplicates after the fact: the audit of the warnings reps were shown, the results of
whole-database scans grouped by cluster, and the administrator's decisions on a scan's pairs
(merge one into the other, or mark them as different). Plain functions, no Flask request."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import aliased, joinedload, selectinload

from core.db import db
from core.jalali import utcnow
from core.models.audit import AuditEntry
from core.models.parties import Party
from core.persian import like_pattern
from core.validation import ValidationError
from plugins.crm.models import (
    Customer,
    DuplicatePair,
    DuplicateScan,
    DuplicateWarning,
    DuplicateWarningMatch,
    LogEntry,
    Negotiation,
)
from plugins.crm.services import dup_scan, merge
from plugins.crm.services.negotiations import NotFound

SCAN_STATUS_LABELS = {"queued": "در صف", "running": "در حال اجرا", "done": "پایان‌یافته", "failed": "ناموفق"}
PAIR_STATUS_LABELS = {"open": "نیازمند تصمیم", "merged": "ادغام‌شده", "different": "متفاوت"}
# A scan still queued or running after this long is taken for dead (its worker was stopped).
SCAN_STALE_AFTER = dt.timedelta(hours=6)

# The letters the Persian normaliser unifies, as SQL REPLACE steps over text stored as typed
# (a warning keeps the name the rep typed: «علي» must be found by «علی»).
_SQL_FOLDS = (("ي", "ی"), ("ى", "ی"), ("ك", "ک"), ("ة", "ه"), ("ۀ", "ه"), ("أ", "ا"), ("إ", "ا"), ("ٱ", "ا"),
              ("آ", "ا"), ("ؤ", "و"), ("\u200c", " "), ("\u200d", " "), ("\u00a0", " "), ("ـ", ""))


def _folded(column):
    expr = func.lower(column)
    for old, new in _SQL_FOLDS:
        expr = func.replace(expr, old, new)
    return expr


# --- the audit of warnings shown --------------------------------------------------------------

def warnings_query(*, user_id: int | None = None, dismissed: bool | None = None,
                   start: dt.datetime | None = None, end: dt.datetime | None = None, text: str = ""):
    """Warnings shown, newest first. `start`/`end` are UTC bounds `[start, end)`; `text` finds a
    warning by what the rep typed, by a customer it named or by the customer then registered."""
    stmt = select(DuplicateWarning).options(
        joinedload(DuplicateWarning.user), joinedload(DuplicateWarning.customer).joinedload(Customer.party))
    if user_id:
        stmt = stmt.where(DuplicateWarning.user_id == user_id)
    if dismissed is True:
        stmt = stmt.where(DuplicateWarning.dismissed_at.is_not(None))
    elif dismissed is False:
        stmt = stmt.where(DuplicateWarning.dismissed_at.is_(None))
    if start is not None:
        stmt = stmt.where(DuplicateWarning.created_at >= start)
    if end is not None:
        stmt = stmt.where(DuplicateWarning.created_at < end)
    text = (text or "").strip()[:200]
    if text:
        pattern = like_pattern(text)
        named = exists().where(
            DuplicateWarningMatch.warning_id == DuplicateWarning.id,
            DuplicateWarningMatch.customer_id == Customer.id, Customer.party_id == Party.id,
            Party.search_key.like(pattern, escape="\\")).correlate(DuplicateWarning)
        registered = exists().where(
            Customer.id == DuplicateWarning.customer_id, Customer.party_id == Party.id,
            Party.search_key.like(pattern, escape="\\")).correlate(DuplicateWarning)
        stmt = stmt.where(or_(_folded(DuplicateWarning.candidate_name).like(pattern, escape="\\"), named, registered))
    return stmt.order_by(DuplicateWarning.created_at.desc(), DuplicateWarning.id.desc())


def warning_users():
    """The users who were shown at least one warning (for the report's filter)."""
    from core.models.org import User
    return db.session.scalars(select(User).where(User.id.in_(select(DuplicateWarning.user_id)))
                              .order_by(User.last_name, User.first_name)).all()


def customer_audit(customer_id: int) -> dict:
    """For one customer: the warnings that named it, and those shown while registering it."""
    customer = db.session.get(Customer, customer_id)
    if customer is None:
        raise NotFound("مشتری پیدا نشد.")
    base = select(DuplicateWarning).options(
        joinedload(DuplicateWarning.user), joinedload(DuplicateWarning.customer).joinedload(Customer.party))
    order = (DuplicateWarning.created_at.desc(), DuplicateWarning.id.desc())
    named = db.session.scalars(base.where(DuplicateWarning.id.in_(
        select(DuplicateWarningMatch.warning_id).where(DuplicateWarningMatch.customer_id == customer_id)))
        .order_by(*order)).unique().all()
    shown = db.session.scalars(base.where(DuplicateWarning.customer_id == customer_id).order_by(*order)).unique().all()
    return {"customer": customer, "named": named, "shown_when_registered": shown}


def record_live_match(data: dict, actor, customer_id: int, office_area_code: str | None = None) -> bool:
    """A rep acted on a match of the live check (which stores nothing), say «ثبت فروش تازه»:
    if `data` really matches `customer_id`, store the warning as shown, the same proof that the
    rep was shown this customer as a warning on submit leaves. Returns whether it did."""
    from plugins.crm.services import dup_audit
    from plugins.crm.services.duplicates import find_duplicates
    matches = find_duplicates(data, office_area_code=office_area_code)
    if customer_id not in {m.customer_id for m in matches}:
        return False
    dup_audit.record(actor, data, dup_audit.describe(matches, actor))
    db.session.commit()
    return True


# --- where a merged customer went -------------------------------------------------------------

def kept_customer_id(customer_id: int) -> int | None:
    """The customer a merged customer now lives on (following merges of merges); None for a
    customer that was never merged away (or does not exist)."""
    seen = {customer_id}
    current, kept = customer_id, None
    while True:
        into = db.session.scalar(select(Party.merged_into_id).join(Customer, Customer.party_id == Party.id)
                                 .where(Customer.id == current))
        if into is None:
            return kept
        nxt = db.session.scalar(select(Customer.id).where(Customer.party_id == into))
        if nxt is None or nxt in seen:
            return kept
        seen.add(nxt)
        current = kept = nxt


# --- whole-database scans ---------------------------------------------------------------------

def scans_query():
    return select(DuplicateScan).options(joinedload(DuplicateScan.started_by)).order_by(DuplicateScan.id.desc())


def _settled_elsewhere():
    """The same two customers were marked different in another scan: a new scan finds them
    again (it knows nothing of decisions), the review does not ask twice."""
    other = aliased(DuplicatePair)
    return exists().where(other.customer_a_id == DuplicatePair.customer_a_id,
                          other.customer_b_id == DuplicatePair.customer_b_id,
                          other.status == "different", other.id != DuplicatePair.id)


def _still_open():
    return and_(DuplicatePair.status == "open", ~_settled_elsewhere())


def open_pair_counts(scan_ids) -> dict[int, int]:
    """Pairs still waiting for a decision, per scan."""
    ids = list(scan_ids)
    if not ids:
        return {}
    return dict(db.session.execute(select(DuplicatePair.scan_id, func.count(DuplicatePair.id)).where(
        DuplicatePair.scan_id.in_(ids), _still_open()).group_by(DuplicatePair.scan_id)).all())


def running_scan() -> DuplicateScan | None:
    """A scan queued or running now (not one left behind by a stopped worker long ago)."""
    return db.session.scalar(select(DuplicateScan).where(
        DuplicateScan.status.in_(("queued", "running")),
        DuplicateScan.created_at > utcnow() - SCAN_STALE_AFTER).order_by(DuplicateScan.id.desc()).limit(1))


def start_scan(actor) -> DuplicateScan:
    """Start a scan unless one is already under way (two at once only do the work twice)."""
    if running_scan() is not None:
        raise ValidationError("یک بررسی هم‌اکنون در جریان است؛ پس از پایان آن دوباره امتحان کنید.")
    return dup_scan.start(actor)


@dataclass
class CustomerCard:
    """What the review shows of one customer of a cluster."""
    customer: Customer
    current: Negotiation | None
    negotiations: int
    log_entries: int
    kept_id: int | None  # merged away: the customer it now lives on

    @property
    def id(self) -> int:
        return self.customer.id

    @property
    def party(self) -> Party:
        return self.customer.party

    @property
    def is_open(self) -> bool:
        return bool(self.current and self.current.is_open)


@dataclass
class Cluster:
    number: int
    customers: list[CustomerCard] = field(default_factory=list)
    pairs: list[DuplicatePair] = field(default_factory=list)
    settled: set[int] = field(default_factory=set)  # open here, marked different in another scan

    def status_of(self, pair: DuplicatePair) -> str:
        return "different" if pair.status == "open" and pair.id in self.settled else pair.status

    @property
    def open_pairs(self) -> int:
        return sum(1 for p in self.pairs if self.status_of(p) == "open")

    def card(self, customer_id: int) -> CustomerCard | None:
        return next((c for c in self.customers if c.id == customer_id), None)

    def suggested_kept(self, pair: DuplicatePair) -> int:
        """Which of the two to keep by default: the one with the open negotiation, else the one
        with more history, else the one registered first."""
        a, b = self.card(pair.customer_a_id), self.card(pair.customer_b_id)
        if a is None or b is None:
            return pair.customer_a_id
        key = lambda c: (c.is_open, c.negotiations + c.log_entries, -c.id)  # noqa: E731
        return max((a, b), key=key).id


def cluster_numbers_query(scan_id: int, status: str = "open"):
    """SELECT the scan's cluster numbers, best score first (page it, then `load_clusters`).
    `status="open"`: only clusters with a pair still to decide."""
    stmt = select(DuplicatePair.cluster).where(DuplicatePair.scan_id == scan_id)
    if status == "open":
        stmt = stmt.where(_still_open())
    stmt = stmt.group_by(DuplicatePair.cluster).order_by(func.max(DuplicatePair.score).desc(), DuplicatePair.cluster)
    return stmt


def load_clusters(scan_id: int, numbers: list[int]) -> list[Cluster]:
    """The clusters `numbers` of a scan, in that order, with every customer they involve."""
    if not numbers:
        return []
    pairs = db.session.scalars(select(DuplicatePair).where(
        DuplicatePair.scan_id == scan_id, DuplicatePair.cluster.in_(numbers))
        .order_by(DuplicatePair.score.desc(), DuplicatePair.id)).all()
    ids = {p.customer_a_id for p in pairs} | {p.customer_b_id for p in pairs}
    customers = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_(ids)).options(
        selectinload(Customer.party).selectinload(Party.phones),
        selectinload(Customer.party).selectinload(Party.addresses),
        joinedload(Customer.current).joinedload(Negotiation.owner),
        joinedload(Customer.current).joinedload(Negotiation.office)))}
    negotiations = dict(db.session.execute(select(Negotiation.customer_id, func.count(Negotiation.id)).where(
        Negotiation.customer_id.in_(ids)).group_by(Negotiation.customer_id)).all())
    entries = dict(db.session.execute(select(LogEntry.customer_id, func.count(LogEntry.id)).where(
        LogEntry.customer_id.in_(ids)).group_by(LogEntry.customer_id)).all())
    settled = set(db.session.scalars(select(DuplicatePair.id).where(
        DuplicatePair.id.in_([p.id for p in pairs]), DuplicatePair.status == "open", _settled_elsewhere())))
    clusters = {n: Cluster(n) for n in numbers}
    for pair in pairs:
        cluster = clusters[pair.cluster]
        cluster.pairs.append(pair)
        if pair.id in settled:
            cluster.settled.add(pair.id)
        for cid in (pair.customer_a_id, pair.customer_b_id):
            if cluster.card(cid) is None and cid in customers:
                c = customers[cid]
                cluster.customers.append(CustomerCard(
                    c, c.current, negotiations.get(cid, 0), entries.get(cid, 0),
                    kept_customer_id(cid) if c.party.merged_into_id else None))
    for cluster in clusters.values():
        cluster.customers.sort(key=lambda card: card.id)
    return [clusters[n] for n in numbers]


def _open_pair(pair_id: int) -> DuplicatePair:
    pair = db.session.get(DuplicatePair, pair_id)
    if pair is None:
        raise NotFound("این جفت پیدا نشد.")
    if pair.status != "open":
        raise ValidationError("دربارهٔ این دو مشتری پیش‌تر تصمیم گرفته شده است ("
                              f"{PAIR_STATUS_LABELS.get(pair.status, pair.status)}).")
    return pair


def merge_pair(pair_id: int, kept_id: int, actor):
    """Merge the pair's other customer into `kept_id` (one of the two); the refusals of
    `merge.merge` (both negotiating, already merged) come through unchanged."""
    pair = _open_pair(pair_id)
    if kept_id not in (pair.customer_a_id, pair.customer_b_id):
        raise NotFound("این مشتری در این جفت نیست.")
    merged_id = pair.customer_b_id if kept_id == pair.customer_a_id else pair.customer_a_id
    return merge.merge(kept_id, merged_id, actor)


def mark_different(pair_id: int, actor) -> DuplicatePair:
    """The administrator looked and says the two are different customers."""
    pair = _open_pair(pair_id)
    pair.status = "different"
    # Pairs are not audited rows: record the decision in the trail ourselves.
    db.session.add(AuditEntry(user_id=actor.id if actor else None, table_name=DuplicatePair.__tablename__,
                              record_id=str(pair.id), action="update", changes={"status": ["open", "different"]}))
    db.session.commit()
    return pair

