"""Tasks and reminders: «کارهای من» (mine and my subordinates'), the task form of the customer
page, completing a task (optionally logging the interaction in the same step) and cancelling it;
the tasks shown on the workbench and in the daily follow-ups. `services.tasks` decides."""
from __future__ import annotations

import datetime as dt

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user
from sqlalchemy import case, func, select
from sqlalchemy.orm import joinedload
from wtforms import SelectField, StringField, TextAreaField

from core.access import permission_required, subordinate_ids
from core.db import db
from core.forms import FlaskForm, JalaliDateField, apply_errors
from core.i18n import localized_digits
from core.jalali import TEHRAN, UTC, format_date, today_tehran, utcnow
from core.models.org import User
from core.persian import to_ascii_digits
from core.validation import ValidationError
from core.views.helpers import paginate
from plugins.crm.models import ENTRY_KINDS, PRIORITIES, TASK_STATUSES, Customer, Task
from plugins.crm.services import tasks as task_service
from plugins.crm.services.negotiations import NotFound
from plugins.crm.views import bp


def day_end_utc(day: dt.date) -> dt.datetime:
    """The end of a Tehran day (its next midnight), as the naive UTC the database stores."""
    return dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=TEHRAN).astimezone(UTC).replace(tzinfo=None)


def _int(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


def _htmx() -> bool:
    return request.headers.get("HX-Request") == "true"


def _safe_next(default: str) -> str:
    target = request.form.get("next") or ""
    if target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return default


def team(user) -> list[User]:
    """The user and their active subordinates: whom a task may be given to."""
    ids = subordinate_ids(user.id)
    others = list(db.session.scalars(select(User).where(User.id.in_(ids or [-1]), User.active.is_(True))
                                     .order_by(User.first_name, User.last_name))) if ids else []
    return [user, *others]


class TaskForm(FlaskForm):
    title = StringField("عنوان کار", render_kw={"autocomplete": "off", "placeholder": "مثلاً تماس برای پیگیری پیش‌فاکتور"})
    kind = SelectField("نوع", choices=list(ENTRY_KINDS.items()), default="call", validate_choice=False)
    # Text parsed by the service, so a wrong date is reported with the other fields' errors.
    due_date = StringField("تاریخ سررسید", render_kw={"data-jdp": "", "dir": "ltr", "autocomplete": "off"})
    due_time = StringField("ساعت", render_kw={"dir": "ltr", "autocomplete": "off", "inputmode": "numeric"})
    priority = SelectField("اولویت", choices=list(PRIORITIES.items()), default="normal", validate_choice=False)
    assignee_id = SelectField("مسئول", choices=[], validate_choice=False)
    notes = TextAreaField("توضیح", render_kw={"rows": 2})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.due_date.render_kw = {**self.due_date.render_kw, "placeholder": format_date(today_tehran() + dt.timedelta(days=1))}
        self.due_time.render_kw = {**self.due_time.render_kw, "placeholder": localized_digits("09:30")}
        if not self.due_time.data:
            self.due_time.data = localized_digits("09:00")

    def fill_choices(self, default_assignee_id: int | None = None) -> None:
        people = team(current_user)
        self.assignee_id.choices = [(str(u.id), u.full_name + (" (خودم)" if u.id == current_user.id else ""))
                                    for u in people]
        if not self.assignee_id.data:
            ids = {u.id for u in people}
            chosen = default_assignee_id if default_assignee_id in ids else current_user.id
            self.assignee_id.data = str(chosen)

    def service_data(self, customer_id: int | None = None) -> dict:
        return {"title": self.title.data, "kind": self.kind.data, "due_date": self.due_date.data,
                "due_time": self.due_time.data, "priority": self.priority.data, "assignee_id": self.assignee_id.data,
                "notes": self.notes.data, "customer_id": customer_id}


class CompleteForm(FlaskForm):
    """«انجام شد», optionally with the interaction it was (a summary or a next contact date
    typed: logged in the same step). One per task row (`prefix=t<id>`)."""
    summary = TextAreaField("شرح مذاکره", render_kw={"rows": 2})
    next_contact = JalaliDateField("تاریخ مذاکرهٔ بعدی")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        example = format_date(today_tehran() + dt.timedelta(days=7))
        self.next_contact.render_kw = {**self.next_contact.render_kw, "placeholder": example}


def complete_forms(tasks, form: CompleteForm | None = None, form_task_id: int | None = None) -> dict:
    """A completion form per task; the one posted with errors keeps what was typed."""
    forms = {}
    for task in tasks:
        forms[task.id] = form if form is not None and task.id == form_task_id else \
            CompleteForm(formdata=None, prefix=f"t{task.id}")
    return forms


def actionable_ids(user) -> set[int]:
    """Whose tasks `user` may complete or cancel (theirs and their subordinates')."""
    return {user.id, *subordinate_ids(user.id)}


# --- «کارهای من» ----------------------------------------------------------------------------------

def _tasks_page(form: TaskForm | None = None, complete_form: CompleteForm | None = None,
                complete_task_id: int | None = None, messages=(), status: int = 200):
    people = team(current_user)
    assignee_id = _int(request.args.get("assignee"))
    if assignee_id not in {u.id for u in people}:
        assignee_id = None
    now, end_today = utcnow(), day_end_utc(today_tehran())
    stmt = task_service.for_user(current_user)
    if assignee_id:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    sub = stmt.order_by(None).subquery()
    counts = db.session.execute(select(
        func.coalesce(func.sum(case((sub.c.due_at < now, 1), else_=0)), 0),
        func.coalesce(func.sum(case(((sub.c.due_at >= now) & (sub.c.due_at < end_today), 1), else_=0)), 0),
        func.coalesce(func.sum(case((sub.c.due_at >= end_today, 1), else_=0)), 0))).one()
    page = paginate(stmt.options(joinedload(Task.assignee), joinedload(Task.customer).joinedload(Customer.party)))
    if form is None:
        form = TaskForm(formdata=None)
        form.fill_choices()
    return render_template(
        "crm/tasks/my.html", page=page, people=people, assignee_id=assignee_id, now=now, end_today=end_today,
        counts=dict(zip(("overdue", "today", "upcoming"), (int(c) for c in counts))), form=form,
        complete_forms=complete_forms(page.items, complete_form, complete_task_id),
        actionable=actionable_ids(current_user), messages=list(messages),
        open_form=bool(form.errors)), status


@bp.route("/tasks")
@permission_required("crm.log")
def my_tasks():
    return _tasks_page()


@bp.route("/tasks/new", methods=["POST"])
@permission_required("crm.log")
def create_task():
    """A task of the user's own (no customer), from «کارهای من»."""
    form = TaskForm()
    form.fill_choices()
    if form.validate_on_submit():
        try:
            task = task_service.create(form.service_data(), current_user)
        except ValidationError as exc:
            db.session.rollback()
            return _tasks_page(form=form, messages=[("danger", m) for m in apply_errors(form, exc)]
                               or [("danger", "کار ثبت نشد؛ موارد مشخص‌شده را درست کنید.")])
        flash(f"کار «{task.title}» ثبت شد.", "success")
        return redirect(url_for("crm.my_tasks"))
    return _tasks_page(form=form, messages=[("danger", "کار ثبت نشد؛ موارد مشخص‌شده را درست کنید.")])


@bp.route("/customers/<int:customer_id>/tasks", methods=["POST"])
@permission_required("crm.log")
def create_customer_task(customer_id):
    from plugins.crm.views.customers import _customer_page, _load_customer
    _load_customer(customer_id)  # 404 unless visible
    form = TaskForm()
    form.fill_choices()
    messages = []
    if form.validate_on_submit():
        try:
            task = task_service.create(form.service_data(customer_id), current_user)
        except NotFound:
            db.session.rollback()
            abort(404)
        except ValidationError as exc:
            db.session.rollback()
            messages = [("danger", m) for m in apply_errors(form, exc)]
        else:
            message = f"کار «{task.title}» برای {format_date(task.due_at)} ثبت شد."
            if _htmx():
                return _customer_page(customer_id, messages=[("success", message)])
            flash(message, "success")
            return redirect(url_for("crm.customer", customer_id=customer_id) + "#tasks")
    if not messages:
        messages = [("danger", "کار ثبت نشد؛ موارد مشخص‌شده را درست کنید.")]
    return _customer_page(customer_id, task_form=form, messages=messages)


def _back(task_customer_id: int | None, complete_form=None, task_id=None, messages=()):
    """After a refused completion: the page the user was on, with the form as typed."""
    if request.form.get("origin") == "customer" and task_customer_id:
        from plugins.crm.views.customers import _customer_page
        return _customer_page(task_customer_id, complete_form=complete_form, complete_task_id=task_id,
                              messages=messages)
    return _tasks_page(complete_form=complete_form, complete_task_id=task_id, messages=messages)


def _visible_task(task_id: int) -> Task:
    task = db.session.scalar(select(Task).where(Task.id == task_id,
                                                Task.assignee_id.in_(actionable_ids(current_user))))
    if task is None:
        abort(404)
    return task


def _done(task_customer_id: int | None, message: str):
    if _htmx() and request.form.get("origin") == "customer" and task_customer_id:
        from plugins.crm.views.customers import _customer_page
        return _customer_page(task_customer_id, messages=[("success", message)])
    flash(message, "success")
    default = url_for("crm.customer", customer_id=task_customer_id) if request.form.get("origin") == "customer" \
        and task_customer_id else url_for("crm.my_tasks")
    return redirect(_safe_next(default))


@bp.route("/tasks/<int:task_id>/complete", methods=["POST"])
@permission_required("crm.log")
def complete_task(task_id):
    task = _visible_task(task_id)
    customer_id, title = task.customer_id, task.title
    form = CompleteForm(prefix=f"t{task_id}")
    if not form.validate_on_submit():
        return _back(customer_id, form, task_id, [("danger", "کار بسته نشد؛ موارد مشخص‌شده را درست کنید.")])
    entry = None
    if (form.summary.data or "").strip() or form.next_contact.data:
        entry = {"summary": form.summary.data, "next_contact": form.next_contact.data}
    try:
        task_service.complete(task_id, current_user, entry=entry)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        return _back(customer_id, form, task_id, [("danger", m) for m in apply_errors(form, exc)])
    return _done(customer_id, f"کار «{title}» انجام شد" + (" و مذاکره در سابقهٔ مشتری ثبت شد." if entry else "."))


@bp.route("/tasks/<int:task_id>/cancel", methods=["POST"])
@permission_required("crm.log")
def cancel_task(task_id):
    task = _visible_task(task_id)
    customer_id, title = task.customer_id, task.title
    try:
        task_service.cancel(task_id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        return _back(customer_id, messages=[("danger", str(exc))])
    return _done(customer_id, f"کار «{title}» لغو شد.")


# --- for the workbench and the daily follow-ups ---------------------------------------------------

def due_tasks(user, day: dt.date | None = None, assignee_id: int | None = None):
    """SELECT Task: open tasks of `user` and subordinates due by the end of `day` (Tehran; today
    by default), overdue ones included, soonest first; assignee and customer loaded."""
    stmt = task_service.for_user(user, until=day_end_utc(day or today_tehran()))
    if assignee_id:
        stmt = stmt.where(Task.assignee_id == assignee_id)
    return stmt.options(joinedload(Task.assignee), joinedload(Task.customer).joinedload(Customer.party))


def workbench_tasks(user, limit: int = 5) -> dict:
    stmt = due_tasks(user)
    count = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    return {"tasks": list(db.session.scalars(stmt.limit(limit))), "count": count, "now": utcnow()}


@bp.app_template_global("crm_task_statuses")
def _task_statuses():
    return TASK_STATUSES
