"""Finance forms: they parse what the user typed (Persian digits, Jalali dates) and carry the
CSRF token; the services validate and decide."""
from __future__ import annotations

from wtforms import SelectField, StringField
from wtforms.widgets import TextInput

from core.forms import FlaskForm, JalaliDateField, OptionalSelectField, PersianIntegerField
from plugins.finance.models import METHODS

MONEY = {"inputmode": "numeric", "dir": "ltr", "autocomplete": "off"}


class ReceiptForm(FlaskForm):
    party_id = OptionalSelectField("مشتری", choices=[])
    method = SelectField("روش دریافت", choices=list(METHODS.items()), default="transfer", validate_choice=False)
    amount = PersianIntegerField("مبلغ (ریال)", widget=TextInput(), render_kw={**MONEY, "placeholder": "۱۲٬۵۰۰٬۰۰۰"})
    received_on = JalaliDateField("تاریخ دریافت")
    reference = StringField("شمارهٔ پیگیری / مرجع", render_kw={"dir": "ltr", "autocomplete": "off"})
    cheque_number = StringField("شمارهٔ چک", render_kw={"dir": "ltr", "autocomplete": "off"})
    cheque_bank = StringField("بانک", render_kw={"placeholder": "ملت، ملی…"})
    cheque_due = JalaliDateField("تاریخ سررسید چک")
    notes = StringField("توضیح")


class CustomerLimitForm(FlaskForm):
    party_id = OptionalSelectField("مشتری", choices=[])
    limit = PersianIntegerField("سقف اعتبار (ریال)", widget=TextInput(), render_kw=MONEY)


class CategoryLimitForm(FlaskForm):
    category_id = PersianIntegerField("شناسهٔ دسته‌بندی (در CRM)", widget=TextInput(), render_kw={"dir": "ltr", "inputmode": "numeric"})
    name = StringField("نام دسته‌بندی")
    limit = PersianIntegerField("سقف اعتبار (ریال)", widget=TextInput(), render_kw=MONEY)
