"""CRM forms: customer registration and editing, the negotiation log, comments, status changes,
master-list items. Fields only parse what was typed; the services validate and answer in Persian."""
from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select
from wtforms import BooleanField, FieldList, HiddenField, SelectField, StringField, TextAreaField

from core import jalali
from core.db import db
from core.forms import FlaskForm, JalaliDateField, OptionalSelectField
from core.models.products import Product
from core.services.parties import KINDS
from plugins.crm.models import ENTRY_KINDS, ListItem

OTHER_PHONES = 3  # "up to three other phones" besides the mobile

_LTR = {"dir": "ltr", "inputmode": "tel", "autocomplete": "off"}


class CustomerForm(FlaskForm):
    kind = SelectField("نوع مشتری", choices=list(KINDS), default="person", validate_choice=False)
    name = StringField("نام شخص یا سازمان", render_kw={"autocomplete": "off"})
    organisation = StringField("عنوان سازمان")
    national_id = StringField("کد ملی / شناسهٔ ملی", render_kw={"dir": "ltr", "inputmode": "numeric",
                                                                "autocomplete": "off"})
    mobile = StringField("تلفن همراه", render_kw={**_LTR, "placeholder": "۰۹۱۲ ۱۲۳ ۴۵۶۷"})
    other_phones = FieldList(StringField("تلفن", render_kw=_LTR), label="تلفن‌های دیگر",
                             min_entries=OTHER_PHONES)
    email = StringField("ایمیل", render_kw={"dir": "ltr", "inputmode": "email"})
    city = StringField("شهر")
    address = TextAreaField("نشانی", render_kw={"rows": 2})
    product_id = OptionalSelectField("محصول مورد علاقه")
    source_id = OptionalSelectField("طریقهٔ آشنایی")
    activity_id = OptionalSelectField("زمینهٔ فعالیت")
    category_id = OptionalSelectField("دسته‌بندی")
    marketer_id = OptionalSelectField("بازاریاب")
    notes = TextAreaField("یادداشت", render_kw={"rows": 3})
    # The duplicate warning: the rep's "not a duplicate" and the stored warning it answers.
    confirmed_not_duplicate = BooleanField("مشتری تکراری نیست، ثبت شود")
    warning_id = HiddenField()

    def fill_choices(self, customer=None) -> None:
        """Active products and master-list items; an edited customer keeps its current picks
        even when they have since been deactivated."""
        keep_product = [customer.product_id] if customer is not None and customer.product_id else [-1]
        keep = [getattr(customer, f) for f in ("source_id", "activity_id", "category_id", "marketer_id")
                if customer is not None and getattr(customer, f)] or [-1]
        products = db.session.scalars(select(Product).where(
            or_(Product.active.is_(True), Product.id.in_(keep_product))).order_by(Product.name))
        self.product_id.choices = [(None, "—")] + [(p.id, f"{p.name} ({p.code})") for p in products]
        items = db.session.scalars(select(ListItem).where(
            or_(ListItem.active.is_(True), ListItem.id.in_(keep))).order_by(ListItem.name)).all()
        for field, kind in (("source_id", "source"), ("activity_id", "activity"), ("category_id", "category"),
                            ("marketer_id", "marketer")):
            getattr(self, field).choices = [(None, "—")] + [
                (i.id, i.name + (f" ({i.phone})" if kind == "marketer" and i.phone else "")
                 + ("" if i.active else " (غیرفعال)")) for i in items if i.kind == kind]

    def phone_fields(self) -> list:
        """The phone inputs in the order their rows go to the service (`phones-<i>` errors)."""
        return [self.mobile, *self.other_phones.entries]

    def service_data(self, existing=None) -> dict:
        """What `customers.register` / `customers.update` take. `existing` (a Party) supplies
        the kinds of phones kept from before and any addresses beyond the first."""
        kinds = {p.number: p.kind for p in existing.phones} if existing is not None else {}
        phones = [{"number": self.mobile.data or "", "kind": "mobile"}]
        phones += [{"number": f.data or "", "kind": kinds.get((f.data or "").strip(), "phone")}
                   for f in self.other_phones.entries]
        address = (self.address.data or "").strip()
        addresses = [{"city": self.city.data or "", "address": address}] if address else []
        if existing is not None:
            addresses += [{"city": a.city, "address": a.address, "postal_code": a.postal_code}
                          for a in existing.addresses[1:]]
        data = {k: self[k].data for k in ("kind", "name", "organisation", "national_id", "email", "city",
                                          "notes", "product_id", "source_id", "activity_id", "category_id",
                                          "marketer_id")}
        data.update(phones=phones, addresses=addresses)
        return data

    def load(self, customer) -> None:
        """Fill the form from a customer (GET of the edit screen)."""
        party = customer.party
        for key in ("kind", "name", "organisation", "email", "city", "notes"):
            self[key].data = getattr(party, key)
        self.national_id.data = party.national_id or ""
        for key in ("product_id", "source_id", "activity_id", "category_id", "marketer_id"):
            self[key].data = getattr(customer, key)
        mobiles = [p for p in party.phones if p.kind == "mobile"]
        first = mobiles[0] if mobiles else None
        self.mobile.data = first.number if first else ""
        others = [p.number for p in party.phones if p is not first]
        while len(self.other_phones.entries) < max(OTHER_PHONES, len(others)):
            self.other_phones.append_entry()
        for entry, number in zip(self.other_phones.entries, others + [""] * len(self.other_phones.entries)):
            entry.data = number
        self.address.data = party.addresses[0].address if party.addresses else ""


class EntryForm(FlaskForm):
    date = JalaliDateField("تاریخ مذاکره")
    kind = SelectField("نوع", choices=list(ENTRY_KINDS.items()), default="call", validate_choice=False)
    summary = TextAreaField("شرح مذاکره", render_kw={"rows": 3})
    next_contact = JalaliDateField("تاریخ مذاکرهٔ بعدی")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # An example date near today, not the field's generic one from another year.
        example = jalali.format_date(jalali.today_tehran() + dt.timedelta(days=7))
        self.date.render_kw = {**self.date.render_kw, "placeholder": jalali.format_date(jalali.today_tehran())}
        self.next_contact.render_kw = {**self.next_contact.render_kw, "placeholder": example}


class CommentForm(FlaskForm):
    body = TextAreaField("نظر", render_kw={"rows": 2})


class StatusForm(FlaskForm):
    status = HiddenField()
    reason = TextAreaField("توضیح (اختیاری)", render_kw={"rows": 2})
    confirmed = HiddenField()


class ListItemForm(FlaskForm):
    name = StringField("نام")
    phone = StringField("تلفن", render_kw={"dir": "ltr", "inputmode": "tel"})
