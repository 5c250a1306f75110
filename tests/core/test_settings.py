"""The settings screen: typed settings declared by plugins, stored in the database."""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core import settings
from core.models.site import SettingValue

MAX_OPEN = "core.default_max_open_negotiations"
MAX_OPEN_LABEL = "سقف پیش‌فرض مذاکرات باز کاربر جدید"


def page(response) -> str:
    return response.get_data(as_text=True)


def stored(db) -> dict:
    db.session.rollback()
    return {row.key: row.value for row in db.session.scalars(select(SettingValue))}


@pytest.fixture
def admin(client, login_as, make_user):
    user = make_user("admin", role="administrator")
    login_as(user)
    return user


def test_screen_lists_core_settings_with_defaults(client, admin):
    screen = page(client.get("/admin/settings"))
    assert "نام سازمان" in screen and 'value="شرکت نمونهٔ پیوند"' in screen
    assert MAX_OPEN_LABEL in screen
    assert f'name="{MAX_OPEN}" id="s-{MAX_OPEN}" value="۵۰"' in screen  # shown in Persian digits
    assert '<option value="rial" selected>ریال</option>' in screen
    assert 'name="core.mask_contacts" id="s-core.mask_contacts" >' in screen  # unchecked by default


def test_saved_values_persist_for_other_processes(client, db, admin, make_app, make_user):
    response = client.post("/admin/settings", data={
        "core.company_name": "شرکت پیوند پارس", "core.money_unit": "toman", "core.mask_contacts": "on",
        MAX_OPEN: "۳۰"})
    assert response.status_code == 302
    screen = page(client.get("/admin/settings"))
    assert "تنظیمات ذخیره شد." in screen and 'value="۳۰"' in screen

    other = make_app()  # another web process on the same database
    with other.app_context():
        assert settings.get("core.company_name") == "شرکت پیوند پارس"
        assert settings.get("core.money_unit") == "toman"
        assert settings.get("core.mask_contacts") is True
        assert settings.get(MAX_OPEN) == 30
    assert stored(db)[MAX_OPEN] == 30
    # The new default is what a new user gets.
    assert make_user("newcomer").max_open_negotiations == 30

    # Unticking the box turns the setting off again.
    client.post("/admin/settings", data={"core.company_name": "شرکت پیوند پارس", "core.money_unit": "toman",
                                         MAX_OPEN: "30"})
    assert stored(db)["core.mask_contacts"] is False


BAD = {
    "not_a_number": ("سی", f"«{MAX_OPEN_LABEL}» باید عدد صحیح باشد."),
    "negative": ("-۱", f"«{MAX_OPEN_LABEL}» نباید کمتر از ۰ باشد."),
    "too_large": ("۱۰۰۰۰۰۱", f"«{MAX_OPEN_LABEL}» نباید بیشتر از ۱۰۰۰۰۰ باشد."),
    "decimal": ("۱۲.۵", f"«{MAX_OPEN_LABEL}» باید عدد صحیح باشد."),
}


@pytest.mark.parametrize("case", BAD, ids=list(BAD))
def test_bad_int_saves_nothing(client, db, admin, case):
    raw, message = BAD[case]
    response = client.post("/admin/settings", data={"core.company_name": "نام تازه", "core.money_unit": "toman",
                                                    MAX_OPEN: raw})
    assert response.status_code == 200
    screen = page(response)
    assert message in screen
    assert "تنظیمات ذخیره نشد؛ خطاها را ببینید." in screen
    assert 'value="نام تازه"' in screen  # what was typed is kept on the form
    # All or nothing: the valid company name was not saved either.
    assert stored(db) == {}
    assert settings.get("core.company_name") == "شرکت نمونهٔ پیوند"


def test_bad_choice_and_too_long_text(client, db, admin):
    response = client.post("/admin/settings", data={"core.company_name": "ب" * 501, "core.money_unit": "dollar",
                                                    MAX_OPEN: "۴۰"})
    screen = page(response)
    assert "«نام سازمان» بیش از ۵۰۰ نویسه است." in screen
    assert "مقدار «واحد نمایش مبالغ» معتبر نیست." in screen
    assert stored(db) == {}


def test_update_service_refuses_unknown_keys(db):
    with pytest.raises(settings.SettingError) as info:
        settings.update({"core.company_name": "شرکت تازه", "core.no_such_thing": "1"})
    assert info.value.errors == {"core.no_such_thing": "تنظیم «core.no_such_thing» وجود ندارد."}
    assert stored(db) == {}
    with pytest.raises(KeyError):
        settings.get("core.no_such_thing")


def test_only_settings_permission_may_change_them(client, db, login_as, make_user):
    login_as(make_user("rep", role="sales"))
    assert client.get("/admin/settings").status_code == 403
    assert client.post("/admin/settings", data={"core.company_name": "نفوذی"}).status_code == 403
    assert db.session.scalar(select(func.count()).select_from(SettingValue)) == 0
