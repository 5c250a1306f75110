"""The negotiation log (درج مذاکره) and the comments managers and inspectors attach to it."""
from __future__ import annotations

from sqlalchemy import select

from core.access import can
from core.db import begin_write, db
from core.jalali import today_tehran, utcnow
from core.validation import Checker, ValidationError
from plugins.crm.models import ENTRY_KINDS, Comment, LogEntry, Negotiation
from plugins.crm.services.negotiations import NotFound, _load_for_update, materialize_expiry, sync_last_activity
from plugins.crm.services.visibility import can_act_on, negotiation_filter


def add_entry(negotiation_id: int, data: dict, actor, commit: bool = True) -> LogEntry:
    """Log a contact on an open negotiation: its owner, or a manager above the owner.
    With `commit=False` the caller finishes the transaction (completing a task, say)."""
    c = Checker(data)
    date = c.date("date", "تاریخ مذاکره") or today_tehran()
    kind = c.text("kind", "نوع", required=True, max_len=12)
    if kind and kind not in ENTRY_KINDS:
        c.fail("kind", "نوع مذاکره باید تماس، جلسه، پیام یا بازدید باشد.")
    summary = c.text("summary", "شرح مذاکره", required=True, max_len=10000)
    next_contact = c.date("next_contact", "تاریخ مذاکرهٔ بعدی")
    if date > today_tehran():
        c.fail("date", "تاریخ مذاکره نمی‌تواند در آینده باشد.")
    if next_contact and next_contact < today_tehran():
        c.fail("next_contact", "تاریخ مذاکرهٔ بعدی نمی‌تواند در گذشته باشد.")
    c.done()
    begin_write()
    negotiation = _load_for_update(negotiation_id, actor)
    if not can_act_on(actor, negotiation):
        raise ValidationError("فقط کارشناس مسئول این مذاکره یا مدیران او می‌توانند برای آن مذاکره درج کنند.")
    if materialize_expiry(negotiation):
        db.session.commit()
        raise ValidationError("مهلت این مذاکره به پایان رسیده و منقضی شده است.")
    if negotiation.status != "negotiating":
        raise ValidationError("برای مذاکره‌ای که در جریان نیست نمی‌توان مذاکرهٔ تازه درج کرد.")
    entry = LogEntry(negotiation_id=negotiation.id, customer_id=negotiation.customer_id, author_id=actor.id,
                     date=date, kind=kind, summary=summary, next_contact=next_contact)
    db.session.add(entry)
    negotiation.last_entry_at = utcnow()
    negotiation.next_contact = next_contact
    sync_last_activity(negotiation.customer_id)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return entry


def add_comment(entry_id: int, body: str, actor) -> Comment:
    """A manager's or inspector's comment on a visible log entry; it reaches the owner."""
    if not can(actor, "crm.comment"):
        raise ValidationError("شما اجازهٔ درج نظر ندارید.")
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": "متن نظر را بنویسید."})
    if len(body) > 4000:
        raise ValidationError({"body": "متن نظر نباید بیش از ۴۰۰۰ نویسه باشد."})
    entry = db.session.execute(select(LogEntry).join(Negotiation, Negotiation.id == LogEntry.negotiation_id).where(
        LogEntry.id == entry_id, negotiation_filter(actor))).scalar_one_or_none()
    if entry is None:
        raise NotFound("مذاکره پیدا نشد.")
    comment = Comment(entry_id=entry.id, author_id=actor.id, body=body,
                      addressee_id=entry.negotiation.owner_id)
    db.session.add(comment)
    db.session.commit()
    return comment


def mark_comments_read(user, ids=None) -> int:
    """Mark the user's unread comments read: all of them, or only `ids` (those shown)."""
    from sqlalchemy import update
    stmt = update(Comment).where(Comment.addressee_id == user.id, Comment.read_at.is_(None))
    if ids is not None:
        stmt = stmt.where(Comment.id.in_(list(ids)))
    done = db.session.execute(stmt.values(read_at=utcnow())).rowcount
    db.session.commit()
    return done
