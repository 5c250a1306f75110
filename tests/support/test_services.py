"""Support services: opening tickets (SLA due times, Jalali display), the transition table and
the SLA clock, assignment, notes and attachment limits, visibility, the breach sweep (twice, and
twice at once), customer search, merging, KPIs."""
import datetime as dt
import os
import threading

import pytest
from sqlalchemy import func, select

from core import settings
from core.jalali import TEHRAN, UTC, format_datetime, today_tehran, utcnow
from core.models.audit import AuditEntry
from core.payloads import Period, Scope
from core.validation import ValidationError
from plugins.support.models import STATUSES, TRANSITIONS, Ticket, TicketAttachment, TicketNote, TicketStatusChange
from plugins.support.services import kpis, queries, sla, tickets
from plugins.support.services.merge import move_party
from tests.support.conftest import PDF, PNG, upload

H = dt.timedelta(hours=1)


def tehran(y, m, d, hh, mm):
    """A Jalali wall-clock time in Tehran → naive UTC."""
    import jdatetime
    g = jdatetime.date(y, m, d).togregorian()
    return dt.datetime(g.year, g.month, g.day, hh, mm, tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def count(db, model, *where):
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


# --- SLA ------------------------------------------------------------------------------------------

@pytest.mark.parametrize("priority, hours", [("urgent", 2), ("high", 8), ("normal", 24), ("low", 72)])
def test_due_time_comes_from_the_sla_of_the_priority(desk, open_ticket, priority, hours):
    before = utcnow()
    ticket = open_ticket(priority=priority)
    assert ticket.due_at - ticket.sla_start == hours * H
    assert before <= ticket.sla_start <= utcnow()
    assert ticket.status == "new" and ticket.office_id == desk.tehran.id and ticket.created_by_id == desk.agent.id
    [change] = ticket.status_changes
    assert (change.old_status, change.new_status) == (None, "new")


def test_sla_hours_are_settings(desk, open_ticket):
    settings.update({"support.sla_high_hours": 5})
    assert open_ticket(priority="high").due_at - utcnow() < 5 * H + dt.timedelta(seconds=5)
    assert sla.hours_for("high") == 5


def test_due_time_in_jalali_across_nowruz():
    """22:30 on 30 Esfand 1403 (a leap year) + 2 hours is half past midnight on 1 Farvardin 1404."""
    start = tehran(1403, 12, 30, 22, 30)
    due = start + 2 * H
    assert format_datetime(due) == "۱۴۰۴/۰۱/۰۱ ۰۰:۳۰"
    assert format_datetime(due, "en") == "1404/01/01 00:30"


def test_a_new_priority_moves_the_due_time_by_the_difference(desk, open_ticket):
    ticket = open_ticket(priority="normal")
    due = ticket.due_at
    tickets.update(ticket.id, {"priority": "urgent"}, desk.agent)
    assert ticket.due_at == due - 22 * H
    tickets.update(ticket.id, {"priority": "low"}, desk.agent)
    assert ticket.due_at == due + 48 * H


def test_waiting_for_the_customer_pauses_the_clock(desk, open_ticket, db):
    ticket = open_ticket(priority="high")
    due = ticket.due_at
    tickets.change_status(ticket.id, "waiting_customer", desk.agent)
    assert ticket.paused_at is not None and not ticket.is_overdue(due + 5 * H)  # the clock stands still
    ticket.paused_at -= 3 * H  # the customer took three hours to answer
    db.session.commit()
    tickets.change_status(ticket.id, "in_progress", desk.agent)
    assert ticket.paused_at is None
    assert abs((ticket.due_at - due) - 3 * H) < dt.timedelta(seconds=5)


def test_reopening_starts_a_fresh_clock(desk, open_ticket, db):
    ticket = open_ticket(priority="urgent")
    ticket.due_at = utcnow() - H
    db.session.commit()
    assert sla.sweep() == 1
    tickets.change_status(ticket.id, "resolved", desk.agent)
    assert ticket.resolved_at is not None
    tickets.change_status(ticket.id, "reopened", desk.agent, "مشتری دوباره تماس گرفت")
    assert ticket.breached_at is None and ticket.resolved_at is None
    assert abs(ticket.due_at - (utcnow() + 2 * H)) < dt.timedelta(seconds=5)


# --- transitions ----------------------------------------------------------------------------------

def test_the_transition_table_is_enforced_for_every_pair():
    for old in STATUSES:
        for new in STATUSES:
            if new in TRANSITIONS[old]:
                tickets.check_transition(old, new)
            else:
                with pytest.raises(ValidationError) as err:
                    tickets.check_transition(old, new)
                assert f"«{STATUSES[new]}»" in str(err.value)


def test_a_ticket_through_its_life(desk, open_ticket, db):
    ticket = open_ticket()
    for status in ("in_progress", "waiting_customer", "in_progress", "resolved", "closed", "reopened", "resolved"):
        tickets.change_status(ticket.id, status, desk.agent, f"به {STATUSES[status]}")
    path = [(c.old_status, c.new_status) for c in ticket.status_changes]
    assert path == [(None, "new"), ("new", "in_progress"), ("in_progress", "waiting_customer"),
                    ("waiting_customer", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed"),
                    ("closed", "reopened"), ("reopened", "resolved")]
    assert all(c.actor_id == desk.agent.id for c in ticket.status_changes)
    # The audit trail holds every change of the ticket too.
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "support_tickets",
                                                          AuditEntry.record_id == str(ticket.id))
                                 .order_by(AuditEntry.id)).all()
    assert [e.changes["status"][1] for e in entries if "status" in e.changes] == \
        ["new", "in_progress", "waiting_customer", "in_progress", "resolved", "closed", "reopened", "resolved"]


@pytest.mark.parametrize("path, bad, words", [
    ((), "reopened", ["«تازه»", "«بازگشایی‌شده»"]),
    (("in_progress", "resolved", "closed"), "in_progress", ["«بسته»", "فقط به «بازگشایی‌شده»"]),
    (("in_progress",), "in_progress", ["هم‌اکنون"]),
    ((), "archived", ["شناخته نیست"]),
])
def test_illegal_transitions_are_refused_in_persian_and_write_nothing(desk, open_ticket, db, path, bad, words):
    ticket = open_ticket()
    for status in path:
        tickets.change_status(ticket.id, status, desk.agent)
    changes = count(db, TicketStatusChange)
    status = ticket.status
    with pytest.raises(ValidationError) as err:
        tickets.change_status(ticket.id, bad, desk.agent, "نباید ثبت شود")
    for word in words:
        assert word in str(err.value)
    db.session.rollback()
    assert count(db, TicketStatusChange) == changes
    assert db.session.get(Ticket, ticket.id).status == status


# --- creating, bad input --------------------------------------------------------------------------

@pytest.mark.parametrize("change, field, message", [
    ({"party_id": None}, "party_id", "مشتری"),
    ({"party_id": 99999}, "party_id", "پیدا نشد"),
    ({"title": "  "}, "title", "عنوان"),
    ({"title": "ب" * 201}, "title", "۲۰۰"),
    ({"channel": "fax"}, "channel", "کانال"),
    ({"channel": ""}, "channel", "کانال"),
    ({"priority": "critical"}, "priority", "اولویت"),
    ({"order_ref": "order 42"}, "order_ref", "crm.order:42"),
    ({"order_number": "12"}, "order_number", "مرجع سفارش"),
    ({"order_ref": "crm.order:42", "order_number": "abc"}, "order_number", "عدد صحیح"),
    ({"office_id": 99999}, "office_id", "دفتر"),
])
def test_bad_tickets_are_refused_in_persian_and_write_nothing(desk, open_ticket, db, change, field, message):
    with pytest.raises(ValidationError) as err:
        open_ticket(**change)
    assert message in err.value.errors[field]
    db.session.rollback()
    assert count(db, Ticket) == 0 and count(db, TicketStatusChange) == 0


def test_category_product_and_assignee_are_checked(desk, open_ticket, db):
    with pytest.raises(ValidationError, match="دسته"):
        open_ticket(category_id=desk.retired.id)
    with pytest.raises(ValidationError, match="کالا"):
        open_ticket(product_id=desk.old_product.id)
    with pytest.raises(ValidationError, match="کارشناس فعال پشتیبانی نیست"):
        open_ticket(assignee_id=desk.rep.id)
    with pytest.raises(ValidationError, match="فقط از کارشناسان پشتیبانی"):
        open_ticket(actor=desk.rep, assignee_id=desk.agent.id)  # a rep opens tickets, but does not assign them
    db.session.rollback()
    assert count(db, Ticket) == 0
    ticket = open_ticket(category_id=desk.category.id, product_id=desk.product.id, assignee_id=desk.agent2.id,
                         order_ref="crm.order:42", order_number="۱۰۰۵")
    assert (ticket.category_id, ticket.product_id, ticket.assignee_id, ticket.order_ref, ticket.order_number) == \
        (desk.category.id, desk.product.id, desk.agent2.id, "crm.order:42", 1005)


def test_a_merged_customer_becomes_the_one_it_was_merged_into(desk, open_ticket, db):
    desk.other.merged_into_id = desk.party.id
    db.session.commit()
    assert open_ticket(party_id=desk.other.id).party_id == desk.party.id


# --- assignment -----------------------------------------------------------------------------------

def test_assignment(desk, open_ticket, db):
    ticket = open_ticket()
    assert ticket.assignee_id is None
    tickets.assign(ticket.id, desk.agent2.id, desk.agent)
    assert ticket.assignee_id == desk.agent2.id
    with pytest.raises(ValidationError, match="پشتیبانی نیست"):
        tickets.assign(ticket.id, desk.keeper.id, desk.agent)
    db.session.rollback()
    tickets.assign(ticket.id, None, desk.agent)  # back to the team queue
    assert db.session.get(Ticket, ticket.id).assignee_id is None
    desk.agent2.active = False
    db.session.commit()
    with pytest.raises(ValidationError):
        tickets.assign(ticket.id, desk.agent2.id, desk.agent)
    db.session.rollback()
    for status in ("in_progress", "resolved"):
        tickets.change_status(ticket.id, status, desk.agent)
    with pytest.raises(ValidationError, match="بازگشایی"):
        tickets.assign(ticket.id, desk.agent.id, desk.agent)


# --- visibility -----------------------------------------------------------------------------------

def test_who_sees_which_ticket(desk, open_ticket, db):
    tehran = open_ticket()
    by_rep = open_ticket(actor=desk.rep, office_id=desk.isfahan.id)
    isfahan = open_ticket(actor=desk.far_agent, party_id=desk.other.id)
    seen = lambda user: {t.id for t in db.session.scalars(queries.ticket_query(user, "all"))}  # noqa: E731
    assert seen(desk.agent) == {tehran.id}                      # own office
    assert seen(desk.rep) == {tehran.id, by_rep.id}             # own office and what he opened elsewhere
    assert seen(desk.far_agent) == {by_rep.id, isfahan.id}
    assert seen(desk.inspector) == {tehran.id, by_rep.id, isfahan.id}   # support.scope_all
    assert seen(desk.admin) == {tehran.id, by_rep.id, isfahan.id}
    with pytest.raises(tickets.NotFound):
        tickets.change_status(isfahan.id, "in_progress", desk.agent)
    db.session.rollback()
    with pytest.raises(tickets.NotFound):
        tickets.add_note(isfahan.id, {"body": "سلام"}, desk.agent)
    tickets.assign(isfahan.id, desk.agent.id, desk.far_agent)   # given to a Tehran agent: he sees it now
    assert isfahan.id in seen(desk.agent)


def test_lists_mine_queue_and_overdue(desk, open_ticket, db):
    mine = open_ticket(assignee_id=desk.agent.id)
    queued = open_ticket()
    late = open_ticket(assignee_id=desk.agent2.id)
    late.due_at = utcnow() - H
    waiting = open_ticket(assignee_id=desk.agent.id)
    tickets.change_status(waiting.id, "waiting_customer", desk.agent)
    waiting.due_at = utcnow() - H   # paused: not overdue
    db.session.commit()
    ids = lambda view, **f: {t.id for t in db.session.scalars(queries.ticket_query(desk.agent, view, queries.Filters(**f)))}  # noqa: E731
    assert ids("mine") == {mine.id, waiting.id}
    assert ids("queue") == {mine.id, queued.id, late.id, waiting.id}
    assert ids("all", unassigned=True) == {queued.id}
    assert ids("overdue") == {late.id}
    assert ids("all", overdue=True) == {late.id}
    assert ids("all", status="waiting_customer") == {waiting.id}
    assert ids("all", q=str(queued.id)) == {queued.id}
    assert ids("all", q="مهرگان") == {mine.id, queued.id, late.id, waiting.id}
    assert queries.tab_counts(desk.agent) == {"mine": 2, "queue": 4, "overdue": 1}


# --- notes and attachments ------------------------------------------------------------------------

def test_notes_with_attachments(desk, open_ticket, db, app):
    ticket = open_ticket(storages=None)
    note = tickets.add_note(ticket.id, {"body": "عکس رسید را فرستاد", "for_customer": "on"}, desk.agent,
                            [upload("رسید.png", PNG), upload("factor.pdf", PDF)])
    assert note.for_customer and [a.filename for a in note.attachments] == ["رسید.png", "factor.pdf"]
    stored = note.attachments[0]
    path = tickets.path_of(stored)
    assert os.path.exists(path) and open(path, "rb").read() == PNG
    assert stored.stored_name not in ("رسید.png",) and stored.content_type == "image/png"
    only_file = tickets.add_note(ticket.id, {"body": ""}, desk.agent, [upload("a.txt", "متن".encode())])
    assert only_file.body == "" and not only_file.for_customer


@pytest.mark.parametrize("files, message", [
    ([("setup.exe", b"MZ\x90\x00" * 10)], "نوع فایل"),
    ([("invoice.pdf", b"MZ\x90\x00" * 10)], "جور نیست"),       # an executable renamed .pdf
    ([("empty.pdf", b"")], "خالی"),
    ([("big.pdf", b"%PDF" + b"0" * (1024 * 1024))], "مگابایت"),
    ([("ok.pdf", PDF), ("run.txt", b"#!/bin/sh\nrm -rf /")], "جور نیست"),  # one bad file: none is kept
    ([], "بنویسید یا فایلی"),
])
def test_bad_attachments_are_refused_and_write_nothing(desk, open_ticket, db, app, files, message):
    files = [upload(name, data) for name, data in files]
    settings.update({"support.attachment_max_mb": 1})
    ticket = open_ticket()
    folder = os.path.join(app.config["UPLOAD_FOLDER"], "support")
    before = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    with pytest.raises(ValidationError) as err:
        tickets.add_note(ticket.id, {"body": "" if not files else "با پیوست"}, desk.agent, files)
    assert message in str(err.value)
    db.session.rollback()
    assert count(db, TicketNote) == 0 and count(db, TicketAttachment) == 0
    after = set(os.listdir(folder)) if os.path.isdir(folder) else set()
    assert after == before


def test_attachments_per_ticket_are_limited(desk, open_ticket, db):
    settings.update({"support.max_attachments": 2})
    ticket = open_ticket()
    tickets.add_note(ticket.id, {"body": "دو فایل"}, desk.agent, [upload("a.pdf", PDF), upload("b.pdf", PDF)])
    with pytest.raises(ValidationError) as err:
        tickets.add_note(ticket.id, {"body": "یکی دیگر"}, desk.agent, [upload("c.pdf", PDF)])
    assert "حداکثر ۲ پیوست" in str(err.value)
    db.session.rollback()
    assert count(db, TicketAttachment) == 2 and count(db, TicketNote) == 1
    with pytest.raises(ValidationError):
        open_ticket(storages=[upload(f"{i}.pdf", PDF) for i in range(3)])  # at creation too
    db.session.rollback()
    assert count(db, Ticket) == 1


def test_a_ticket_opened_with_files(desk, open_ticket):
    ticket = open_ticket(storages=[upload("photo.png", PNG)])
    [a] = ticket.attachments
    assert a.note_id is None and a.uploaded_by_id == desk.agent.id


# --- the breach sweep -----------------------------------------------------------------------------

def _pending(db):
    return [e for e in db.session.info.get("peyvand_events", []) if e[0] == "support.sla_breached"]


def test_breach_sweep_flags_once_and_twice_changes_nothing(desk, open_ticket, db):
    late = open_ticket(assignee_id=desk.agent.id, priority="urgent")
    waiting = open_ticket(assignee_id=desk.agent.id)
    on_time = open_ticket()
    done = open_ticket()
    tickets.change_status(waiting.id, "waiting_customer", desk.agent)
    tickets.change_status(done.id, "resolved", desk.agent)
    for t in (late, waiting, done):
        t.due_at = utcnow() - H
    db.session.commit()

    assert sla.sweep(commit=False) == 1
    [(name, payload)] = _pending(db)
    assert payload["ticket"] == f"support.ticket:{late.id}" and payload["assignee_id"] == desk.agent.id
    db.session.commit()
    first = db.session.get(Ticket, late.id).breached_at
    assert first is not None
    assert {t.id for t in db.session.scalars(select(Ticket).where(Ticket.breached_at.is_not(None)))} == {late.id}
    audit = count(db, AuditEntry, AuditEntry.table_name == "support_tickets", AuditEntry.record_id == str(late.id))

    assert sla.sweep(commit=False) == 0       # twice: nothing more flagged, nothing announced
    assert _pending(db) == []
    db.session.commit()
    assert db.session.get(Ticket, late.id).breached_at == first
    assert count(db, AuditEntry, AuditEntry.table_name == "support_tickets", AuditEntry.record_id == str(late.id)) == audit
    assert on_time.breached_at is None


def test_breach_notice_reaches_subscribers_after_commit_only(make_app):
    """A real `after_commit_event` subscriber hears of the breach once, after the commit; a
    rolled-back sweep tells nobody."""
    from core.db import db
    from core.services.groups import seed_role_groups
    from core.services.users import save_user
    from core.testing import plugin
    heard = []
    app = make_app(plugins=[("spy", plugin(after_commit_event=lambda name, payload: heard.append((name, payload))))])
    with app.app_context():
        groups = seed_role_groups()
        agent = save_user(dict(username="agent", first_name="الف", last_name="ب", password="password123",
                               password_repeat="password123", group_ids=[groups["support"].id]))
        from core.services.parties import save_party
        party = save_party({"kind": "person", "name": "مشتری"})
        ticket = tickets.create({"party_id": party.id, "title": "خراب", "channel": "phone",
                                 "assignee_id": agent.id}, agent)
        ticket.due_at = utcnow() - H
        db.session.commit()
        heard.clear()
        sla.sweep(commit=False)
        db.session.rollback()
        assert heard == []
        assert sla.sweep() == 1
        assert [(n, p["ticket_id"], p["assignee_id"]) for n, p in heard] == [("support.sla_breached", ticket.id, agent.id)]
        assert sla.sweep() == 0 and len(heard) == 1
        db.session.remove()


def test_two_sweeps_at_once_flag_each_breach_once(desk, open_ticket, db, app):
    ids = []
    for _ in range(6):
        t = open_ticket(assignee_id=desk.agent.id)
        t.due_at = utcnow() - H
        ids.append(t.id)
    db.session.commit()
    db.session.remove()
    barrier, results, errors = threading.Barrier(2), [], []

    def run():
        with app.app_context():
            try:
                barrier.wait()
                results.append(sla.sweep())
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert sorted(results) == [0, 6]
    entries = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "support_tickets")).all()
    assert sorted(int(e.record_id) for e in entries if "breached_at" in e.changes) == sorted(ids)


def test_the_periodic_task_and_the_cli_command(desk, open_ticket, db, app):
    t = open_ticket()
    t.due_at = utcnow() - H
    db.session.commit()
    task = app.extensions["peyvand"].periodic_tasks["support.sla_sweep"]
    assert task.interval == 300
    result = app.test_cli_runner().invoke(args=["support", "sweep"])
    assert result.exit_code == 0 and result.output.strip().endswith("1"), result.output
    assert task.func() == 0
    assert db.session.get(Ticket, t.id).breached_at is not None


# --- customers ------------------------------------------------------------------------------------

@pytest.mark.parametrize("text", ["مهرگان", "صنايع غذايي", "۰۹۱۲۳۴۵", "912 345 6789", "+989123456789", "8877 6655"])
def test_customer_search_by_normalised_name_or_phone(desk, text):
    assert [p.id for p in queries.party_search(text, desk.agent)] == [desk.party.id]


def test_customer_search_ignores_short_text_and_merged_parties(desk, db):
    assert queries.party_search("م", desk.agent) == []
    assert [p.id for p in queries.party_search("علی کریمی", desk.agent)] == [desk.other.id]   # stored with Arabic ي/ك
    desk.other.merged_into_id = desk.party.id
    db.session.commit()
    assert queries.party_search("علی کریمی", desk.agent) == []


def test_party_merged_moves_the_tickets(desk, open_ticket, db, app):
    a = open_ticket(party_id=desk.other.id)
    b = open_ticket(party_id=desk.other.id)
    keep = open_ticket()
    assert move_party(desk.party.id, desk.other.id) == {"tickets": 2}
    db.session.commit()
    assert {t.party_id for t in db.session.scalars(select(Ticket))} == {desk.party.id}
    assert move_party(desk.party.id, desk.other.id) is None
    # Through the hook, as the CRM's merge calls it.
    host = app.extensions["peyvand"].host
    c = open_ticket(party_id=desk.other.id)
    answers = dict(host.call_each("party_merged", kept_party_id=desk.party.id, merged_party_id=desk.other.id,
                                  actor=desk.admin))
    assert answers["support"] == {"tickets": 1}
    assert {db.session.get(Ticket, i).party_id for i in (a.id, b.id, keep.id, c.id)} == {desk.party.id}


# --- dashboard ------------------------------------------------------------------------------------

def test_dashboard_kpis_for_the_period_and_scope(desk, open_ticket, db, app):
    today = today_tehran()
    old = open_ticket(assignee_id=desk.agent.id)
    old.created_at = old.created_at - dt.timedelta(days=40)
    late = open_ticket(assignee_id=desk.agent.id)
    late.due_at = utcnow() - H
    solved = open_ticket(assignee_id=desk.agent2.id)
    far = open_ticket(actor=desk.far_agent, party_id=desk.other.id, assignee_id=desk.far_agent.id)
    db.session.commit()
    sla.sweep()
    tickets.change_status(solved.id, "resolved", desk.agent)
    period = Period(today - dt.timedelta(days=6), today, "هفتهٔ اخیر")

    def values(scope):
        with app.test_request_context():
            return {k.key: k for k in kpis.dashboard(period, scope)}

    every = values(Scope(viewer_id=desk.admin.id))
    assert (every["support.open"].value, every["support.breached"].value, every["support.opened"].value,
            every["support.resolved"].value) == (3, 1, 3, 1)
    assert all(k.group == "پشتیبانی" and k.link.startswith("/support/tickets?") for k in every.values())
    tehran = values(Scope(viewer_id=desk.admin.id, office_id=desk.tehran.id))
    assert (tehran["support.open"].value, tehran["support.opened"].value) == (2, 2)
    mine = values(Scope(viewer_id=desk.admin.id, user_ids=[desk.agent.id]))
    assert (mine["support.open"].value, mine["support.breached"].value, mine["support.resolved"].value) == (2, 1, 0)
    assert "assignee=" in mine["support.open"].link
    # The hook answers the same, and the links lead to the same records.
    assert ("support" in dict(app.extensions["peyvand"].host.call_each(
        "dashboard_kpis", period=period, scope=Scope(viewer_id=desk.admin.id))))
    f = queries.Filters(breached_from=period.start, breached_to=period.end)
    assert {t.id for t in db.session.scalars(queries.ticket_query(desk.admin, "all", f))} == {late.id}
    _ = far
