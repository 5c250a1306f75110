"""The support forms. Every rule is the services'; these only parse what was typed and carry the
services' Persian messages back to the fields."""
from __future__ import annotations

from wtforms import BooleanField, HiddenField, SelectField, StringField, TextAreaField

from core.db import db
from core.forms import FlaskForm, OptionalSelectField, PersianIntegerField
from core.models.org import Office
from core.models.products import Product
from plugins.support.models import CHANNELS, PRIORITIES
from plugins.support.services import categories, queries


def category_choices(current_id: int | None = None):
    rows = categories.all_categories()
    return [("", "— بدون دسته —")] + [(c.id, c.name + ("" if c.active else " (غیرفعال)")) for c in rows
                                         if c.active or c.id == current_id]


def product_choices(current_id: int | None = None):
    rows = db.session.query(Product).filter((Product.active.is_(True)) | (Product.id == (current_id or -1))) \
        .order_by(Product.code).all()
    return [("", "— بدون کالا —")] + [(p.id, f"{p.code} — {p.name}") for p in rows]


def staff_choices(empty: str = "— بدون کارشناس (صف تیم) —"):
    return [("", empty)] + [(u.id, u.full_name + (f" ({u.office.name})" if u.office else ""))
                            for u in queries.support_staff()]


def office_choices():
    return [("", "— دفتر —")] + [(o.id, o.name) for o in db.session.query(Office).order_by(Office.name)]


class TicketForm(FlaskForm):
    party_id = HiddenField()
    title = StringField("عنوان", render_kw={"maxlength": 200, "placeholder": "مثلاً: کارت‌خوان روشن نمی‌شود"})
    description = TextAreaField("شرح درخواست", render_kw={"rows": 4, "placeholder": "آنچه مشتری گفت، با جزئیات"})
    channel = SelectField("کانال دریافت", choices=list(CHANNELS.items()), default="phone", validate_choice=False)
    priority = SelectField("اولویت", choices=list(PRIORITIES.items()), default="normal", validate_choice=False)
    category_id = OptionalSelectField("دسته")
    product_id = OptionalSelectField("کالا")
    order_ref = HiddenField()
    order_number = HiddenField()
    assignee_id = OptionalSelectField("کارشناس مسئول")
    office_id = OptionalSelectField("دفتر رسیدگی")

    def fill(self, may_assign: bool):
        self.category_id.choices = category_choices()
        self.product_id.choices = product_choices()
        self.office_id.choices = office_choices()
        if may_assign:
            self.assignee_id.choices = staff_choices()
        else:
            del self.assignee_id
        return self


class NoteForm(FlaskForm):
    body = TextAreaField("یادداشت", render_kw={"rows": 3, "placeholder": "شرح کار انجام‌شده، پاسخ مشتری، …"})
    for_customer = BooleanField("برای مشتری (آنچه به مشتری گفته یا فرستاده شد)")


class StatusForm(FlaskForm):
    note = TextAreaField("توضیح (اختیاری)", render_kw={"rows": 2, "maxlength": 1000})


class AssignForm(FlaskForm):
    assignee_id = OptionalSelectField("کارشناس مسئول")


class EditForm(FlaskForm):
    title = StringField("عنوان", render_kw={"maxlength": 200})
    channel = SelectField("کانال دریافت", choices=list(CHANNELS.items()), validate_choice=False)
    priority = SelectField("اولویت", choices=list(PRIORITIES.items()), validate_choice=False)
    category_id = OptionalSelectField("دسته")
    product_id = OptionalSelectField("کالا")

    def fill(self, ticket):
        self.category_id.choices = category_choices(ticket.category_id)
        self.product_id.choices = product_choices(ticket.product_id)
        return self


class CategoryForm(FlaskForm):
    name = StringField("نام دسته", render_kw={"maxlength": 120})
    position = PersianIntegerField("ترتیب", render_kw={"inputmode": "numeric"})
