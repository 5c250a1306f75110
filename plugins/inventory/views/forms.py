"""The warehouse forms. Every rule is the services'; these only parse what was typed (Persian
digits and separators included) and carry the services' Persian messages back to the fields."""
from __future__ import annotations

from wtforms import BooleanField, SelectField, StringField

from core.forms import FlaskForm, OptionalSelectField, PersianIntegerField
from plugins.inventory.services.queries import warehouses

PRODUCT_HELP = "کد یا بخشی از نام را بنویسید و از پیشنهادها انتخاب کنید."


def _coerce(value):
    text = str(value or "").strip()
    return int(text) if text.isdigit() else None


class _StockForm(FlaskForm):
    warehouse_id = SelectField("انبار", coerce=_coerce, validate_choice=False)
    product = StringField("کالا", render_kw={"autocomplete": "off", "list": "product-options",
                                              "placeholder": "کد یا نام کالا"})

    def fill(self, active_only: bool = True):
        choices = [(w.id, f"{w.name} ({w.code})") for w in warehouses(active_only=active_only)]
        self.warehouse_id.choices = [("", "— انبار را انتخاب کنید —")] + choices
        if hasattr(self, "to_id"):
            self.to_id.choices = [("", "— انبار مقصد —")] + choices
        return self


class ReceiptForm(_StockForm):
    quantity = PersianIntegerField("تعداد", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reason = StringField("شرح (شمارهٔ بارنامه، فروشنده، …)")


class CountForm(_StockForm):
    counted = PersianIntegerField("موجودی شمارش‌شده", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reason = StringField("دلیل اصلاح", render_kw={"placeholder": "مثلاً: شمارش پایان ماه، دو عدد آسیب‌دیده"})


class TransferForm(_StockForm):
    warehouse_id = SelectField("از انبار", coerce=_coerce, validate_choice=False)
    to_id = SelectField("به انبار", coerce=_coerce, validate_choice=False)
    quantity = PersianIntegerField("تعداد", render_kw={"inputmode": "numeric", "autocomplete": "off"})
    reason = StringField("شرح")


class WarehouseForm(FlaskForm):
    name = StringField("نام انبار")
    code = StringField("کد انبار", render_kw={"dir": "ltr", "placeholder": "W1"})
    office_id = OptionalSelectField("دفتر")
    active = BooleanField("فعال", default=True)


class SettingForm(FlaskForm):
    reorder_level = PersianIntegerField("نقطهٔ سفارش", render_kw={"inputmode": "numeric"})
    tracked = BooleanField("کالای انباری")
