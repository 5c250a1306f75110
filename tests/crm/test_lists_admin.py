"""The administrator's master lists (category, activity field, source, marketer) through the screen."""
import pytest
from sqlalchemy import func, select

from plugins.crm.models import LIST_KINDS, Customer, ListItem


def text(response) -> str:
    return response.get_data(as_text=True)


def items(db, kind):
    db.session.rollback()
    return [(i.name, i.phone, i.active) for i in db.session.scalars(
        select(ListItem).where(ListItem.kind == kind).order_by(ListItem.id))]


@pytest.fixture
def admin(client, login_as, make_user):
    """An administrator by group membership (not a superuser)."""
    login_as(make_user("list_admin", role="administrator"))
    return client


def test_every_tab_and_adding(db, admin):
    page = text(admin.get("/crm/lists"))
    for label in LIST_KINDS.values():
        assert label in page
    for kind in LIST_KINDS:
        assert admin.get(f"/crm/lists?kind={kind}").status_code == 200
    response = admin.post("/crm/lists/category", data={"name": "  مشتری   سازمانی "})
    assert response.status_code == 302 and response.headers["Location"] == "/crm/lists?kind=category"
    assert items(db, "category") == [("مشتری سازمانی", "", True)]
    assert "افزوده شد" in text(admin.get(response.headers["Location"]))
    # The same name in another list is a different item.
    assert admin.post("/crm/lists/activity", data={"name": "مشتری سازمانی"}).status_code == 302
    assert items(db, "activity") == [("مشتری سازمانی", "", True)]


@pytest.mark.parametrize("typed", ["فروشگاه", "فروشگاه ", "فروشگاة", "فروشگاه\u200c", "فروشـگاه"])
def test_duplicate_names_are_refused(db, admin, typed):
    admin.post("/crm/lists/category", data={"name": "فروشگاه"})
    response = admin.post("/crm/lists/category", data={"name": typed})
    assert response.status_code == 200
    assert "نام تکراری پذیرفته نیست" in text(response) and "is-invalid" in text(response)
    assert items(db, "category") == [("فروشگاه", "", True)]


def test_arabic_letters_count_as_the_same_name(db, admin):
    admin.post("/crm/lists/source", data={"name": "معرفی مشتریان"})
    response = admin.post("/crm/lists/source", data={"name": "معرفي مشتريان"})
    assert "نام تکراری" in text(response)
    assert len(items(db, "source")) == 1


def test_empty_name_and_unknown_list(db, admin):
    response = admin.post("/crm/lists/category", data={"name": "   "})
    assert response.status_code == 200 and "«نام» را وارد کنید." in text(response)
    assert admin.post("/crm/lists/robots", data={"name": "x"}).status_code == 404
    assert admin.get("/crm/lists?kind=robots").status_code == 404
    assert items(db, "category") == []


def test_rename(db, admin):
    admin.post("/crm/lists/category", data={"name": "نمایندگی"})
    admin.post("/crm/lists/category", data={"name": "فروشگاه"})
    item = db.session.scalar(select(ListItem).where(ListItem.name == "نمایندگی"))
    response = admin.post(f"/crm/lists/items/{item.id}", data={"name": "نمایندگی رسمی"})
    assert response.status_code == 302
    assert items(db, "category") == [("نمایندگی رسمی", "", True), ("فروشگاه", "", True)]
    # Renaming to itself is fine; to another item's name is refused.
    assert admin.post(f"/crm/lists/items/{item.id}", data={"name": "نمایندگی رسمی"}).status_code == 302
    response = admin.post(f"/crm/lists/items/{item.id}", data={"name": "فروشگاه"})
    assert response.status_code == 200 and "نام تکراری" in text(response)
    assert items(db, "category") == [("نمایندگی رسمی", "", True), ("فروشگاه", "", True)]
    assert admin.post("/crm/lists/items/999999", data={"name": "x"}).status_code == 404


def test_marketer_name_and_phone(db, admin):
    response = admin.post("/crm/lists/marketer", data={"name": "جواد رستمی", "phone": "۰۹۱۲ ۱۱۱ ۲۲۳۳"})
    assert response.status_code == 302
    assert items(db, "marketer") == [("جواد رستمی", "۰۹۱۲ ۱۱۱ ۲۲۳۳", True)]
    response = admin.post("/crm/lists/marketer", data={"name": "سمیرا افشار", "phone": "۱۲۳"})
    assert response.status_code == 200 and "شماره تلفن" in text(response)
    assert len(items(db, "marketer")) == 1
    item = db.session.scalar(select(ListItem))
    admin.post(f"/crm/lists/items/{item.id}", data={"name": "جواد رستمی", "phone": "09351234567"})
    assert items(db, "marketer") == [("جواد رستمی", "09351234567", True)]
    # A phone on other lists is not kept.
    admin.post("/crm/lists/category", data={"name": "دولتی", "phone": "09351234567"})
    assert items(db, "category") == [("دولتی", "", True)]


def test_deactivate_hides_from_forms_but_customers_keep_it(db, admin, org, register, login_as):
    admin.post("/crm/lists/category", data={"name": "مشتری دولتی"})
    item = db.session.scalar(select(ListItem))
    n = register(org.a, name="وزارتخانه", category_id=item.id)
    response = admin.post(f"/crm/lists/items/{item.id}/active", data={"active": "0"})
    assert response.status_code == 302
    assert items(db, "category") == [("مشتری دولتی", "", False)]
    assert "غیرفعال شد" in text(admin.get(response.headers["Location"]))
    rep = login_as(org.a)
    assert "مشتری دولتی" not in text(rep.get("/crm/customers/new"))
    assert "مشتری دولتی" in text(rep.get(f"/crm/customers/{n.customer_id}"))
    # Registering with it now is refused.
    response = rep.post("/crm/customers/new", data={"kind": "person", "name": "مشتری تازه", "mobile": "09127654321",
                                                    "city": "تهران", "category_id": str(item.id)})
    assert response.status_code == 200 and "معتبر نیست" in text(response)
    assert db.session.scalar(select(func.count(Customer.id))) == 1
    # Reactivated, it is offered again.
    login_as(org.admin)
    admin.post(f"/crm/lists/items/{item.id}/active", data={"active": "1"})
    assert items(db, "category") == [("مشتری دولتی", "", True)]


def test_only_for_those_with_crm_lists(db, org, login_as):
    for user in (org.a, org.manager, org.inspector):
        client = login_as(user)
        assert client.get("/crm/lists").status_code == 403
        assert client.post("/crm/lists/category", data={"name": "x"}).status_code == 403
    assert items(db, "category") == []
