"""The administrator's organisation screens: offices, departments, positions, groups, users."""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from core.models.audit import AuditEntry
from core.models.org import Department, Group, Office, Position, User
from core.services import organisation as org
from core.services.groups import save_group


def page(response) -> str:
    return response.get_data(as_text=True)


def count(db, model) -> int:
    db.session.rollback()  # end any read snapshot: count what is committed now
    return db.session.scalar(select(func.count()).select_from(model))


def reload(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


@pytest.fixture
def admin(client, login_as, make_user):
    """An administrator by group membership (not a superuser), logged in on `client`."""
    user = make_user("admin", role="administrator", first_name="مدیر", last_name="سامانه")
    login_as(user)
    return user


def user_form(**changes) -> dict:
    """Every field of the user screen, filled in as a Persian administrator would."""
    data = dict(username="ali.rezaei", first_name="علی", last_name="رضایی", email="ali@example.ir",
                phone="۰۲۱-۶۶۱۲۳۴۵۶", mobile="۰۹۱۲ ۳۴۵ ۶۷۸۹", national_id="۰۰۱۲۳۴۵۶۷۹",
                birth_date="۱۳۶۵/۰۴/۱۲", contract_start="۱۴۰۲/۰۱/۰۱", contract_end="۱۴۰۳/۱۲/۲۹",
                office_id="", department_id="", position_id="", manager_id="",
                max_open_negotiations="۱۲", group_ids=[], active="y",
                password="secret-pass-1", password_repeat="secret-pass-1")
    data.update(changes)
    return data


# --- creating the organisation through the screens ----------------------------------------------

def test_build_an_organisation_through_the_screens(client, db, admin, make_user):
    response = client.post("/admin/offices/new", data={"name": "دفتر مرکزی تهران", "city": "تهران",
                                                       "area_code": "", "phone": "۰۲۱ ۸۸۷۷ ۶۶۵۵",
                                                       "address": "خیابان ولیعصر", "active": "y"})
    assert response.status_code == 302 and response.headers["Location"] == "/admin/offices"
    office = db.session.scalar(select(Office))
    assert (office.name, office.city, office.area_code, office.active) == ("دفتر مرکزی تهران", "تهران", "21", True)

    response = client.post("/admin/departments/new", data={"office_id": str(office.id), "name": "فروش سازمانی"})
    assert response.status_code == 302
    department = db.session.scalar(select(Department))
    assert (department.name, department.office_id) == ("فروش سازمانی", office.id)
    assert "فروش سازمانی" in page(client.get("/admin/offices"))

    response = client.post("/admin/positions", data={"name": "کارشناس فروش"})
    assert response.status_code == 302
    position = db.session.scalar(select(Position))
    assert position.name == "کارشناس فروش"

    response = client.post("/admin/groups/new", data={"name": "کارشناسان ارشد", "description": "دسترسی بیشتر",
                                                      "permissions": ["core.products", "core.users"]})
    assert response.status_code == 302
    group = db.session.scalar(select(Group).where(Group.name == "کارشناسان ارشد"))
    assert group.permissions == {"core.products", "core.users"}

    boss = make_user("boss", role="manager", office=office)
    response = client.post("/admin/users/new", data=user_form(
        office_id=str(office.id), department_id=str(department.id), position_id=str(position.id),
        manager_id=str(boss.id), group_ids=[str(group.id)]))
    assert response.status_code == 302, page(response)
    user = db.session.scalar(select(User).where(User.username == "ali.rezaei"))
    assert response.headers["Location"] == f"/admin/users/{user.id}"
    assert (user.first_name, user.last_name, user.email) == ("علی", "رضایی", "ali@example.ir")
    assert user.national_id == "0012345679"  # stored with Latin digits
    assert user.birth_date == dt.date(1986, 7, 3)
    assert user.contract_start == dt.date(2023, 3, 21)
    assert user.contract_end == dt.date(2025, 3, 19)
    assert (user.office_id, user.department_id, user.position_id, user.manager_id) == (
        office.id, department.id, position.id, boss.id)
    assert user.max_open_negotiations == 12 and user.active and not user.is_superuser
    assert [g.name for g in user.groups] == ["کارشناسان ارشد"]

    # The edit screen shows the dates back in Jalali with Persian digits.
    screen = page(client.get(f"/admin/users/{user.id}"))
    assert "۱۳۶۵/۰۴/۱۲" in screen and "۱۴۰۳/۱۲/۲۹" in screen
    # And the new user can log in with the password that was set.
    fresh = client.application.test_client()
    assert fresh.post("/login", data={"username": "ali.rezaei", "password": "secret-pass-1"}).status_code == 302


def test_editing_a_user_without_a_password_keeps_it(client, db, admin, make_user):
    user = make_user("ali", first_name="علی")
    old_hash, old_token = user.password_hash, user.session_token
    response = client.post(f"/admin/users/{user.id}", data=user_form(
        username="ali", last_name="رضایی‌پور", national_id="", password="", password_repeat=""))
    assert response.status_code == 302, page(response)
    user = reload(db, User, user.id)
    assert user.last_name == "رضایی‌پور"
    assert (user.password_hash, user.session_token) == (old_hash, old_token)
    assert user.groups == []  # no group box ticked: the groups were taken away


# --- bad input: a Persian message and nothing written --------------------------------------------

@pytest.fixture
def two_offices(db):
    tehran = org.save_office({"name": "تهران"})
    shiraz = org.save_office({"name": "شیراز"})
    return tehran, shiraz, org.save_department({"office_id": tehran.id, "name": "فروش"}), \
        org.save_department({"office_id": shiraz.id, "name": "فروش"})


BAD_USERS = {
    "national_id_check_digit": (dict(national_id="۰۰۱۲۳۴۵۶۷۸"), "«کد ملی» معتبر نیست"),
    "national_id_length": (dict(national_id="۱۲۳۴۵"), "«کد ملی» معتبر نیست"),
    "birth_in_future": (dict(birth_date="۱۴۸۰/۰۱/۰۱"), "«تاریخ تولد» نمی‌تواند در آینده باشد."),
    "impossible_date": (dict(birth_date="۱۳۶۵/۱۳/۴۰"), "این تاریخ در تقویم وجود ندارد."),
    "contract_end_before_start": (dict(contract_start="۱۴۰۳/۰۱/۰۱", contract_end="۱۴۰۲/۱۲/۲۹"),
                                  "پایان قرارداد نمی‌تواند پیش از شروع آن باشد."),
    "duplicate_username": (dict(username="ADMIN"), "این نام کاربری گرفته شده است."),
    "bad_username": (dict(username="علی"), "نام کاربری فقط حروف لاتین"),
    "password_too_short": (dict(password="kutah", password_repeat="kutah"), "گذرواژه باید دست‌کم ۸ نویسه باشد."),
    "password_mismatch": (dict(password_repeat="something-else"), "گذرواژه و تکرار آن یکسان نیستند."),
    "missing_name": (dict(first_name=" "), "«نام» را وارد کنید."),
    "negative_maximum": (dict(max_open_negotiations="-۳"), "«حداکثر مذاکرات باز» نباید کمتر از"),
    "unknown_group": (dict(group_ids=["987654"]), "یکی از گروه‌های انتخاب‌شده وجود ندارد."),
    "forged_group": (dict(group_ids=["abc"]), "یکی از گروه‌های انتخاب‌شده وجود ندارد."),
    "unknown_manager": (dict(manager_id="987654"), "مدیر انتخاب‌شده وجود ندارد."),
}


@pytest.mark.parametrize("case", BAD_USERS, ids=list(BAD_USERS))
def test_bad_user_is_refused_and_nothing_written(client, db, admin, case):
    changes, message = BAD_USERS[case]
    users, audit = count(db, User), count(db, AuditEntry)
    response = client.post("/admin/users/new", data=user_form(**changes))
    assert response.status_code == 200
    assert message in page(response)
    assert count(db, User) == users and count(db, AuditEntry) == audit


def test_department_of_another_office_is_refused(client, db, admin, two_offices):
    tehran, _shiraz, _tehran_sales, shiraz_sales = two_offices
    users = count(db, User)
    response = client.post("/admin/users/new", data=user_form(office_id=str(tehran.id),
                                                             department_id=str(shiraz_sales.id)))
    assert "این بخش در دفتر انتخاب‌شده نیست." in page(response)
    assert count(db, User) == users


def test_manager_cannot_be_own_subordinate(client, db, admin, make_user):
    boss = make_user("boss", role="manager")
    mid = make_user("mid", role="manager", manager=boss)
    rep = make_user("rep", manager=mid)
    audit = count(db, AuditEntry)
    for manager in (rep, mid, boss):  # two levels down, one level down, and the user himself
        response = client.post(f"/admin/users/{boss.id}", data=user_form(
            username="boss", national_id="", password="", password_repeat="", manager_id=str(manager.id)))
        assert response.status_code == 200
        assert "مدیر یک کاربر نمی‌تواند خود او یا یکی از زیردستانش باشد." in page(response)
    assert reload(db, User, boss.id).manager_id is None
    assert count(db, AuditEntry) == audit


def test_duplicate_national_id_is_refused(client, db, admin, make_user):
    make_user("other", national_id="0012345679")
    users = count(db, User)
    response = client.post("/admin/users/new", data=user_form())
    assert "کاربر دیگری با این کد ملی هست." in page(response)
    assert count(db, User) == users


def test_unknown_permission_posted_to_a_group_is_refused(client, db, admin):
    groups = count(db, Group)
    response = client.post("/admin/groups/new", data={"name": "گروه دست‌کاری‌شده",
                                                      "permissions": ["core.users", "core.become_god"]})
    assert response.status_code == 200
    assert "دسترسی ناشناخته: core.become_god" in page(response)
    assert count(db, Group) == groups


def test_group_name_must_be_unique(client, db, admin):
    save_group({"name": "فروش ویژه", "permissions": []})
    groups = count(db, Group)
    response = client.post("/admin/groups/new", data={"name": "فروش ویژه", "permissions": ["core.products"]})
    assert "گروهی با این نام هست." in page(response)
    assert count(db, Group) == groups


def test_editing_a_group_changes_its_permissions(client, db, admin):
    group = save_group({"name": "فروش ویژه", "permissions": ["core.products", "core.users"]})
    response = client.post(f"/admin/groups/{group.id}", data={"name": "فروش ویژه",
                                                             "permissions": ["core.products", "core.audit"]})
    assert response.status_code == 302
    assert reload(db, Group, group.id).permissions == {"core.products", "core.audit"}


def test_office_department_and_position_errors(client, db, admin, two_offices):
    tehran = two_offices[0]
    offices, departments, positions = count(db, Office), count(db, Department), count(db, Position)

    assert "دفتری با این نام هست." in page(client.post("/admin/offices/new", data={"name": "تهران"}))
    assert "«نام دفتر» را وارد کنید." in page(client.post("/admin/offices/new", data={"name": ""}))
    assert "پیش‌شماره فقط رقم است" in page(client.post("/admin/offices/new",
                                                      data={"name": "کرج", "area_code": "۲الف"}))
    assert "این دفتر بخشی با همین نام دارد." in page(client.post(
        "/admin/departments/new", data={"office_id": str(tehran.id), "name": "فروش"}))
    assert "دفتر انتخاب‌شده وجود ندارد." in page(client.post(
        "/admin/departments/new", data={"office_id": "999999", "name": "پشتیبانی"}))
    assert "«دفتر» را وارد کنید." in page(client.post("/admin/departments/new", data={"name": "پشتیبانی"}))
    org.save_position({"name": "فروشنده"})
    positions += 1
    assert "سمتی با این عنوان هست." in page(client.post("/admin/positions", data={"name": "فروشنده"}))

    assert (count(db, Office), count(db, Department), count(db, Position)) == (offices, departments, positions)


def test_office_area_code_typed_in_persian_digits(client, db, admin):
    assert client.post("/admin/offices/new", data={"name": "کرج", "area_code": "۰۲۶"}).status_code == 302
    assert db.session.scalar(select(Office.area_code).where(Office.name == "کرج")) == "26"


# --- forged ids and deletions ---------------------------------------------------------------------

def test_missing_records_give_the_persian_404_page(client, admin):
    for url in ("/admin/users/999999", "/admin/offices/999999", "/admin/departments/999999",
                "/admin/groups/999999"):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "صفحه یا رکوردی که خواستید پیدا نشد." in page(response)
        assert 'dir="rtl"' in page(response)
    assert client.post("/admin/users/999999", data=user_form()).status_code == 404
    for url in ("/admin/offices/999999/delete", "/admin/groups/999999/delete", "/admin/positions/999999/delete"):
        assert client.post(url).status_code == 404, url


def test_deleting_an_office_with_users_is_refused(client, db, admin, make_user):
    office = org.save_office({"name": "دفتر اصفهان"})
    make_user("rep", office=office)
    response = client.post(f"/admin/offices/{office.id}/delete", follow_redirects=True)
    assert "این دفتر کاربر دارد؛ به‌جای حذف، آن را غیرفعال کنید." in page(response)
    assert count(db, Office) == 1


def test_deleting_an_office_with_departments_is_refused_then_allowed(client, db, admin):
    office = org.save_office({"name": "دفتر اصفهان"})
    department = org.save_department({"office_id": office.id, "name": "فروش"})
    response = client.post(f"/admin/offices/{office.id}/delete", follow_redirects=True)
    assert "ابتدا بخش‌های این دفتر را حذف کنید." in page(response)
    assert count(db, Office) == 1

    assert client.post(f"/admin/departments/{department.id}/delete").status_code == 302
    response = client.post(f"/admin/offices/{office.id}/delete", follow_redirects=True)
    assert "دفتر حذف شد." in page(response)
    assert count(db, Office) == 0 and count(db, Department) == 0


def test_deleting_a_position_in_use_is_refused(client, db, admin, make_user):
    position = org.save_position({"name": "فروشنده"})
    make_user("rep", position_id=position.id)
    response = client.post(f"/admin/positions/{position.id}/delete", follow_redirects=True)
    assert "این سمت به کاربرانی داده شده است." in page(response)
    assert count(db, Position) == 1
