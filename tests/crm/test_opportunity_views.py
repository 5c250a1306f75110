"""Opportunities through the screens and the API: the pipelines admin, the list, the kanban
board (moving cards by buttons, by drag and drop through htmx, and the refusals), and the sales
API (board, opportunity edit, move).

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import csv
import datetime as dt
import io
import re

import pytest
from sqlalchemy import event, insert, select

from core import auth
from core.jalali import utcnow
from plugins.crm.models import Customer, Negotiation, Pipeline, Stage
from plugins.crm.services import negotiations as neg
from plugins.crm.services import pipeline


def text(response) -> str:
    return response.get_data(as_text=True)


def reload(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


def column_of(page: str, negotiation_id: int) -> int | None:
    """The stage id of the board column holding a card."""
    for m in re.finditer(r'<section class="kanban-col" data-stage-id="(\d+)"(.*?)</section>', page, flags=re.S):
        if f'id="card-{negotiation_id}"' in m.group(2):
            return int(m.group(1))
    return None


@pytest.fixture
def as_user(client, login_as):
    def do(user):
        login_as(user)
        return client
    return do


@pytest.fixture
def stages(db):
    p = pipeline.ensure_default()
    db.session.commit()
    return list(p.stages)


@pytest.fixture
def api(client):
    def call(user, method, path, **kwargs):
        _token, secret = auth.create_token(user, "test")
        return client.open(f"/api/v1/crm{path}", method=method, headers={"Authorization": f"Bearer {secret}"}, **kwargs)
    return call


# --- pipelines admin ------------------------------------------------------------------------------

def test_the_pipelines_screen_creates_the_default_pipeline_the_first_time(db, org, as_user):
    assert db.session.query(Pipeline).count() == 0
    page = text(as_user(org.admin).get("/crm/pipelines"))
    assert "قیف فروش" in page and 'id="default-badge"' in page
    assert db.session.query(Pipeline).count() == 1
    assert as_user(org.admin).get("/crm/pipelines").status_code == 200
    assert db.session.query(Pipeline).count() == 1


def test_only_the_pipelines_permission_opens_the_admin(db, org, as_user, stages):
    for user in (org.a, org.manager, org.inspector):
        assert as_user(user).get("/crm/pipelines").status_code == 403
        assert as_user(user).post("/crm/pipelines/new", data={"name": "x"}).status_code == 403
        assert as_user(user).post(f"/crm/pipelines/{stages[0].pipeline_id}/default").status_code == 403


def stage_form(name, rows, **extra):
    data = {"name": name, **extra}
    for i, row in enumerate(rows):
        data[f"stages-{i}-id"] = str(row.get("id") or "")
        data[f"stages-{i}-name"] = row["name"]
        data[f"stages-{i}-probability"] = str(row.get("probability", ""))
        data[f"stages-{i}-required"] = row.get("required", [])
    return data


def test_creating_a_pipeline_with_stages_and_required_fields(db, org, as_user, stages):
    client = as_user(org.admin)
    r = client.post("/crm/pipelines/new", data=stage_form("فروش پروژه‌ای", [
        {"name": "ارزیابی", "probability": "۲۰"},
        {"name": "مناقصه", "probability": "60", "required": ["value", "forecast_close"]}], action="save"))
    assert r.status_code == 302
    p = db.session.scalar(select(Pipeline).where(Pipeline.name == "فروش پروژه‌ای"))
    assert [(s.name, s.probability, s.required_fields) for s in p.stages] == [
        ("ارزیابی", 20, []), ("مناقصه", 60, ["value", "forecast_close"])]
    assert not p.is_default


def test_reordering_adding_and_removing_rows_only_changes_the_form_until_saved(db, org, as_user, stages):
    client = as_user(org.admin)
    url = f"/crm/pipelines/{stages[0].pipeline_id}/edit"
    rows = [{"id": s.id, "name": s.name, "probability": s.probability} for s in stages]
    page = text(client.post(url, data=stage_form("قیف فروش", rows, action="up-1")))
    names = re.findall(r'name="stages-\d+-name" value="([^"]+)"', page)
    assert names[:2] == [stages[1].name, stages[0].name]
    page = text(client.post(url, data=stage_form("قیف فروش", rows, action="add")))
    assert len(re.findall(r'name="stages-\d+-name"', page)) == len(stages) + 1
    assert [s.name for s in reload(db, Pipeline, stages[0].pipeline_id).stages] == [s.name for s in stages]
    # Saved in the new order: positions follow, the stages keep their ids.
    swapped = [rows[1], rows[0], *rows[2:]]
    assert client.post(url, data=stage_form("قیف فروش", swapped, action="save")).status_code == 302
    p = reload(db, Pipeline, stages[0].pipeline_id)
    assert [s.id for s in p.stages] == [stages[1].id, stages[0].id, *[s.id for s in stages[2:]]]


def test_a_stage_holding_opportunities_is_not_deleted(db, org, as_user, register, stages):
    register(org.a)  # in the first stage
    client = as_user(org.admin)
    url = f"/crm/pipelines/{stages[0].pipeline_id}/edit"
    rows = [{"id": s.id, "name": s.name, "probability": s.probability} for s in stages[1:]]
    r = client.post(url, data=stage_form("قیف فروش تازه", rows, action="save"))
    assert r.status_code == 422 and "حذف نمی‌شود" in text(r)
    p = reload(db, Pipeline, stages[0].pipeline_id)
    assert p.name == "قیف فروش" and len(p.stages) == len(stages)
    # An empty stage goes.
    rows = [{"id": s.id, "name": s.name, "probability": s.probability} for s in stages[:-1]]
    assert client.post(url, data=stage_form("قیف فروش", rows, action="save")).status_code == 302
    assert len(reload(db, Pipeline, stages[0].pipeline_id).stages) == len(stages) - 1


@pytest.mark.parametrize("rows,name,message", [
    ([{"name": ""}], "x", "نام مرحله"),
    ([{"name": "الف"}, {"name": "الف"}], "x", "دو بار"),
    ([{"name": "الف", "probability": "140"}], "x", "بین ۰ تا ۱۰۰"),
    ([{"name": "الف", "probability": "زیاد"}], "x", "بین ۰ تا ۱۰۰"),
    ([], "x", "دست‌کم یک مرحله"),
    ([{"name": "الف"}], "", "نام قیف"),
    ([{"name": "الف"}], "قیف فروش", "قیفی با این نام"),
])
def test_wrong_pipelines_are_refused_in_persian(db, org, as_user, stages, rows, name, message):
    r = as_user(org.admin).post("/crm/pipelines/new", data=stage_form(name, rows, action="save"))
    assert r.status_code == 422 and message in text(r)
    assert db.session.query(Pipeline).count() == 1


def test_making_another_pipeline_the_default(db, org, as_user, register, stages):
    other = pipeline.save_pipeline({"name": "فروش عمده", "stages": [{"name": "تماس", "probability": 5}]})
    assert as_user(org.admin).post(f"/crm/pipelines/{other.id}/default").status_code == 302
    assert reload(db, Pipeline, other.id).is_default and not reload(db, Pipeline, stages[0].pipeline_id).is_default
    n = register(org.a)
    assert n.stage_id == other.stages[0].id  # new opportunities start there


# --- the board ------------------------------------------------------------------------------------

def test_the_board_shows_columns_with_counts_totals_and_visible_cards(db, org, register, as_user, stages):
    a1 = register(org.a, name="آریا")
    a2 = register(org.a, name="بردیا")
    b1 = register(org.b, name="کاوه")
    c1 = register(org.c, name="دارا")
    for n, value in ((a1, 2_000_000), (a2, 3_000_000), (b1, 5_000_000), (c1, 7_000_000)):
        pipeline.update_opportunity(n.id, {"value": str(value), "need_details": "x"}, n.owner)
    pipeline.move(a2.id, stages[1].id, org.a)
    page = text(as_user(org.a).get("/crm/opportunities/board"))
    assert column_of(page, a1.id) == stages[0].id and column_of(page, a2.id) == stages[1].id
    assert column_of(page, b1.id) == stages[0].id      # the office's card is shown…
    assert column_of(page, c1.id) is None              # …not another office's
    first = re.search(rf'data-stage-id="{stages[0].id}".*?data-count="(\d+)".*?data-total="(\d+)"', page, re.S)
    assert first.groups() == ("2", "7000000")
    assert "۷٬۰۰۰٬۰۰۰ ریال" in page
    # A may move their own cards, not B's (no buttons, not draggable).
    assert re.search(rf'id="card-{a1.id}"[^>]*draggable="true"', page)
    assert not re.search(rf'id="card-{b1.id}"[^>]*draggable', page)
    # The owner filter and the search.
    page = text(as_user(org.admin).get(f"/crm/opportunities/board?owner={org.c.id}"))
    assert column_of(page, c1.id) == stages[0].id and column_of(page, a1.id) is None
    page = text(as_user(org.admin).get("/crm/opportunities/board?q=بردیا"))
    assert column_of(page, a2.id) == stages[1].id and column_of(page, a1.id) is None


def test_moving_a_card_with_the_buttons_works_without_javascript(db, org, register, as_user, stages):
    n = register(org.a)
    pipeline.update_opportunity(n.id, {"need_details": "نیاز"}, org.a)
    client = as_user(org.a)
    r = client.post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[1].id,
                                                             "next": "/crm/opportunities/board?q=x"})
    assert r.status_code == 302 and r.headers["Location"].endswith("/crm/opportunities/board?q=x")
    assert reload(db, Negotiation, n.id).stage_id == stages[1].id
    page = text(client.get(r.headers["Location"].replace("?q=x", "")))
    assert "به مرحلهٔ «نیازسنجی» رفت" in page and column_of(page, n.id) == stages[1].id
    # `next` never leaves the site.
    r = client.post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[0].id, "next": "//evil.example/"})
    assert r.headers["Location"].endswith(f"/crm/opportunities/board?pipeline={stages[0].pipeline_id}")


def test_a_refused_move_shows_why_and_the_card_stays(db, org, register, as_user, stages):
    n = register(org.a)
    client = as_user(org.a)
    # «ارائهٔ پیشنهاد» needs a value: dropping the card there (htmx) is refused.
    r = client.post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[2].id, "pipeline": stages[0].pipeline_id},
                    headers={"HX-Request": "true"})
    page = text(r)
    assert r.status_code == 200 and 'id="board-message"' in page and "ارزش احتمالی" in page
    assert column_of(page, n.id) == stages[0].id
    assert reload(db, Negotiation, n.id).stage_id == stages[0].id


def test_someone_elses_card_does_not_move(db, org, register, as_user, stages):
    n = register(org.a)
    r = as_user(org.b).post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[0].id},
                            headers={"HX-Request": "true"})
    assert "مسئول" in text(r) and column_of(text(r), n.id) == stages[0].id
    assert as_user(org.c).post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[1].id}).status_code == 404
    assert as_user(org.inspector).post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[1].id}).status_code == 403
    # The manager above A may.
    pipeline.update_opportunity(n.id, {"need_details": "x"}, org.a)
    assert as_user(org.manager).post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[1].id}).status_code == 302
    assert reload(db, Negotiation, n.id).stage_id == stages[1].id


def test_an_expired_or_closed_card_does_not_move(db, org, register, as_user, stages):
    n = register(org.a)
    stored = db.session.get(Negotiation, n.id)
    stored.window_end = utcnow() - dt.timedelta(minutes=1)
    db.session.commit()
    r = as_user(org.a).post(f"/crm/opportunities/{n.id}/move", data={"stage_id": stages[1].id},
                            headers={"HX-Request": "true"})
    assert "منقضی" in text(r)
    assert reload(db, Negotiation, n.id).status == "expired"
    r = as_user(org.a).post(f"/crm/opportunities/{n.id}/move", data={"stage_id": "۹۹۹۹"},
                            headers={"HX-Request": "true"})
    assert "وجود ندارد" in text(r)


def test_winning_from_the_board_goes_through_the_saba_confirmation(db, org, register, as_user, stages):
    n = register(org.a)
    page = text(as_user(org.a).get("/crm/opportunities/board"))
    assert f'/crm/negotiations/{n.id}/status/won"' in page and f'/crm/negotiations/{n.id}/status/cut"' in page
    # The board shows open opportunities only: a won one leaves it.
    neg.change_status(n.id, "won", org.a, confirmed=True)
    assert column_of(text(as_user(org.a).get("/crm/opportunities/board")), n.id) is None


def _bulk_opportunities(db, owner, how_many: int, stage: Stage) -> None:
    """Open negotiations without going through registration (fast), for the volume tests."""
    from core.models.parties import Party
    now = utcnow()
    start = db.session.query(Party).count()
    parties = [{"kind": "person", "name": f"حجم {start + i}", "search_key": f"حجم {start + i}"} for i in range(how_many)]
    db.session.execute(insert(Party), parties)
    party_ids = db.session.scalars(select(Party.id).order_by(Party.id).offset(start)).all()
    db.session.execute(insert(Customer), [{"party_id": pid, "registered_at": now} for pid in party_ids])
    customer_ids = db.session.scalars(select(Customer.id).where(Customer.party_id.in_(party_ids))).all()
    db.session.execute(insert(Negotiation), [
        {"customer_id": cid, "owner_id": owner.id, "office_id": owner.office_id, "status": "negotiating",
         "window_start": now, "window_end": now + dt.timedelta(days=90), "stage_id": stage.id,
         "value": 1_000_000 * (i + 1), "priority": "normal", "need_details": "", "opened_via": "register"}
        for i, cid in enumerate(customer_ids)])
    db.session.commit()


def test_a_full_column_links_to_the_rest_and_the_board_cost_does_not_grow(app, db, org, as_user, stages):
    _bulk_opportunities(db, org.a, 35, stages[0])
    client = as_user(org.a)
    statements = []

    def count_statement(*args, **kwargs):
        statements.append(1)

    event.listen(db.engine, "before_cursor_execute", count_statement)
    try:
        page = text(client.get("/crm/opportunities/board"))
        few = len(statements)
        _bulk_opportunities(db, org.a, 70, stages[0])
        _bulk_opportunities(db, org.b, 20, stages[1])
        statements.clear()
        page = text(client.get("/crm/opportunities/board"))
        many = len(statements)
    finally:
        event.remove(db.engine, "before_cursor_execute", count_statement)
    assert many <= few + 2, (few, many)  # the same queries whatever the number of cards
    assert page.count('class="kanban-card card') == 30 + 20
    assert f'data-more="{stages[0].id}"' in page and "و ۷۵ فرصت دیگر" in page
    assert f'data-more="{stages[1].id}"' not in page
    more = re.search(rf'href="([^"]+)" data-more="{stages[0].id}"', page).group(1).replace("&amp;", "&")
    listed = text(client.get(more))
    assert 'data-total-count="105"' in listed


# --- the list -------------------------------------------------------------------------------------

def test_the_list_filters_sorts_pages_and_weights(db, org, register, as_user, stages):
    a1 = register(org.a, name="آریا")
    a2 = register(org.a, name="بردیا")
    c1 = register(org.c, name="دارا")
    pipeline.update_opportunity(a1.id, {"value": "1000000", "need_details": "x", "priority": "high"}, org.a)
    pipeline.update_opportunity(a2.id, {"value": "4000000", "forecast_close": "1405/02/01"}, org.a)
    pipeline.update_opportunity(c1.id, {"value": "9000000"}, org.c)
    pipeline.move(a1.id, stages[1].id, org.a)  # 25%
    client = as_user(org.a)
    page = text(client.get("/crm/opportunities"))
    ids = [int(x) for x in re.findall(r'<tr data-negotiation="(\d+)"', page)]
    assert ids == [a2.id, a1.id]  # by value, descending; C's is not visible
    # weighted: 4,000,000 × 10% + 1,000,000 × 25%
    assert 'data-total-value="5000000"' in page and 'data-total-weighted="650000"' in page
    assert "۴۰۰٬۰۰۰ ریال" in page and "۲۵۰٬۰۰۰ ریال" in page
    page = text(client.get("/crm/opportunities?sort=-weighted"))
    assert [int(x) for x in re.findall(r'<tr data-negotiation="(\d+)"', page)] == [a2.id, a1.id]
    page = text(client.get("/crm/opportunities?sort=forecast"))
    assert [int(x) for x in re.findall(r'<tr data-negotiation="(\d+)"', page)] == [a2.id, a1.id]  # empty last
    page = text(client.get(f"/crm/opportunities?stage={stages[1].id}"))
    assert [int(x) for x in re.findall(r'<tr data-negotiation="(\d+)"', page)] == [a1.id]
    page = text(client.get("/crm/opportunities?priority=high&sort=nonsense"))
    assert [int(x) for x in re.findall(r'<tr data-negotiation="(\d+)"', page)] == [a1.id]
    page = text(as_user(org.admin).get("/crm/opportunities?sort=customer&size=5"))
    assert [int(x) for x in re.findall(r'<tr data-negotiation="(\d+)"', page)] == [a1.id, a2.id, c1.id]


def test_the_list_exports_for_those_allowed(db, org, register, as_user, stages):
    n = register(org.a, name="آریا")
    pipeline.update_opportunity(n.id, {"value": "2000000"}, org.a)
    assert as_user(org.a).get("/crm/opportunities?export=csv").status_code == 403
    r = as_user(org.manager).get("/crm/opportunities?export=csv")
    rows = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:3] == ["شناسه مذاکره", "مشتری", "کارشناس"] and rows[1][1] == "آریا"
    assert rows[1][4] == "2000000" and rows[1][6] == "200000"


def test_an_unknown_or_inactive_pipeline_is_404(db, org, as_user, stages):
    assert as_user(org.a).get("/crm/opportunities/board?pipeline=9999").status_code == 404
    p = db.session.get(Pipeline, stages[0].pipeline_id)
    other = pipeline.save_pipeline({"name": "خاموش", "stages": [{"name": "یک"}]})
    other.active = False
    db.session.commit()
    assert as_user(org.a).get(f"/crm/opportunities?pipeline={other.id}").status_code == 404
    assert p.is_default


# --- the API --------------------------------------------------------------------------------------

def test_api_board_update_and_move(api, db, org, register, stages):
    n = register(org.a, name="آریا")
    register(org.c, name="دارا")
    r = api(org.a, "GET", "/pipelines")
    assert r.status_code == 200 and r.json[0]["stages"][1]["required_fields"] == ["need_details"]
    board = api(org.a, "GET", f"/pipelines/{stages[0].pipeline_id}/board").json
    assert board["columns"][0]["count"] == 1 and board["columns"][0]["cards"][0]["customer_name"] == "آریا"
    # Move refused without the required field, then allowed.
    r = api(org.a, "POST", f"/opportunities/{n.id}/move", json={"stage_id": stages[1].id})
    assert r.status_code == 422 and "جزئیات نیاز" in r.json["error"]["message"]
    r = api(org.a, "PATCH", f"/opportunities/{n.id}", json={"need_details": "کارت‌خوان", "value": 45_000_000_000,
                                                             "forecast_close": "2026-04-04"})
    assert r.status_code == 200 and r.json["value"] == 45_000_000_000 and r.json["forecast_close"] == "2026-04-04"
    r = api(org.a, "PATCH", f"/opportunities/{n.id}", json={"priority": "high"})  # the rest is kept
    assert r.json["value"] == 45_000_000_000 and r.json["priority"] == "high"
    r = api(org.a, "POST", f"/opportunities/{n.id}/move", json={"stage_id": stages[3].id})
    assert r.status_code == 200 and r.json["stage_id"] == stages[3].id and r.json["probability"] == 75
    r = api(org.a, "PATCH", f"/opportunities/{n.id}", json={"stage_id": stages[4].id, "forecast_close": None})
    assert r.status_code == 422 and "stage_id" in r.json["error"]["fields"]
    assert reload(db, Negotiation, n.id).forecast_close is not None


def test_api_refusals(api, db, org, register, stages):
    n = register(org.a)
    assert api(org.c, "GET", f"/opportunities/{n.id}").status_code == 404
    assert api(org.c, "PATCH", f"/opportunities/{n.id}", json={"value": 1}).status_code == 404
    assert api(org.c, "POST", f"/opportunities/{n.id}/move", json={"stage_id": stages[0].id}).status_code == 404
    r = api(org.b, "POST", f"/opportunities/{n.id}/move", json={"stage_id": stages[0].id})
    assert r.status_code == 422 and "مسئول" in r.json["error"]["message"]
    r = api(org.a, "PATCH", f"/opportunities/{n.id}", json={"value": -1, "forecast_close": "1403/13/01"})
    assert r.status_code == 422 and set(r.json["error"]["fields"]) == {"value", "forecast_close"}
    r = api(org.a, "PATCH", f"/opportunities/{n.id}", json={"priority": "urgent"})
    assert r.status_code == 422 and "priority" in r.json["error"]["fields"]
    assert api(org.inspector, "POST", f"/opportunities/{n.id}/move", json={"stage_id": stages[0].id}).status_code == 403
    assert api(org.a, "GET", "/pipelines/9999/board").status_code == 404
