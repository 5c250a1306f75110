"""Opportunities in pipelines (stages, required fields, the board), tasks and reminders, and
documents attached to the customer history."""
import datetime as dt
import io

import pytest
from sqlalchemy import select
from werkzeug.datastructures import FileStorage

from core.audit import history
from core.jalali import format_date, today_tehran, utcnow
from core.validation import ValidationError
from plugins.crm.models import Attachment, LogEntry, Negotiation, Pipeline, Task
from plugins.crm.services import attachments, pipeline, tasks
from plugins.crm.services import negotiations as neg
from plugins.crm.services.negotiations import NotFound


@pytest.fixture
def default_pipeline(db):
    p = pipeline.ensure_default()
    db.session.commit()
    return p


def test_new_opportunities_start_in_the_first_stage_and_move_when_complete(db, org, register, default_pipeline):
    n = register(org.a)
    stages = default_pipeline.stages
    assert n.stage_id == stages[0].id
    with pytest.raises(ValidationError, match="جزئیات نیاز"):
        pipeline.move(n.id, stages[1].id, org.a)
    db.session.rollback()
    pipeline.update_opportunity(n.id, {"need_details": "۱۰ دستگاه کارت‌خوان", "value": "۴۵٬۰۰۰٬۰۰۰٬۰۰۰",
                                       "forecast_close": "1405/01/15", "priority": "high"}, org.a)
    moved = pipeline.move(n.id, stages[3].id, org.a)
    assert (moved.stage_id, moved.probability, moved.value) == (stages[3].id, 75, 45_000_000_000)
    # Each move is in the audit trail with old and new stage.
    changes = [e.changes for e in history("crm_negotiations", n.id) if "stage_id" in e.changes]
    assert changes[0]["stage_id"] == [stages[0].id, stages[3].id]
    # Someone else's, or a closed one, does not move.
    with pytest.raises(ValidationError, match="مسئول"):
        pipeline.move(n.id, stages[4].id, org.b)
    db.session.rollback()
    with pytest.raises(NotFound):
        pipeline.move(n.id, stages[4].id, org.c)
    db.session.rollback()
    neg.change_status(n.id, "cut", org.a)
    with pytest.raises(ValidationError, match="در جریان"):
        pipeline.move(n.id, stages[4].id, org.a)


def test_opportunity_fields_are_validated(db, org, register, default_pipeline):
    n = register(org.a)
    for data, field in (({"value": "-5"}, "value"), ({"value": "10" * 10}, "value"), ({"priority": "urgent"}, "priority"),
                        ({"forecast_close": "1403/13/01"}, "forecast_close"), ({"probability": "150"}, "probability")):
        with pytest.raises(ValidationError) as exc:
            pipeline.update_opportunity(n.id, data, org.a)
        assert field in exc.value.errors
    assert db.session.get(Negotiation, n.id).value is None


def test_pipelines_are_defined_per_organisation(db, org, default_pipeline):
    p = pipeline.save_pipeline({"name": "فروش پروژه‌ای", "stages": [
        {"name": "ارزیابی", "probability": 20}, {"name": "مناقصه", "probability": 60, "required_fields": ["value"]}]})
    assert [s.name for s in p.stages] == ["ارزیابی", "مناقصه"]
    for data in ({"name": "", "stages": [{"name": "x"}]}, {"name": "y", "stages": []},
                 {"name": "z", "stages": [{"name": "a"}, {"name": "a"}]},
                 {"name": "w", "stages": [{"name": "a", "probability": 140}]},
                 {"name": "v", "stages": [{"name": "a", "required_fields": ["colour"]}]},
                 {"name": "قیف فروش", "stages": [{"name": "a"}]}):
        with pytest.raises(ValidationError):
            pipeline.save_pipeline(data)
        db.session.rollback()
    assert db.session.query(Pipeline).count() == 2


def test_the_board_counts_sums_and_shows_only_visible_cards(db, org, register, default_pipeline):
    first = default_pipeline.stages[0]
    for i, user in enumerate((org.a, org.a, org.b, org.c)):
        n = register(user, name=f"مشتری {i}")
        pipeline.update_opportunity(n.id, {"value": str((i + 1) * 1_000_000)}, user)
    columns = pipeline.board(default_pipeline, org.a)
    assert columns[0]["stage"].id == first.id
    assert columns[0]["count"] == 3 and columns[0]["total"] == 6_000_000  # A's two and B's (same office); not C's
    assert [r.Negotiation.value for r in columns[0]["cards"]] == [3_000_000, 2_000_000, 1_000_000]
    admin_cols = pipeline.board(default_pipeline, org.admin)
    assert admin_cols[0]["count"] == 4
    assert pipeline.board(default_pipeline, org.admin, q="مشتری 3")[0]["count"] == 1


def test_tasks_reminders_and_completing_with_a_log_entry(db, org, register):
    n = register(org.a)
    tomorrow = format_date(today_tehran() + dt.timedelta(days=1))
    task = tasks.create({"title": "تماس برای پیش‌فاکتور", "due_date": tomorrow, "due_time": "۱۰:۳۰",
                         "customer_id": n.customer_id, "priority": "high"}, org.a)
    assert task.assignee_id == org.a.id and task.negotiation_id == n.id
    for data, field in (({"title": "", "due_date": tomorrow}, "title"), ({"title": "x"}, "due_date"),
                        ({"title": "x", "due_date": "1400/01/01"}, "due_date"),
                        ({"title": "x", "due_date": tomorrow, "due_time": "25:99"}, "due_time")):
        with pytest.raises(ValidationError) as exc:
            tasks.create(data, org.a)
        assert field in exc.value.errors
    with pytest.raises(ValidationError, match="زیردست"):
        tasks.create({"title": "x", "due_date": tomorrow, "assignee_id": org.b.id}, org.a)
    # Overdue flagging is once per task.
    task.due_at = utcnow() - dt.timedelta(hours=1)
    db.session.commit()
    assert tasks.flag_overdue() == 1 and tasks.flag_overdue() == 0
    # The manager sees A's tasks; completing with an entry logs the call on the negotiation.
    assert [t.id for t in db.session.scalars(tasks.for_user(org.manager))] == [task.id]
    done = tasks.complete(task.id, org.a, entry={"summary": "پیش‌فاکتور تأیید شد", "next_contact": tomorrow})
    entry = db.session.get(LogEntry, done.log_entry_id)
    assert (done.status, entry.kind, entry.negotiation_id) == ("done", "call", n.id)
    with pytest.raises(ValidationError, match="بسته"):
        tasks.complete(task.id, org.a)


def test_completing_with_a_bad_entry_writes_nothing(db, org, register):
    n = register(org.a)
    task = tasks.create({"title": "t", "due_date": format_date(today_tehran()), "due_time": "23:59",
                         "customer_id": n.customer_id}, org.a)
    with pytest.raises(ValidationError):
        tasks.complete(task.id, org.a, entry={"summary": "", "next_contact": "1399/01/01"})
    db.session.rollback()
    assert db.session.get(Task, task.id).status == "open"
    assert db.session.scalars(select(LogEntry)).all() == []


def _file(name, data):
    return FileStorage(io.BytesIO(data), filename=name)


def test_attachments_size_and_type_limits(app, db, org, register):
    n = register(org.a)
    pdf = attachments.save(n.customer_id, _file("پیش‌فاکتور.pdf", b"%PDF-1.7\n..."), org.a)
    db.session.commit()
    assert (pdf.filename, pdf.content_type, pdf.size) == ("پیش‌فاکتور.pdf", "application/pdf", 12)
    with open(attachments.path_of(pdf), "rb") as f:
        assert f.read().startswith(b"%PDF")
    for name, data, message in (("virus.exe", b"MZ\x90", "نوع فایل"), ("invoice.pdf", b"MZ\x90\x00", "جور نیست"),
                                ("run.txt", b"#!/bin/sh\nrm -rf /", "جور نیست"), ("x.pdf", b"", "خالی"),
                                ("big.pdf", b"%PDF" + b"0" * (10 * 1024 * 1024), "حجم"), ("", b"%PDF", "انتخاب نشده")):
        with pytest.raises(ValidationError, match=message):
            attachments.save(n.customer_id, _file(name, data), org.a)
    assert db.session.query(Attachment).count() == 1
