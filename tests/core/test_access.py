"""Who may open what (every route declares it), and who sees which rows."""
from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from core import auth
from core.access import scope_filter, subordinate_ids
from core.models.org import Office
from core.models.parties import Party
from core.plugins import Permission
from core.services.groups import save_group
from core.testing import plugin

FORBIDDEN = "شما اجازهٔ دسترسی به این بخش را ندارید."
ADMIN_MENU = ("core.offices", "core.positions", "core.users", "core.groups", "core.settings",
              "core.rules_edit", "core.audit", "core.backup", "core.plugins")


def page(response) -> str:
    return response.get_data(as_text=True)


def test_rep_gets_the_persian_403_page_and_no_admin_menu(client, login_as, make_user):
    login_as(make_user("rep", role="sales"))
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert FORBIDDEN in page(response) and 'dir="rtl"' in page(response)
    assert client.post("/admin/offices/new", data={"name": "دفتر"}).status_code == 403

    home = page(client.get("/"))
    for key in ADMIN_MENU:
        assert f'data-menu="{key}"' not in home, key
    assert 'data-menu="core.products"' in home  # what a rep may use is there


def test_administrator_sees_the_admin_menu(client, login_as, make_user):
    login_as(make_user("admin", role="administrator"))
    home = page(client.get("/"))
    for key in ADMIN_MENU:
        assert f'data-menu="{key}"' in home, key
    assert client.get("/admin/users").status_code == 200


def test_permission_comes_from_the_group_not_the_role_name(client, db, login_as, make_user):
    """A report can be granted to some reps and withheld from others: groups decide."""
    rep = make_user("rep", role="sales")
    login_as(rep)
    assert client.get("/admin/audit").status_code == 403
    auditors = save_group({"name": "بازبینان", "permissions": ["core.audit"]})
    rep.groups.append(auditors)
    db.session.commit()
    assert client.get("/admin/audit").status_code == 200


# --- every route declares its access ---------------------------------------------------------------

def _ignored(endpoint: str) -> bool:
    # Static files (the app's and any blueprint's) and the generated OpenAPI document/docs.
    return endpoint == "static" or endpoint.endswith(".static") or endpoint.startswith("openapi.")


def _sample_url(rule) -> str:
    """The rule's URL with a made-up value for each variable (ids that need not exist: the
    permission check comes before any lookup)."""
    def value(match):
        converter = (match.group(1) or "default").split("(")[0]
        if converter == "any":
            return match.group(1).split("(", 1)[1].split(",")[0].strip(" )'\"")
        return {"int": "1", "float": "1.0", "uuid": "00000000-0000-0000-0000-000000000000"}.get(converter, "x")
    return re.sub(r"<(?:([^:>]+):)?(\w+)>", value, rule.rule)


def _rules(app):
    for rule in app.url_map.iter_rules():
        if not _ignored(rule.endpoint):
            yield rule, app.view_functions[rule.endpoint]


def test_every_route_declares_its_access(app):
    missing = [f"{rule.endpoint} ({rule.rule})" for rule, view in _rules(app)
               if not hasattr(view, "_peyvand_access")]
    assert not missing, "routes without @permission_required, @login_only or @public: " + ", ".join(missing)
    # The walk really sees the routes (not an empty map that passes by itself).
    assert {"core.login", "core_admin.users", "core_api.list_users"} <= {r.endpoint for r, _ in _rules(app)}


def _protected(app):
    """(rule, method) for every route guarded by a real permission."""
    for rule, view in _rules(app):
        access = getattr(view, "_peyvand_access", None)
        if isinstance(access, tuple) and any(p is not None for p in access):
            for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
                yield rule, method


def test_user_without_groups_is_refused_everywhere(app, client, login_as, make_user):
    nobody = make_user("nobody", role=None)
    _token, secret = auth.create_token(nobody, "آزمایش")
    login_as(nobody)
    checked = 0
    for rule, method in _protected(app):
        url = _sample_url(rule)
        if url.startswith("/api/"):
            response = client.open(url, method=method, json={}, headers={"Authorization": f"Bearer {secret}"})
            assert response.status_code == 403, f"{method} {url}: {response.status_code}"
            assert response.get_json()["error"]["code"] == "forbidden"
        else:
            response = client.open(url, method=method, data={})
            assert response.status_code == 403, f"{method} {url}: {response.status_code}"
            assert FORBIDDEN in page(response)
            if method == "POST" and "GET" not in rule.methods:
                assert client.get(url).status_code == 405, url
        checked += 1
    assert checked > 30


def test_anonymous_users_are_sent_to_login(app, client):
    checked = 0
    for rule, view in _rules(app):
        if view._peyvand_access == "public":
            continue
        url = _sample_url(rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={})
            if url.startswith("/api/"):
                assert response.status_code == 401, f"{method} {url}"
            else:
                assert response.status_code == 302, f"{method} {url}: {response.status_code}"
                assert response.headers["Location"].startswith("/login?next="), f"{method} {url}"
            checked += 1
    assert checked > 30


def test_public_routes_are_few_and_known(app):
    public = {rule.endpoint for rule, view in _rules(app) if getattr(view, "_peyvand_access", None) == "public"}
    assert public <= {"core.login", "core.set_language", "core.health"} | {
        e for e in public if not e.startswith(("core.", "core_admin.", "core_api."))}


# --- row visibility ----------------------------------------------------------------------------------

AREA = "scopetest"


def _scope_permissions():
    return [Permission(f"{AREA}.scope_all", "دیدن همه"), Permission(f"{AREA}.scope_office", "دیدن دفتر")]


@pytest.fixture
def org_app(app, make_app):
    """An app with a throw-away plugin declaring the two scope permissions of an area; its
    context is pushed over the default app's."""
    app = make_app(plugins=[(AREA, plugin(register_permissions=_scope_permissions))])
    with app.app_context():
        yield app


@pytest.fixture
def small_org(org_app, make_user, db):
    """boss → mid → rep → intern (the chain crosses offices), a peer, an office-wide viewer with
    a subordinate in the other office, an auditor who sees all; one customer registered by each."""
    tehran, shiraz = Office(name="تهران"), Office(name="شیراز")
    db.session.add_all([tehran, shiraz])
    db.session.commit()
    office_group = save_group({"name": "دید دفتر", "permissions": [f"{AREA}.scope_office"]})
    all_group = save_group({"name": "دید همه", "permissions": [f"{AREA}.scope_all"]})
    u = {}
    u["boss"] = make_user("boss", office=tehran)
    u["mid"] = make_user("mid", office=tehran, manager=u["boss"])
    u["rep"] = make_user("rep", office=shiraz, manager=u["mid"])
    u["intern"] = make_user("intern", office=shiraz, manager=u["rep"])
    u["peer"] = make_user("peer", office=tehran)
    u["officer"] = make_user("officer", office=tehran, role=None, group_ids=[office_group.id])
    u["helper"] = make_user("helper", office=shiraz, manager=u["officer"])
    u["auditor"] = make_user("auditor", office=shiraz, role=None, group_ids=[all_group.id])
    for name, user in u.items():
        db.session.add(Party(kind="person", name=name, created_by_id=user.id, office_id=user.office_id))
    db.session.commit()
    return u


def visible(db, user) -> set[str]:
    return set(db.session.scalars(select(Party.name).where(
        scope_filter(user, AREA, Party.created_by_id, Party.office_id))))


def test_subordinate_ids_are_recursive(small_org):
    u = small_org
    assert set(subordinate_ids(u["boss"].id)) == {u["mid"].id, u["rep"].id, u["intern"].id}
    assert set(subordinate_ids(u["mid"].id)) == {u["rep"].id, u["intern"].id}
    assert subordinate_ids(u["rep"].id) == [u["intern"].id]
    assert subordinate_ids(u["intern"].id) == []


def test_scope_filter_own_subordinates_office_all(small_org, db):
    u = small_org
    assert visible(db, u["peer"]) == {"peer"}  # own only
    assert visible(db, u["intern"]) == {"intern"}
    assert visible(db, u["rep"]) == {"rep", "intern"}  # subordinates, in whatever office
    assert visible(db, u["boss"]) == {"boss", "mid", "rep", "intern"}  # three levels down
    # Office: every row of Tehran, plus own subordinates elsewhere.
    assert visible(db, u["officer"]) == {"boss", "mid", "peer", "officer", "helper"}
    assert visible(db, u["auditor"]) == set(u)


def test_scope_follows_a_change_of_manager(small_org, db):
    u = small_org
    u["rep"].manager_id = u["peer"].id
    db.session.commit()
    assert visible(db, u["boss"]) == {"boss", "mid"}
    assert visible(db, u["peer"]) == {"peer", "rep", "intern"}


def test_superuser_and_anonymous(small_org, db, make_user):
    from flask_login import AnonymousUserMixin
    root = make_user("root", role=None, superuser=True)
    assert visible(db, root) == set(small_org)
    assert visible(db, AnonymousUserMixin()) == set()
    assert visible(db, None) == set()


def test_party_visibility_answers_are_combined_and_long_hidden_lists_work(make_app, make_user, db):
    """`party_visible` ANDs every plugin's answer (None: no limit); `parties_shown` gives the same
    rows with the hidden parties worked out once (1,200 of them: one parameter, on SQLite past
    its old limit of 999 placeholders, on PostgreSQL an array)."""
    from sqlalchemy import func, insert, literal

    from core.access import parties_shown, party_visible

    def no_x(user, party_id):
        return ~party_id.in_(select(Party.id).where(Party.name.like("x%")))

    def no_y(user, party_id):
        return ~party_id.in_(select(Party.id).where(Party.name.like("y%")))

    app = make_app(plugins=[("hide_x", plugin(party_visibility=no_x)), ("hide_y", plugin(party_visibility=no_y)),
                            ("silent", plugin(party_visibility=lambda user, party_id: None))])
    with app.test_request_context():
        viewer = make_user("viewer", role=None)
        names = [f"x{i}" for i in range(1200)] + ["y1", "keep1", "keep2"]
        db.session.execute(insert(Party), [{"kind": "person", "name": n, "search_key": n} for n in names])
        db.session.commit()
        shown = set(db.session.scalars(select(Party.name).where(party_visible(viewer, Party.id))))
        assert shown == {"keep1", "keep2"}
        for _ in range(2):  # the second time from the request's memo
            condition = parties_shown(viewer, Party.id, select(Party.id), "test.parties")
            assert set(db.session.scalars(select(Party.name).where(condition))) == {"keep1", "keep2"}
        assert db.session.scalar(select(func.count()).select_from(Party).where(
            parties_shown(viewer, Party.id, select(Party.id).where(Party.name == literal("keep1")), "test.one"))) \
            == len(names)  # only candidates are looked at: the hidden ones outside them stay
