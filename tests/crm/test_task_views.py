"""Tasks and reminders through the screens and the API: «کارهای من», the task form of the
customer page, completing (with the interaction logged in the same step) and cancelling, the
workbench panel and the daily follow-ups.

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import datetime as dt
import re

import pytest
from sqlalchemy import func, select

from core import auth
from core.jalali import TEHRAN, UTC, format_date, today_tehran, utcnow
from plugins.crm.models import LogEntry, Negotiation, Task
from plugins.crm.services import tasks


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, *where) -> int:
    db.session.rollback()
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def reload(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def jday(days: int) -> str:
    return format_date(today_tehran() + dt.timedelta(days=days))


def tehran(days: int, hour: int, minute: int = 0) -> dt.datetime:
    """A Tehran wall-clock time `days` from today, as stored (naive UTC)."""
    day = today_tehran() + dt.timedelta(days=days)
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def task_ids(page: str) -> list[int]:
    return [int(x) for x in re.findall(r'<li class="list-group-item crm-task[^"]*" id="task-(\d+)"', page)]


@pytest.fixture
def as_user(client, login_as):
    def do(user):
        login_as(user)
        return client
    return do


@pytest.fixture
def api(client):
    def call(user, method, path, **kwargs):
        _token, secret = auth.create_token(user, "test")
        return client.open(f"/api/v1/crm{path}", method=method, headers={"Authorization": f"Bearer {secret}"}, **kwargs)
    return call


def make_task(db, user, title, due_at, assignee=None, customer_id=None, **fields):
    """A task at any due time (the service refuses the past, so overdue ones are set directly)."""
    task = tasks.create({"title": title, "due_date": jday(1), "customer_id": customer_id,
                         "assignee_id": (assignee or user).id, **fields}, user)
    task.due_at = due_at
    db.session.commit()
    return task


def task_form(**changes) -> dict:
    data = {"title": "تماس برای پیش‌فاکتور", "kind": "call", "due_date": jday(1), "due_time": "۱۰:۳۰",
            "priority": "high", "assignee_id": "", "notes": ""}
    data.update(changes)
    return data


# --- the customer page's task form ----------------------------------------------------------------

def test_a_task_from_the_customer_page(db, org, register, as_user):
    n = register(org.a)
    r = as_user(org.a).post(f"/crm/customers/{n.customer_id}/tasks", data=task_form(), headers={"HX-Request": "true"})
    page = text(r)
    assert r.status_code == 200 and "ثبت شد" in page and "تماس برای پیش‌فاکتور" in page
    task = db.session.scalars(select(Task)).one()
    assert (task.assignee_id, task.customer_id, task.negotiation_id, task.priority) == (org.a.id, n.customer_id, n.id, "high")
    assert task.due_at == tehran(1, 10, 30)  # 10:30 Tehran, stored in UTC


@pytest.mark.parametrize("changes,message", [
    ({"title": ""}, "«عنوان» را وارد کنید"),
    ({"due_date": ""}, "تاریخ سررسید را وارد کنید"),
    ({"due_date": jday(-1)}, "نمی‌تواند در گذشته باشد"),
    ({"due_date": "1403/13/01"}, "در تقویم وجود ندارد"),
    ({"due_time": "۲۵:۹۹"}, "ساعت را به شکل"),
    ({"kind": "party"}, "نوع کار معتبر نیست"),
])
def test_wrong_tasks_are_refused_in_persian_and_nothing_is_written(db, org, register, as_user, changes, message):
    n = register(org.a)
    r = as_user(org.a).post(f"/crm/customers/{n.customer_id}/tasks", data=task_form(**changes))
    assert r.status_code == 200 and message in text(r)
    assert 'id="task-form"' in text(r) and 'class="collapse show' in text(r)  # the form stays open
    assert count(db, Task) == 0


def test_a_task_goes_only_to_yourself_or_a_subordinate(db, org, register, as_user):
    n = register(org.a)
    r = as_user(org.a).post(f"/crm/customers/{n.customer_id}/tasks", data=task_form(assignee_id=str(org.b.id)))
    assert "زیردستانتان" in text(r) and count(db, Task) == 0
    # The manager gives A a task on A's customer.
    r = as_user(org.manager).post(f"/crm/customers/{n.customer_id}/tasks", data=task_form(assignee_id=str(org.a.id)))
    assert r.status_code == 302
    assert db.session.scalars(select(Task)).one().assignee_id == org.a.id
    # The form offers only oneself and subordinates.
    page = text(as_user(org.manager).get(f"/crm/customers/{n.customer_id}"))
    offered = re.search(r'<select[^>]*name="assignee_id".*?</select>', page, re.S).group(0)
    assert f'value="{org.a.id}"' in offered and f'value="{org.b.id}"' not in offered


def test_no_task_on_a_customer_one_may_not_see(db, org, register, as_user):
    n = register(org.a)
    assert as_user(org.c).post(f"/crm/customers/{n.customer_id}/tasks", data=task_form()).status_code == 404
    assert count(db, Task) == 0


# --- «کارهای من» ----------------------------------------------------------------------------------

def test_my_tasks_in_sections_with_overdue_highlighted(db, org, register, as_user):
    n = register(org.a, name="آرش آریان")
    now = utcnow()
    late = make_task(db, org.a, "دیرکرده", now - dt.timedelta(hours=3), customer_id=n.customer_id)
    later_today = make_task(db, org.a, "امروز", min(now + dt.timedelta(minutes=2), tehran(0, 23, 59)))
    tomorrow = make_task(db, org.a, "فردا", tehran(1, 9))
    make_task(db, org.b, "کار بهرام", tehran(1, 9))
    page = text(as_user(org.a).get("/crm/tasks"))
    assert task_ids(page) == [late.id, later_today.id, tomorrow.id]
    assert re.findall(r'data-section="(\w+)"', page) == ["overdue", "today", "upcoming"]
    assert re.search(rf'id="task-{late.id}" data-task="{late.id}" data-overdue="1"', page)
    assert 'id="count-overdue" data-count="1"' in page and 'id="count-upcoming" data-count="1"' in page
    assert "آرش آریان" in page and "عقب‌افتاده" in page


def test_a_manager_sees_subordinates_tasks_and_can_narrow_to_one(db, org, as_user):
    mine = make_task(db, org.manager, "کار مدیر", tehran(2, 9))
    theirs = make_task(db, org.a, "کار علی", tehran(1, 9))
    make_task(db, org.b, "کار بهرام", tehran(1, 9))  # not below the manager
    page = text(as_user(org.manager).get("/crm/tasks"))
    assert task_ids(page) == [theirs.id, mine.id] and "علی احمدی" in page
    page = text(as_user(org.manager).get(f"/crm/tasks?assignee={org.a.id}"))
    assert task_ids(page) == [theirs.id]
    page = text(as_user(org.manager).get(f"/crm/tasks?assignee={org.b.id}"))  # not theirs: ignored
    assert task_ids(page) == [theirs.id, mine.id]
    assert task_ids(text(as_user(org.a).get("/crm/tasks"))) == [theirs.id]


def test_a_task_of_ones_own_from_my_tasks(db, org, as_user):
    r = as_user(org.a).post("/crm/tasks/new", data=task_form(title="گزارش هفتگی"))
    assert r.status_code == 302
    task = db.session.scalars(select(Task)).one()
    assert task.customer_id is None and task.title == "گزارش هفتگی"
    r = as_user(org.a).post("/crm/tasks/new", data=task_form(title="", due_date=jday(-3)))
    page = text(r)
    assert "«عنوان» را وارد کنید" in page or "گذشته" in page
    assert count(db, Task) == 1


def test_tasks_need_the_log_permission(db, org, as_user):
    assert as_user(org.inspector).get("/crm/tasks").status_code == 403
    assert as_user(org.inspector).post("/crm/tasks/new", data=task_form()).status_code == 403


# --- completing and cancelling --------------------------------------------------------------------

def test_completing_logs_the_interaction_in_the_same_step(db, org, register, as_user):
    n = register(org.a)
    task = make_task(db, org.a, "تماس", tehran(1, 9), customer_id=n.customer_id, kind="meeting")
    r = as_user(org.a).post(f"/crm/tasks/{task.id}/complete", data={
        f"t{task.id}-summary": "جلسه برگزار شد؛ پیش‌فاکتور را پذیرفتند", f"t{task.id}-next_contact": jday(7),
        "origin": "customer"}, headers={"HX-Request": "true"})
    page = text(r)
    assert r.status_code == 200 and "انجام شد و مذاکره" in page and "جلسه برگزار شد" in page
    done = reload(db, Task, task.id)
    entry = db.session.get(LogEntry, done.log_entry_id)
    assert (done.status, entry.kind, entry.negotiation_id) == ("done", "meeting", n.id)
    assert reload(db, Negotiation, n.id).next_contact == today_tehran() + dt.timedelta(days=7)
    # Completing twice is refused.
    r = as_user(org.a).post(f"/crm/tasks/{task.id}/complete", data={})
    assert "پیش‌تر بسته شده" in text(r)
    assert count(db, LogEntry) == 1


def test_completing_without_a_summary_logs_nothing(db, org, register, as_user):
    n = register(org.a)
    task = make_task(db, org.a, "تماس", tehran(1, 9), customer_id=n.customer_id)
    r = as_user(org.a).post(f"/crm/tasks/{task.id}/complete", data={})
    assert r.status_code == 302 and r.headers["Location"].endswith("/crm/tasks")
    assert reload(db, Task, task.id).status == "done" and count(db, LogEntry) == 0


def test_a_wrong_log_entry_leaves_the_task_open_and_keeps_what_was_typed(db, org, register, as_user):
    n = register(org.a)
    task = make_task(db, org.a, "تماس", tehran(1, 9), customer_id=n.customer_id)
    r = as_user(org.a).post(f"/crm/tasks/{task.id}/complete", data={
        f"t{task.id}-summary": "متنی که نباید گم شود", f"t{task.id}-next_contact": jday(-2)})
    page = text(r)
    assert "گذشته" in page and "متنی که نباید گم شود" in page and f'id="complete-{task.id}"' in page
    assert reload(db, Task, task.id).status == "open" and count(db, LogEntry) == 0
    # Only a next date, no summary: the summary is asked for.
    r = as_user(org.a).post(f"/crm/tasks/{task.id}/complete", data={f"t{task.id}-next_contact": jday(2)})
    assert "«شرح مذاکره» را وارد کنید" in text(r)
    assert reload(db, Task, task.id).status == "open"


def test_a_closed_negotiation_cannot_be_logged_through_a_task(db, org, register, as_user):
    from plugins.crm.services import negotiations as neg
    n = register(org.a)
    task = make_task(db, org.a, "تماس", tehran(1, 9), customer_id=n.customer_id)
    neg.change_status(n.id, "cut", org.a)
    r = as_user(org.a).post(f"/crm/tasks/{task.id}/complete", data={f"t{task.id}-summary": "x"})
    assert "در جریان نیست" in text(r)
    assert reload(db, Task, task.id).status == "open"


def test_someone_elses_task_is_not_theirs_to_close(db, org, as_user):
    task = make_task(db, org.a, "تماس", tehran(1, 9))
    assert as_user(org.b).post(f"/crm/tasks/{task.id}/complete", data={}).status_code == 404
    assert as_user(org.b).post(f"/crm/tasks/{task.id}/cancel").status_code == 404
    assert reload(db, Task, task.id).status == "open"
    # The manager above A may.
    assert as_user(org.manager).post(f"/crm/tasks/{task.id}/cancel").status_code == 302
    assert reload(db, Task, task.id).status == "cancelled"
    r = as_user(org.a).post(f"/crm/tasks/{task.id}/cancel")
    assert "پیش‌تر بسته شده" in text(r)


def test_the_customer_page_lists_open_and_recently_closed_tasks(db, org, register, as_user):
    n = register(org.a)
    open_task = make_task(db, org.a, "کار باز", tehran(1, 9), customer_id=n.customer_id)
    closed = make_task(db, org.a, "کار بسته", tehran(1, 9), customer_id=n.customer_id)
    tasks.complete(closed.id, org.a)
    page = text(as_user(org.a).get(f"/crm/customers/{n.customer_id}"))
    assert f'id="task-{open_task.id}"' in page and f'data-task="{closed.id}"' in page
    assert f'id="complete-{open_task.id}"' in page
    # B (same office) sees them but has no buttons.
    page = text(as_user(org.b).get(f"/crm/customers/{n.customer_id}"))
    assert f'id="task-{open_task.id}"' in page and f'id="complete-{open_task.id}"' not in page


# --- workbench and daily follow-ups ---------------------------------------------------------------

def test_the_workbench_shows_tasks_due_today_and_overdue(db, org, as_user):
    late = make_task(db, org.a, "دیرکرده", utcnow() - dt.timedelta(days=2))
    today = make_task(db, org.a, "امروز", tehran(0, 23, 59))
    make_task(db, org.a, "فردا", tehran(1, 9))
    page = text(as_user(org.a).get("/"))
    panel = re.search(r'id="wb-tasks".*?</ul>', page, re.S).group(0)
    assert [int(x) for x in re.findall(r'data-task="(\d+)"', panel)] == [late.id, today.id]
    assert 'data-count="2"' in panel and "فردا" not in panel
    assert 'id="wb-tasks"' not in text(as_user(org.inspector).get("/"))  # no tasks without crm.log


def test_the_daily_followups_show_the_tasks_due_that_day(db, org, as_user):
    make_task(db, org.a, "کار امروز", tehran(0, 23, 59))
    make_task(db, org.a, "کار فردا", tehran(1, 10))
    make_task(db, org.a, "کار پس‌فردا", tehran(2, 10))
    page = text(as_user(org.a).get("/crm/reports/followups"))
    assert "کار امروز" in page and "کار فردا" not in page
    page = text(as_user(org.a).get(f"/crm/reports/followups?day={jday(1)}"))
    assert "کار امروز" in page and "کار فردا" in page and "کار پس‌فردا" not in page
    page = text(as_user(org.manager).get(f"/crm/reports/followups?day={jday(1)}&owner={org.b.id}"))
    assert 'id="followup-tasks"' not in page  # B is not below the manager


# --- the API --------------------------------------------------------------------------------------

def test_api_tasks(api, db, org, register):
    n = register(org.a)
    r = api(org.a, "POST", "/tasks", json={"title": "تماس", "due_date": jday(1), "due_time": "10:30",
                                           "customer_id": n.customer_id, "kind": "call"})
    assert r.status_code == 201 and r.json["negotiation_id"] == n.id and r.json["overdue"] is False
    task_id = r.json["id"]
    iso = (today_tehran() + dt.timedelta(days=2)).isoformat()
    assert api(org.a, "POST", "/tasks", json={"title": "ایزو", "due_date": iso}).status_code == 201
    listed = api(org.manager, "GET", "/tasks").json
    assert [t["title"] for t in listed["items"]] == ["تماس", "ایزو"] and listed["total"] == 2
    assert api(org.b, "GET", "/tasks").json["total"] == 0
    # Wrong things.
    r = api(org.a, "POST", "/tasks", json={"title": "x", "due_date": jday(-1)})
    assert r.status_code == 422 and "due_date" in r.json["error"]["fields"]
    r = api(org.a, "POST", "/tasks", json={"title": "x", "due_date": jday(1), "assignee_id": org.b.id})
    assert r.status_code == 422 and "assignee_id" in r.json["error"]["fields"]
    assert api(org.c, "POST", "/tasks", json={"title": "x", "due_date": jday(1),
                                              "customer_id": n.customer_id}).status_code == 404
    assert api(org.b, "POST", f"/tasks/{task_id}/complete", json={}).status_code == 404
    r = api(org.a, "POST", f"/tasks/{task_id}/complete", json={"entry": {"summary": "", "next_contact": None}})
    assert r.status_code == 422 and reload(db, Task, task_id).status == "open"
    r = api(org.a, "POST", f"/tasks/{task_id}/complete", json={"entry": {"summary": "انجام شد", "next_contact": iso}})
    assert r.status_code == 200 and r.json["status"] == "done" and r.json["log_entry_id"]
    r = api(org.a, "POST", f"/tasks/{task_id}/complete", json={})
    assert r.status_code == 422 and "بسته" in r.json["error"]["message"]
    done = api(org.a, "GET", "/tasks?status=done").json
    assert [t["id"] for t in done["items"]] == [task_id]
    assert api(org.inspector, "GET", "/tasks").status_code == 403


def test_api_documents(api, app, db, org, register):
    import io
    n = register(org.a)
    r = api(org.a, "POST", f"/negotiations/{n.id}/documents", data={"file": (io.BytesIO(b"%PDF-1.4 x"), "نامه.pdf")},
            content_type="multipart/form-data")
    assert r.status_code == 201, r.json
    assert r.json["documents"][0]["filename"] == "نامه.pdf"
    entry = db.session.get(LogEntry, r.json["entry_id"])
    assert (entry.kind, entry.summary) == ("document", "سند: نامه.pdf")
    listed = api(org.a, "GET", f"/customers/{n.customer_id}/documents").json
    assert [d["filename"] for d in listed] == ["نامه.pdf"]
    got = api(org.b, "GET", listed[0]["url"].replace("/api/v1/crm", ""))
    assert got.status_code == 200 and got.data == b"%PDF-1.4 x" and got.headers["Content-Type"] == "application/pdf"
    assert api(org.c, "GET", listed[0]["url"].replace("/api/v1/crm", "")).status_code == 404
    assert api(org.c, "GET", f"/customers/{n.customer_id}/documents").status_code == 404
    # Refused uploads write nothing.
    r = api(org.a, "POST", f"/negotiations/{n.id}/documents", data={"file": (io.BytesIO(b"MZ\x90"), "x.pdf")},
            content_type="multipart/form-data")
    assert r.status_code == 422 and "file" in r.json["error"]["fields"]
    r = api(org.a, "POST", f"/negotiations/{n.id}/documents", data={}, content_type="multipart/form-data")
    assert r.status_code == 422
    r = api(org.b, "POST", f"/negotiations/{n.id}/documents", data={"file": (io.BytesIO(b"%PDF"), "x.pdf")},
            content_type="multipart/form-data")
    assert r.status_code == 422 and "مسئول" in r.json["error"]["message"]
    assert count(db, LogEntry) == 1
