"""The audit trail: who changed what, with old and new values, written by the session itself."""
from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from core.audit import acting_as, history
from core.models.audit import AuditEntry
from core.models.org import ApiToken, User
from core.models.products import Product
from core.services.products import save_product


def page(response) -> str:
    return response.get_data(as_text=True)


def entries(db, table, record_id=None) -> list[AuditEntry]:
    db.session.rollback()
    stmt = select(AuditEntry).where(AuditEntry.table_name == table).order_by(AuditEntry.id)
    if record_id is not None:
        stmt = stmt.where(AuditEntry.record_id == str(record_id))
    return list(db.session.scalars(stmt))


@pytest.fixture
def admin(client, login_as, make_user):
    user = make_user("admin", role="administrator", first_name="مریم", last_name="احمدی")
    login_as(user)
    return user


PRODUCT = {"code": "P-100", "name": "دستگاه کارتخوان", "unit": "دستگاه", "list_price": "۱۲٬۵۰۰٬۰۰۰",
           "cost_price": "۹٬۰۰۰٬۰۰۰", "tax_class": "standard", "description": "", "active": "y"}


def test_product_insert_update_delete_are_recorded(client, db, admin):
    response = client.post("/admin/products/new", data=PRODUCT)
    assert response.status_code == 302
    product = db.session.scalar(select(Product).where(Product.code == "P-100"))
    [insert] = entries(db, "products", product.id)
    assert insert.action == "insert" and insert.user_id == admin.id
    assert insert.changes["name"] == [None, "دستگاه کارتخوان"]
    assert insert.changes["list_price"] == [None, 12_500_000]
    assert insert.changes["code"] == [None, "P-100"]

    edited = dict(PRODUCT, name="دستگاه کارتخوان سیار", list_price="۱۳٬۰۰۰٬۰۰۰")
    assert client.post(f"/admin/products/{product.id}", data=edited).status_code == 302
    insert, update = entries(db, "products", product.id)
    assert update.action == "update" and update.user_id == admin.id
    assert update.changes["name"] == ["دستگاه کارتخوان", "دستگاه کارتخوان سیار"]
    assert update.changes["list_price"] == [12_500_000, 13_000_000]
    # Only what changed: the code, unit and cost stayed as they were.
    assert not {"code", "unit", "cost_price", "tax_class", "active"} & set(update.changes)

    # Saving the form again without changes records nothing.
    assert client.post(f"/admin/products/{product.id}", data=edited).status_code == 302
    assert len(entries(db, "products", product.id)) == 2

    response = client.post(f"/admin/products/{product.id}/delete", follow_redirects=True)
    assert "کالا حذف شد." in page(response)
    assert db.session.get(Product, product.id) is None
    *_, delete = entries(db, "products", product.id)
    assert delete.action == "delete" and delete.user_id == admin.id
    assert delete.changes["name"] == ["دستگاه کارتخوان سیار", None]
    assert delete.changes["list_price"] == [13_000_000, None]

    # The trail outlives the product: the audit screen still shows its history.
    screen = page(client.get(f"/admin/audit?table=products&record={product.id}"))
    assert "دستگاه کارتخوان سیار" in screen and "حذف" in screen and "مریم احمدی" in screen


def test_product_page_shows_its_history(client, db, admin):
    client.post("/admin/products/new", data=PRODUCT)
    product = db.session.scalar(select(Product))
    client.post(f"/admin/products/{product.id}", data=dict(PRODUCT, name="کارتخوان بی‌سیم"))
    screen = page(client.get(f"/admin/products/{product.id}"))
    assert "سابقهٔ تغییرات" in screen
    history_part = screen.split("سابقهٔ تغییرات", 1)[1]
    assert "مریم احمدی" in history_part
    assert "ایجاد" in history_part and "ویرایش" in history_part
    assert "دستگاه کارتخوان" in history_part and "کارتخوان بی‌سیم" in history_part
    # Newest first.
    assert history_part.index("ویرایش") < history_part.index("ایجاد")


def test_refused_change_leaves_no_audit_row(client, db, admin):
    product = save_product(dict(PRODUCT, list_price="100"))
    before = len(entries(db, "products"))
    response = client.post(f"/admin/products/{product.id}", data=dict(PRODUCT, list_price="-۵"))
    assert response.status_code == 200
    assert "«قیمت فروش (ریال)» نباید کمتر از" in page(response)
    assert len(entries(db, "products")) == before


def test_changes_outside_a_request_name_the_acting_user(db, make_user):
    clerk = make_user("clerk")
    with acting_as(clerk.id):
        product = save_product(PRODUCT)
    [insert] = entries(db, "products", product.id)
    assert insert.user_id == clerk.id
    product.active = False
    db.session.commit()
    last = history("products", product.id)[0]
    assert last.action == "update" and last.user_id is None and last.changes == {"active": [True, False]}


def test_password_hashes_and_token_secrets_are_never_in_the_audit(client, db, admin):
    response = client.post("/admin/users/new", data=dict(
        username="sara", first_name="سارا", last_name="کریمی", password="first-secret",
        password_repeat="first-secret", max_open_negotiations="5", active="y"))
    assert response.status_code == 302
    sara = db.session.scalar(select(User).where(User.username == "sara"))
    response = client.post(f"/admin/users/{sara.id}", data=dict(
        username="sara", first_name="سارا", last_name="کریمی", password="second-secret",
        password_repeat="second-secret", max_open_negotiations="5", active="y"))
    assert response.status_code == 302
    response = client.post("/profile", data={"action": "token", "t-name": "کلید"})
    secret = page(response).split('id="new-token">', 1)[1].split("<", 1)[0]

    db.session.rollback()
    sara = db.session.get(User, sara.id)
    token = db.session.scalar(select(ApiToken))
    user_rows = entries(db, "users", sara.id)
    assert [e.action for e in user_rows] == ["insert"]  # the password change alone is not a field change
    assert user_rows[0].changes["username"] == [None, "sara"] and user_rows[0].user_id == admin.id
    dump = json.dumps([e.changes for e in db.session.scalars(select(AuditEntry))], ensure_ascii=False)
    for needle in ("password_hash", "session_token", "token_hash", sara.password_hash, sara.session_token,
                   token.token_hash, secret, "first-secret", "second-secret"):
        assert needle not in dump, needle
    assert entries(db, "api_tokens", token.id)  # the token itself is recorded, minus its hash


def test_audit_screen_needs_its_permission(client, login_as, make_user):
    login_as(make_user("rep", role="sales"))
    assert client.get("/admin/audit").status_code == 403
    login_as(make_user("inspector", role="inspector"))
    assert client.get("/admin/audit").status_code == 200
