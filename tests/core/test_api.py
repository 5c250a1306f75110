"""The JSON API foundation under /api/v1: token authentication, the one error shape,
permissions and row visibility, pagination, creation through the services, validation
errors, and the OpenAPI document and its served docs."""
from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import subprocess

import pytest
from sqlalchemy import func, select

from core import auth
from core.models.audit import AuditEntry
from core.models.org import Office, User
from core.models.products import Product
from core.services.groups import save_group

PERSIAN = re.compile("[\u0600-\u06FF]")


def national_id(serial: int) -> str:
    """A valid national ID (check digit computed) from a 9-digit serial."""
    digits = [int(d) for d in f"{serial:09d}"]
    rem = sum(d * (10 - i) for i, d in enumerate(digits)) % 11
    return "".join(map(str, digits)) + str(rem if rem < 2 else 11 - rem)


def bearer(user, name="آزمون") -> dict:
    _token, secret = auth.create_token(user, name)
    return {"Authorization": f"Bearer {secret}"}


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    body = response.get_json()
    assert set(body) == {"error"}
    error = body["error"]
    assert error["status"] == status and error["code"] == code
    assert PERSIAN.search(error["message"]), error["message"]
    return error


def counts(db, *models) -> dict:
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in models}


# --- authentication -----------------------------------------------------------------------------

def test_bearer_token_authenticates_as_its_user(client, make_user):
    user = make_user("sara", role="sales")
    response = client.get("/api/v1/me", headers=bearer(user))
    assert response.status_code == 200
    assert response.get_json()["username"] == "sara"
    assert response.get_json()["id"] == user.id


def test_missing_wrong_revoked_token_and_session_cookie_are_401(client, db, make_user, login_as):
    user = make_user("sara", role="administrator")
    token, secret = auth.create_token(user, "کلید قدیمی")
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}).status_code == 200

    assert_error(client.get("/api/v1/me"), 401, "unauthorized")
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer pv_not-a-real-token"}),
                 401, "unauthorized")
    assert_error(client.get("/api/v1/me", headers={"Authorization": "Bearer "}), 401, "unauthorized")
    assert_error(client.get("/api/v1/me", headers={"Authorization": f"Basic {secret}"}), 401, "unauthorized")

    auth.revoke_token(user, token.id)
    assert_error(client.get("/api/v1/me", headers={"Authorization": f"Bearer {secret}"}), 401, "unauthorized")

    # A logged-in browser session is no API credential (no CSRF on the API, so it must not be).
    login_as(user)
    assert client.get("/").status_code == 200  # the session itself works in the UI
    error = assert_error(client.get("/api/v1/users"), 401, "unauthorized")
    assert "fields" not in error
    before = counts(db, Product)
    assert_error(client.post("/api/v1/products", json={"code": "X-1", "name": "کالا", "list_price": 1}),
                 401, "unauthorized")
    assert counts(db, Product) == before


def test_token_of_a_deactivated_user_is_refused(client, db, make_user):
    user = make_user("sara", role="sales")
    headers = bearer(user)
    user.active = False
    db.session.commit()
    assert_error(client.get("/api/v1/me", headers=headers), 401, "unauthorized")


def test_user_without_permission_gets_403_in_the_error_shape(client, make_user):
    sales = make_user("sara", role="sales")
    headers = bearer(sales)
    assert_error(client.get("/api/v1/users", headers=headers), 403, "forbidden")
    assert_error(client.get(f"/api/v1/users/{sales.id}", headers=headers), 403, "forbidden")
    assert_error(client.post("/api/v1/products", headers=headers,
                             json={"code": "X-1", "name": "کالا", "list_price": 1}), 403, "forbidden")
    # The catalogue is readable by sales staff.
    assert client.get("/api/v1/products", headers=headers).status_code == 200


def test_unknown_api_route_is_404_in_the_error_shape(client, make_user):
    admin = make_user("admin", role="administrator")
    assert_error(client.get("/api/v1/users/999999", headers=bearer(admin)), 404, "not_found")
    assert_error(client.get("/api/v1/products/999999", headers=bearer(admin)), 404, "not_found")


# --- pagination ---------------------------------------------------------------------------------

def test_products_are_paginated(client, make_user):
    admin = make_user("admin", role="administrator")
    headers = bearer(admin)
    for i in range(7):
        response = client.post("/api/v1/products", headers=headers,
                               json={"code": f"P-{i:03d}", "name": f"کالای {i}", "list_price": 1000 * (i + 1)})
        assert response.status_code == 201, response.get_data(as_text=True)

    seen = []
    for page, size in ((1, 3), (2, 3), (3, 1)):
        body = client.get(f"/api/v1/products?page={page}&per_page=3", headers=headers).get_json()
        assert (body["page"], body["per_page"], body["total"], body["pages"]) == (page, 3, 7, 3)
        assert len(body["items"]) == size
        seen += [item["code"] for item in body["items"]]
    assert seen == [f"P-{i:03d}" for i in range(7)]  # ordered by code, no overlap, nothing lost

    beyond = client.get("/api/v1/products?page=9&per_page=3", headers=headers).get_json()
    assert beyond["items"] == [] and beyond["total"] == 7
    default = client.get("/api/v1/products", headers=headers).get_json()
    assert (default["page"], default["per_page"], default["pages"], len(default["items"])) == (1, 25, 1, 7)

    error = assert_error(client.get("/api/v1/products?page=0", headers=headers), 422, "invalid")
    assert "page" in error["fields"]
    error = assert_error(client.get("/api/v1/products?per_page=500", headers=headers), 422, "invalid")
    assert "per_page" in error["fields"]


def test_users_are_paginated(client, make_user):
    admin = make_user("admin", role="administrator")
    for i in range(4):
        make_user(f"rep{i}")
    headers = bearer(admin)
    ids = []
    for page in (1, 2, 3):
        body = client.get(f"/api/v1/users?page={page}&per_page=2", headers=headers).get_json()
        assert (body["total"], body["pages"], body["page"]) == (5, 3, page)
        ids += [u["id"] for u in body["items"]]
    assert len(ids) == 5 and len(set(ids)) == 5
    assert ids == sorted(ids)
    assert "password_hash" not in json.dumps(body) and "session_token" not in json.dumps(body)


# --- row visibility -----------------------------------------------------------------------------

@pytest.fixture
def hierarchy(db, make_user):
    """A manager who may manage users but not see every office: self and subordinates only."""
    tehran, isfahan = Office(name="دفتر تهران"), Office(name="شعبهٔ اصفهان")
    db.session.add_all([tehran, isfahan])
    db.session.commit()
    limited = save_group({"name": "مدیران محدود", "permissions": ["core.users"]})
    boss = make_user("boss", role=None, office=tehran, group_ids=[limited.id])
    rep = make_user("rep", office=tehran, manager=boss)
    junior = make_user("junior", office=isfahan, manager=rep)   # subordinate of a subordinate
    peer = make_user("peer", office=tehran)                     # same office, not below boss
    stranger = make_user("stranger", office=isfahan)
    admin = make_user("admin", role="administrator", office=tehran)
    return dict(boss=boss, rep=rep, junior=junior, peer=peer, stranger=stranger, admin=admin)


def test_manager_without_scope_all_sees_only_self_and_subordinates(client, hierarchy):
    h = hierarchy
    headers = bearer(h["boss"])
    body = client.get("/api/v1/users?per_page=200", headers=headers).get_json()
    assert {u["username"] for u in body["items"]} == {"boss", "rep", "junior"}
    assert body["total"] == 3

    assert client.get(f"/api/v1/users/{h['junior'].id}", headers=headers).status_code == 200
    # Invisible users are "not found", exactly like ids that do not exist: nothing leaks.
    missing = client.get("/api/v1/users/987654", headers=headers)
    for name in ("stranger", "peer", "admin"):
        response = client.get(f"/api/v1/users/{h[name].id}", headers=headers)
        assert_error(response, 404, "not_found")
        assert response.get_json() == missing.get_json()
        patch = client.patch(f"/api/v1/users/{h[name].id}", headers=headers, json={"first_name": "دزدکی"})
        assert_error(patch, 404, "not_found")
    assert client.get("/api/v1/users?q=stranger", headers=headers).get_json()["items"] == []

    # The administrator (core.users.scope_all) sees everyone.
    everyone = client.get("/api/v1/users?per_page=200", headers=bearer(h["admin"])).get_json()
    assert everyone["total"] == 6


def test_patch_of_invisible_user_changes_nothing(client, db, hierarchy):
    h = hierarchy
    client.patch(f"/api/v1/users/{h['stranger'].id}", headers=bearer(h["boss"]), json={"first_name": "دزدکی"})
    db.session.expire_all()
    assert db.session.get(User, h["stranger"].id).first_name == "کاربر"


# --- creating through the API -------------------------------------------------------------------

def test_create_office_product_and_user(client, db, make_user):
    admin = make_user("admin", role="administrator")
    headers = bearer(admin)

    response = client.post("/api/v1/offices", headers=headers,
                           json={"name": "شعبهٔ شیراز", "city": "شیراز", "address": "شیراز، خیابان زند"})
    assert response.status_code == 201, response.get_data(as_text=True)
    office = response.get_json()
    assert office["name"] == "شعبهٔ شیراز" and office["area_code"] == "71"
    assert db.session.get(Office, office["id"]).city == "شیراز"

    response = client.post("/api/v1/products", headers=headers,
                           json={"code": "SRV-1", "name": "سرور ذخیره‌سازی", "list_price": 45_000_000_000,
                                 "cost_price": 38_500_000_000, "unit": "دستگاه"})
    assert response.status_code == 201, response.get_data(as_text=True)
    product = response.get_json()
    assert product["list_price"] == 45_000_000_000
    db.session.expire_all()
    assert db.session.get(Product, product["id"]).cost_price == 38_500_000_000
    # The audit trail names the token's user.
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.table_name == "products",
                                                       AuditEntry.record_id == str(product["id"])))
    assert entry.action == "insert" and entry.user_id == admin.id

    response = client.patch(f"/api/v1/products/{product['id']}", headers=headers, json={"list_price": 46_000_000_000})
    assert response.status_code == 200 and response.get_json()["list_price"] == 46_000_000_000
    assert response.get_json()["name"] == "سرور ذخیره‌سازی"

    groups = {g["name"]: g["id"] for g in client.get("/api/v1/groups", headers=headers).get_json()}
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "Neda.K", "first_name": "ندا", "last_name": "کاظمی", "password": "secret-pass-1",
        "national_id": national_id(123456789), "office_id": office["id"], "manager_id": admin.id,
        "birth_date": "1990-05-12", "mobile": "09121234567", "group_ids": [groups["کارشناسان فروش"]]})
    assert response.status_code == 201, response.get_data(as_text=True)
    created = response.get_json()
    assert created["username"] == "neda.k" and created["birth_date"] == "1990-05-12"
    assert created["office_id"] == office["id"] and created["manager_id"] == admin.id
    assert created["group_ids"] == [groups["کارشناسان فروش"]]
    assert "password" not in created and "password_hash" not in created
    assert auth.authenticate("neda.k", "secret-pass-1", "127.0.0.1").id == created["id"]
    assert client.get(f"/api/v1/users/{created['id']}", headers=headers).get_json() == created


def test_birth_dates_in_iso_and_jalali(client, db, make_user):
    admin = make_user("admin", role="administrator")
    headers = bearer(admin)
    for i, given in enumerate(["1990-05-12", "1369/02/22", "۱۳۶۹/۰۲/۲۲", "1369-2-22"]):
        response = client.post("/api/v1/users", headers=headers, json={
            "username": f"user{i}", "first_name": "نام", "last_name": "خانوادگی", "password": "password123",
            "birth_date": given})
        assert response.status_code == 201, (given, response.get_data(as_text=True))
        assert response.get_json()["birth_date"] == "1990-05-12", given
        assert db.session.get(User, response.get_json()["id"]).birth_date == dt.date(1990, 5, 12)

    # Editing another field keeps the stored date as it is.
    user_id = response.get_json()["id"]
    response = client.patch(f"/api/v1/users/{user_id}", headers=headers, json={"first_name": "نام تازه"})
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.get_json()["birth_date"] == "1990-05-12"
    response = client.patch(f"/api/v1/users/{user_id}", headers=headers, json={"birth_date": "1370/01/01"})
    assert response.status_code == 200 and response.get_json()["birth_date"] == "1991-03-21"


@pytest.mark.parametrize("given", ["1990-02-30", "2024-13-01", "1403/13/01", "فردا", "2999-01-01"])
def test_invalid_birth_dates_are_422(client, db, make_user, given):
    headers = bearer(make_user("admin", role="administrator"))
    before = counts(db, User, AuditEntry)
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "neda", "first_name": "ندا", "last_name": "کاظمی", "password": "password123",
        "birth_date": given})
    error = assert_error(response, 422, "invalid")
    assert list(error["fields"]) == ["birth_date"] and PERSIAN.search(error["fields"]["birth_date"][0])
    assert counts(db, User, AuditEntry) == before


def test_invalid_iso_contract_date_is_not_read_as_jalali(client, db, make_user):
    """2024-02-30 is no Gregorian day; read as Jalali it would silently become the year 2645."""
    headers = bearer(make_user("admin", role="administrator"))
    before = counts(db, User)
    response = client.post("/api/v1/users", headers=headers, json={
        "username": "neda", "first_name": "ندا", "last_name": "کاظمی", "password": "password123",
        "contract_start": "2024-02-30"})
    assert "contract_start" in assert_error(response, 422, "invalid")["fields"]
    assert counts(db, User) == before


# --- validation ---------------------------------------------------------------------------------

VALID_USER = {"username": "neda", "first_name": "ندا", "last_name": "کاظمی", "password": "password123"}


@pytest.mark.parametrize("url, payload, field", [
    ("/api/v1/products", {"code": "P-1", "name": "کالا", "list_price": -5}, "list_price"),
    ("/api/v1/products", {"code": "P-1", "name": "کالا", "list_price": 10, "cost_price": -1}, "cost_price"),
    ("/api/v1/products", {"code": "P-1", "name": "کالا", "list_price": 10 ** 16}, "list_price"),
    ("/api/v1/products", {"code": "P-1", "list_price": 5}, "name"),
    ("/api/v1/products", {"code": "P-1", "name": "کالا", "list_price": "گران"}, "list_price"),
    ("/api/v1/products", {"code": "P-1", "name": "کالا", "list_price": 1, "tax_class": "x"}, "tax_class"),
    ("/api/v1/users", {**VALID_USER, "national_id": "1234567890"}, "national_id"),
    ("/api/v1/users", {**VALID_USER, "first_name": None}, "first_name"),
    ("/api/v1/users", {k: v for k, v in VALID_USER.items() if k != "last_name"}, "last_name"),
    ("/api/v1/users", {**VALID_USER, "password": "short"}, "password"),
    ("/api/v1/users", {**VALID_USER, "username": "نام فارسی"}, "username"),
    ("/api/v1/users", {**VALID_USER, "office_id": 999999}, "office_id"),
    ("/api/v1/users", {**VALID_USER, "manager_id": 999999}, "manager_id"),
    ("/api/v1/users", {**VALID_USER, "email": "not-an-email"}, "email"),
    ("/api/v1/offices", {"city": "تهران"}, "name"),
    ("/api/v1/offices", {"name": "دفتر", "area_code": "abc"}, "area_code"),
])
def test_validation_errors_are_422_with_fields_and_write_nothing(client, db, make_user, url, payload, field):
    admin = make_user("admin", role="administrator")
    headers = bearer(admin)
    before = counts(db, Product, User, Office, AuditEntry)
    error = assert_error(client.post(url, headers=headers, json=payload), 422, "invalid")
    assert field in error["fields"], error
    messages = error["fields"][field]
    assert isinstance(messages, list) and all(PERSIAN.search(m) for m in messages), messages
    assert counts(db, Product, User, Office, AuditEntry) == before


def test_duplicate_product_code_is_422(client, db, make_user):
    admin = make_user("admin", role="administrator")
    headers = bearer(admin)
    assert client.post("/api/v1/products", headers=headers,
                       json={"code": "P-1", "name": "کالا", "list_price": 1}).status_code == 201
    before = counts(db, Product, AuditEntry)
    error = assert_error(client.post("/api/v1/products", headers=headers,
                                     json={"code": "p-1", "name": "دیگری", "list_price": 2}), 422, "invalid")
    assert "code" in error["fields"]
    assert counts(db, Product, AuditEntry) == before


def test_malformed_json_body_is_an_error_in_the_shape(client, db, make_user):
    headers = {**bearer(make_user("admin", role="administrator")), "Content-Type": "application/json"}
    before = counts(db, Product)
    response = client.post("/api/v1/products", headers=headers,
                           data="{not json")
    assert response.status_code in (400, 422)
    assert set(response.get_json()["error"]) >= {"status", "code", "message"}
    assert PERSIAN.search(response.get_json()["error"]["message"])
    assert counts(db, Product) == before


# --- OpenAPI and docs ---------------------------------------------------------------------------

def _resolve_refs(node, spec, path="#"):
    if isinstance(node, dict):
        ref = node.get("$ref")
        if ref is not None:
            assert ref.startswith("#/"), ref
            target = spec
            for part in ref[2:].split("/"):
                assert part in target, f"{path}: unresolved {ref}"
                target = target[part]
        for key, value in node.items():
            _resolve_refs(value, spec, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            _resolve_refs(value, spec, f"{path}/{i}")


def test_openapi_document_lists_endpoints_with_bearer_security(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200 and response.is_json
    spec = response.get_json()
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] and spec["info"]["version"]
    schemes = spec["components"]["securitySchemes"]
    bearer_names = [n for n, s in schemes.items() if s["type"] == "http" and s["scheme"].lower() == "bearer"]
    assert bearer_names

    paths = spec["paths"]
    for path, method in [("/api/v1/me", "get"), ("/api/v1/users", "get"), ("/api/v1/users", "post"),
                         ("/api/v1/users/{user_id}", "get"), ("/api/v1/users/{user_id}", "patch"),
                         ("/api/v1/offices", "post"), ("/api/v1/products", "get"),
                         ("/api/v1/products", "post"), ("/api/v1/products/{product_id}", "get")]:
        assert method in paths.get(path, {}), (path, method)
    for path, operations in paths.items():
        assert path.startswith("/api/v1/")
        for method, operation in operations.items():
            if method not in ("get", "post", "put", "patch", "delete"):
                continue
            assert {bearer_names[0]: []} in operation.get("security", []), (path, method)
            assert "401" in operation["responses"], (path, method)
    # The page envelope is documented.
    page = spec["paths"]["/api/v1/products"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]
    _resolve_refs(spec, spec)
    page_schema = spec["components"]["schemas"][page["$ref"].rsplit("/", 1)[1]]
    assert {"items", "page", "per_page", "total", "pages"} <= set(page_schema["properties"])
    # Writes document their request bodies.
    body = spec["paths"]["/api/v1/products"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert "list_price" in spec["components"]["schemas"][body["$ref"].rsplit("/", 1)[1]]["properties"]


def test_plugin_api_blueprints_are_documented_and_protected(make_app, make_user):
    """A plugin's API made with `protect()` gets the same token check and OpenAPI security."""
    from apiflask import APIBlueprint

    from core.access import permission_required
    from core.api import protect
    from core.testing import plugin

    bp = protect(APIBlueprint("acme_api", __name__, url_prefix="/acme", tag="Acme"))

    @bp.get("/ping")
    @permission_required(None)
    def ping():
        return {"pong": True}

    app = make_app(plugins=[("acme", plugin(register_blueprints=lambda app: [bp]))])
    with app.app_context():
        client = app.test_client()
        spec = client.get("/api/v1/openapi.json").get_json()
        operation = spec["paths"]["/api/v1/acme/ping"]["get"]
        assert operation["security"] == spec["paths"]["/api/v1/me"]["get"]["security"]
        assert "401" in operation["responses"]
        assert_error(client.get("/api/v1/acme/ping"), 401, "unauthorized")
        response = client.get("/api/v1/acme/ping", headers=bearer(make_user("sara")))
        assert response.status_code == 200 and response.get_json() == {"pong": True}


def _validator_python():
    try:
        import openapi_spec_validator  # noqa: F401
        import sys
        return sys.executable
    except ImportError:
        pass
    for candidate in ("python3", "python"):
        exe = shutil.which(candidate)
        if exe and subprocess.run([exe, "-c", "import openapi_spec_validator"],
                                  capture_output=True).returncode == 0:
            return exe
    return None


def test_openapi_document_passes_the_spec_validator(client, tmp_path):
    exe = _validator_python()
    if exe is None:
        pytest.skip("openapi-spec-validator is not installed (structure is checked by the test above)")
    path = tmp_path / "openapi.json"
    path.write_bytes(client.get("/api/v1/openapi.json").data)
    result = subprocess.run([exe, "-m", "openapi_spec_validator", str(path)], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr


def test_docs_page_uses_only_local_assets(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "/api/v1/openapi.json" in html
    for host in ("cdn", "unpkg", "jsdelivr", "googleapis", "cloudflare"):
        assert host not in html.lower(), host
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert any(a.endswith("swagger-ui-bundle.js") for a in assets)
    assert any(a.endswith("swagger-ui.css") for a in assets)
    for asset in assets:
        assert asset.startswith("/static/") and not asset.startswith("//"), asset
        if "/vendor/" in asset:
            assert asset.startswith("/static/vendor/")
        fetched = client.get(asset)
        assert fetched.status_code == 200 and len(fetched.data) > 100, asset
        fetched.close()
