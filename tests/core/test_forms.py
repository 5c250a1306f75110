"""The Persian form fields inside a real Flask-WTF form and request: Jalali dates and integers
typed with Persian digits, and the glue that carries a service's errors onto the form."""
from __future__ import annotations

import datetime as dt

import pytest
from wtforms.validators import DataRequired, NumberRange

from core.forms import FlaskForm, JalaliDateField, PersianIntegerField, apply_errors, form_data
from core.jalali import today_tehran
from core.validation import Checker, ValidationError

# These forms never touch the database: one backend is enough.
pytestmark = pytest.mark.sqlite_only

NOT_A_DAY = "این تاریخ در تقویم وجود ندارد."
BAD_SHAPE = "تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ وارد کنید."
NOT_AN_INTEGER = "یک عدد صحیح وارد کنید."


class DealForm(FlaskForm):
    closed_on = JalaliDateField("تاریخ بستن")
    amount = PersianIntegerField("مبلغ (ریال)", validators=[NumberRange(min=0, message="مبلغ منفی نمی‌شود.")])


class VisitForm(FlaskForm):
    visited_on = JalaliDateField("تاریخ بازدید", validators=[DataRequired("تاریخ بازدید را وارد کنید.")],
                                 render_kw={"placeholder": "روز بازدید"})


def post(app, form_class, **data):
    """The form as a view builds it from a POSTed request."""
    ctx = app.test_request_context(method="POST", data=data)
    ctx.push()
    try:
        form = form_class()
        ok = form.validate_on_submit()
    finally:
        ctx.pop()
    return form, ok


# --- JalaliDateField ------------------------------------------------------------------------

@pytest.mark.parametrize("typed", ["۱۴۰۳/۰۵/۱۲", "۱۴۰۳/۵/۱۲", "1403-05-12", "١٤٠٣/٠٥/١٢", "۱۴۰۳٫۰۵٫۱۲"])
def test_jalali_date_becomes_a_gregorian_date(app, typed):
    form, ok = post(app, DealForm, closed_on=typed, amount="۱۰")
    assert ok, form.errors
    assert form.closed_on.data == dt.date(2024, 8, 2)
    assert isinstance(form.closed_on.data, dt.date)


@pytest.mark.parametrize("typed, message", [
    ("۱۴۰۳/۱۲/۳۱", NOT_A_DAY),
    ("۱۴۰۲/۱۲/۳۰", NOT_A_DAY),      # 1402 is not a leap year
    ("۱۴۰۳/۰۷/۳۱", NOT_A_DAY),
    ("۱۴۰۳/۱۳/۰۱", NOT_A_DAY),
    ("فردا", BAD_SHAPE),
    ("12/05/1403", BAD_SHAPE),
])
def test_impossible_or_malformed_date_is_a_persian_field_error(app, typed, message):
    form, ok = post(app, DealForm, closed_on=typed, amount="۱۰")
    assert not ok
    assert form.closed_on.errors == [message]
    assert form.closed_on.data is None
    assert not form.amount.errors
    # The user sees what they typed again, to correct it.
    assert f'value="{typed}"' in form.closed_on()


def test_empty_date_is_none(app):
    form, ok = post(app, DealForm, closed_on="   ", amount="۱۰")
    assert ok, form.errors
    assert form.closed_on.data is None
    form, ok = post(app, DealForm, amount="۱۰")          # the field not posted at all
    assert ok and form.closed_on.data is None


def test_date_not_posted_keeps_the_objects_date(app):
    # A disabled input is not posted: editing the rest must not wipe the stored date.
    class Deal:
        closed_on = dt.date(2024, 8, 2)
        amount = 10

    with app.test_request_context(method="POST", data={"amount": "۲۰"}):
        form = DealForm(obj=Deal())
        assert form.validate_on_submit(), form.errors
    assert form.closed_on.data == dt.date(2024, 8, 2)
    assert form.amount.data == 20
    # Posted empty, on the other hand, means the user cleared it.
    with app.test_request_context(method="POST", data={"amount": "۲۰", "closed_on": ""}):
        form = DealForm(obj=Deal())
        assert form.validate_on_submit(), form.errors
    assert form.closed_on.data is None


def test_required_date(app):
    form, ok = post(app, VisitForm, visited_on="")
    assert not ok
    assert form.visited_on.errors == ["تاریخ بازدید را وارد کنید."]
    # A date that does not exist gets that message only, not also «enter a date».
    form, ok = post(app, VisitForm, visited_on="۱۴۰۳/۱۲/۳۱")
    assert not ok
    assert form.visited_on.errors == [NOT_A_DAY]
    form, ok = post(app, VisitForm, visited_on="۱۴۰۳/۰۱/۰۱")
    assert ok and form.visited_on.data == dt.date(2024, 3, 20)


def test_date_field_renders_jalali_with_persian_digits(app):
    with app.test_request_context():
        form = DealForm(data={"closed_on": dt.date(2024, 8, 2)})
        html = form.closed_on()
    assert 'value="۱۴۰۳/۰۵/۱۲"' in html
    assert "data-jdp" in html and 'dir="ltr"' in html and 'placeholder="۱۴۰۳/۰۱/۰۱"' in html


def test_date_field_keeps_a_callers_render_kw(app):
    own = {"placeholder": "روز بازدید"}
    field = JalaliDateField("تاریخ", render_kw=own)
    assert own == {"placeholder": "روز بازدید"}        # the caller's dict is not changed
    assert field.kwargs["render_kw"]["placeholder"] == "روز بازدید"
    with app.test_request_context():
        html = VisitForm().visited_on()
    assert 'placeholder="روز بازدید"' in html and "data-jdp" in html


# --- PersianIntegerField --------------------------------------------------------------------

@pytest.mark.parametrize("typed, value", [
    ("۱٬۲۰۰٬۰۰۰", 1_200_000),      # Persian digits, Arabic thousands separator
    ("١٬٢٠٠", 1200),                # Arabic-Indic digits
    ("1,200,000", 1_200_000),
    (" ۴۲ ", 42),
    ("0", 0),
    ("\u200f۱۵۰۰\u200e", 1500),     # pasted with direction marks
])
def test_integer_with_persian_digits_and_separators(app, typed, value):
    form, ok = post(app, DealForm, amount=typed)
    assert ok, form.errors
    assert form.amount.data == value


@pytest.mark.parametrize("typed", ["دوازده", "۱٫۵", "12.5", "۱۲ هزار", "1e6"])
def test_not_an_integer_is_a_persian_field_error(app, typed):
    form, ok = post(app, DealForm, amount=typed)
    assert not ok
    assert form.amount.errors == [NOT_AN_INTEGER]
    assert form.amount.data is None


def test_integer_validators_see_the_parsed_number(app):
    form, ok = post(app, DealForm, amount="-۵")
    assert not ok
    assert form.amount.data == -5
    assert form.amount.errors == ["مبلغ منفی نمی‌شود."]


@pytest.mark.parametrize("typed", ["", "   ", "٬"])
def test_empty_integer_is_none_and_no_error(app, typed):
    class CountForm(FlaskForm):
        count = PersianIntegerField("تعداد")

    form, ok = post(app, CountForm, count=typed)
    assert ok, form.errors
    assert form.count.data is None


# --- glue between services and forms --------------------------------------------------------

def test_service_errors_land_on_their_fields(app):
    form, _ = post(app, DealForm, closed_on="۱۴۰۳/۰۵/۱۲", amount="۱۰")
    loose = apply_errors(form, ValidationError({"amount": "سقف اعتبار مشتری کافی نیست.",
                                                "": "معامله قفل شده است."}))
    assert form.amount.errors == ["سقف اعتبار مشتری کافی نیست."]
    assert loose == ["معامله قفل شده است."]
    assert form_data(form) == {"closed_on": dt.date(2024, 8, 2), "amount": 10}


def test_checker_reads_jalali_dates_and_tehran_today_is_not_the_future(app):
    today = today_tehran()
    c = Checker({"a": "۱۴۰۳/۰۵/۱۲", "b": "۱۴۰۳/۱۲/۳۱", "c": today, "d": today + dt.timedelta(days=1)})
    assert c.date("a", "تاریخ") == dt.date(2024, 8, 2)
    assert c.date("b", "تاریخ") is None
    assert c.date("c", "تاریخ بازدید", not_future=True) == today
    c.date("d", "تاریخ بازدید", not_future=True)
    with pytest.raises(ValidationError) as err:
        c.done()
    assert err.value.errors == {"b": f"«تاریخ»: {NOT_A_DAY}",
                                "d": "«تاریخ بازدید» نمی‌تواند در آینده باشد."}
