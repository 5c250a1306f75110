"""Merging two customers that are one: every negotiation, log entry, comment, point, warning and
(through the `party_merged` hook) every other plugin's record follows the kept customer; the
merged customer stays, marked, so history and the audit trail still point somewhere."""
from __future__ import annotations

from flask import current_app
from sqlalchemy import func, select, update

from core.db import begin_write, db
from core.models.parties import PartyAddress, PartyPhone
from core.validation import ValidationError
from plugins.crm.models import (Customer, DuplicatePair, DuplicateWarning, DuplicateWarningMatch, LogEntry,
                                Merge, Negotiation)
from plugins.crm.services import match_index
from plugins.crm.services.negotiations import materialize_expiry, sync_last_activity


def merge(kept_id: int, merged_id: int, actor) -> Merge:
    if kept_id == merged_id:
        raise ValidationError("یک مشتری را نمی‌توان با خودش ادغام کرد.")
    begin_write()
    rows = {c.id: c for c in db.session.scalars(select(Customer).where(Customer.id.in_([kept_id, merged_id]))
                                                .with_for_update(of=Customer))}
    kept, merged = rows.get(kept_id), rows.get(merged_id)
    if kept is None or merged is None:
        raise ValidationError("مشتری پیدا نشد.")
    if kept.party.merged_into_id or merged.party.merged_into_id:
        raise ValidationError("یکی از این دو مشتری پیش‌تر ادغام شده است.")
    negotiations = db.session.scalars(select(Negotiation).where(Negotiation.customer_id.in_([kept_id, merged_id]))
                                      .with_for_update()).all()
    for n in negotiations:
        materialize_expiry(n)
    open_ones = [n for n in negotiations if n.status == "negotiating"]
    if len(open_ones) > 1:
        raise ValidationError("هر دو مشتری مذاکرهٔ در جریان دارند؛ ابتدا یکی را قطع یا معلق کنید، سپس ادغام کنید.")
    moved = {"negotiations": sum(1 for n in negotiations if n.customer_id == merged_id)}
    moved["log_entries"] = db.session.scalar(select(func.count(LogEntry.id)).where(LogEntry.customer_id == merged_id))
    db.session.execute(update(Negotiation).where(Negotiation.customer_id == merged_id).values(customer_id=kept_id))
    db.session.execute(update(LogEntry).where(LogEntry.customer_id == merged_id).values(customer_id=kept_id))
    db.session.execute(update(DuplicateWarning).where(DuplicateWarning.customer_id == merged_id).values(customer_id=kept_id))
    _move_warning_matches(merged_id, kept_id)
    db.session.execute(update(DuplicatePair).where(
        DuplicatePair.status == "open",
        (DuplicatePair.customer_a_id == merged_id) | (DuplicatePair.customer_b_id == merged_id)).values(status="merged"))
    # The customer now held is the open negotiation if any, else the latest one.
    current = open_ones[0] if open_ones else max(negotiations, key=lambda n: n.id, default=None)
    kept.current_negotiation_id = current.id if current else None
    merged.current_negotiation_id = None
    sync_last_activity(kept_id, merged_id)
    for field in ("category_id", "activity_id", "source_id", "marketer_id", "product_id"):
        if getattr(kept, field) is None:
            setattr(kept, field, getattr(merged, field))
    _merge_contacts(kept.party, merged.party)
    merged.party.merged_into_id = kept.party.id
    db.session.flush()
    host = current_app.extensions["peyvand"].host
    for plugin, result in host.call_each("party_merged", kept_party_id=kept.party.id,
                                         merged_party_id=merged.party.id, actor=actor):
        if isinstance(result, dict):
            moved.update({f"{plugin}.{k}": v for k, v in result.items()})
    record = Merge(kept_id=kept_id, merged_id=merged_id, actor_id=actor.id, moved=moved)
    db.session.add(record)
    match_index.reindex(kept)
    match_index.reindex(merged)
    db.session.commit()
    return record


def _merge_contacts(kept, merged) -> None:
    have = {p.e164 for p in kept.phones}
    for phone in merged.phones:
        if phone.e164 not in have:
            kept.phones.append(PartyPhone(kind=phone.kind, number=phone.number, e164=phone.e164))
            have.add(phone.e164)
    addresses = {a.address.strip() for a in kept.addresses}
    for address in merged.addresses:
        if address.address.strip() not in addresses:
            kept.addresses.append(PartyAddress(city=address.city, address=address.address, postal_code=address.postal_code))
    if not kept.national_id and merged.national_id:
        kept.national_id, merged.national_id = merged.national_id, None
    if merged.notes:
        kept.notes = (kept.notes + "\n" if kept.notes else "") + merged.notes
    for field in ("email", "organisation", "city"):
        if not getattr(kept, field) and getattr(merged, field):
            setattr(kept, field, getattr(merged, field))


def _move_warning_matches(merged_id: int, kept_id: int) -> None:
    for row in db.session.scalars(select(DuplicateWarningMatch).where(DuplicateWarningMatch.customer_id == merged_id)).all():
        exists = db.session.get(DuplicateWarningMatch, (row.warning_id, kept_id))
        if exists is None:
            db.session.add(DuplicateWarningMatch(warning_id=row.warning_id, customer_id=kept_id, score=row.score))
        db.session.delete(row)
