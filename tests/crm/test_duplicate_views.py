"""Duplicate customers on screen: the live check while a rep types, the audit of the warnings
shown, the whole-database scan with its review, merging and «متفاوت هستند» — and the wrong
things users do on each (wrong role, forged ids, junk input, refused merges).

The organisation (conftest `org`): Tehran — boss → manager → rep A, rep B, inspector, admin;
Isfahan — rep C.
"""
import csv
import datetime as dt
import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from core.jalali import format_date, today_tehran
from core.models.audit import AuditEntry
from core.models.parties import Party
from core.persian import to_persian_digits
from plugins.crm.models import (
    Customer,
    DuplicatePair,
    DuplicateScan,
    DuplicateWarning,
    DuplicateWarningMatch,
    LogEntry,
    Merge,
    Negotiation,
)
from plugins.crm.services import dup_review, dup_scan, log
from plugins.crm.services import negotiations as neg


def text(response) -> str:
    return response.get_data(as_text=True)


def count(db, model, *where) -> int:
    db.session.rollback()  # count what is committed now
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def reload(db, model, id_):
    db.session.expire_all()
    return db.session.get(model, id_)


@pytest.fixture
def as_user(client, login_as):
    def do(user):
        login_as(user)
        return client
    return do


def typed(**changes) -> dict:
    """The registration form as a rep has filled it so far."""
    data = {"kind": "person", "name": "", "organisation": "", "national_id": "", "mobile": "",
            "other_phones-0": "", "other_phones-1": "", "other_phones-2": "", "email": "", "city": "",
            "address": "", "notes": ""}
    data.update(changes)
    return data


@pytest.fixture
def rivals(db, org, register):
    """Rep C's (Isfahan) customers: one suspended (in the free pool), one won, one negotiating."""
    class R:
        pass
    r = R()
    r.free = register(org.c, name="کامران یزدانی", city="اصفهان", phones=[{"number": "09131112233", "kind": "mobile"}])
    neg.change_status(r.free.id, "suspended", org.c)
    r.won = register(org.c, name="سمیه طاهری", city="اصفهان", organisation="داروسازی شفا آرا",
                     phones=[{"number": "09134445566", "kind": "mobile"}])
    neg.change_status(r.won.id, "won", org.c, confirmed=True)
    r.busy = register(org.c, name="پرویز ناصری", city="اصفهان", phones=[{"number": "09137778899", "kind": "mobile"}])
    return r


# --- 1. the live check ------------------------------------------------------------------------

def test_register_form_asks_the_live_check_while_typing(db, org, as_user):
    page = text(as_user(org.a).get("/crm/customers/new"))
    assert 'id="live-duplicates"' in page and 'hx-post="/crm/customers/duplicate-check"' in page
    assert 'hx-include="#register-form"' in page and "delay:400ms" in page
    for field in ("#name", "#mobile", "#national_id", "#city"):
        assert field in page


def test_live_check_shows_matches_masked_with_the_right_action_and_stores_nothing(db, org, rivals, as_user):
    client = as_user(org.a)
    # A pool customer, typed with Arabic letters and the phone in another format.
    r = client.post("/crm/customers/duplicate-check", data=typed(name="يزداني كامران", mobile="+98 913 111 2233"))
    assert r.status_code == 200
    page = text(r)
    assert f'data-match="{rivals.free.customer_id}"' in page
    assert "0913***2233" in to_ascii(page) and "09131112233" not in to_ascii(page)
    assert 'data-action="claim"' in page and f"/crm/customers/{rivals.free.customer_id}/claim" in page
    assert org.c.full_name in page and org.isfahan.name in page and "همان تلفن همراه" in page
    # Another rep's won customer: no contact detail at all, no link to a page A may not open,
    # and the new sale instead of a second registration.
    page = text(client.post("/crm/customers/duplicate-check", data=typed(name="سمیه طاهری", city="اصفهان")))
    assert f'data-match="{rivals.won.customer_id}"' in page
    assert "***" not in page and "داروسازی" not in page and "جزئیات تماس" in page
    assert f'href="/crm/customers/{rivals.won.customer_id}"' not in page
    assert 'data-action="reopen"' in page and f'value="{rivals.won.customer_id}"' in page
    # The owner sees the own won customer's masked phone and a link.
    own = text(as_user(org.c).post("/crm/customers/duplicate-check", data=typed(name="سمیه طاهری", city="اصفهان")))
    assert "0913***5566" in to_ascii(own) and f'href="/crm/customers/{rivals.won.customer_id}"' in own
    # A negotiating customer of another rep: shown, but neither claim nor new sale.
    page = text(as_user(org.a).post("/crm/customers/duplicate-check", data=typed(mobile="۰۹۱۳۷۷۷۸۸۹۹")))
    assert f'data-match="{rivals.busy.customer_id}"' in page
    assert 'data-action="claim"' not in page and 'data-action="reopen"' not in page
    assert count(db, DuplicateWarning) == 0 and count(db, DuplicateWarningMatch) == 0


def to_ascii(page: str) -> str:
    from core.persian import to_ascii_digits
    return to_ascii_digits(page)


@pytest.mark.parametrize("data", [
    {},
    typed(),
    typed(name="   "),
    typed(name="مهندس شرکت"),  # titles only
    typed(mobile="abc", national_id="12", **{"other_phones-0": "۰۰۰"}),
    typed(name="ش" * 20000, city="ت" * 5000),
    typed(kind="<script>", product_id="x", category_id="-1", **{"other_phones-99": "0912"}),
    {"name": ["a", "b"], "csrf_token": "x"},
])
def test_live_check_with_junk_input_is_an_empty_answer(db, org, rivals, as_user, data):
    r = as_user(org.a).post("/crm/customers/duplicate-check", data=data)
    assert r.status_code == 200
    assert text(r).strip() == ""
    assert count(db, DuplicateWarning) == 0


def test_live_check_needs_the_register_permission_and_a_post(db, org, rivals, client, as_user):
    assert client.post("/crm/customers/duplicate-check", data=typed(name="کامران یزدانی")).status_code in (302, 401)
    assert as_user(org.inspector).post("/crm/customers/duplicate-check",
                                       data=typed(name="کامران یزدانی")).status_code == 403
    assert as_user(org.a).get("/crm/customers/duplicate-check").status_code == 405


def test_live_check_refuses_a_post_without_csrf(make_app, db, org, login_as):
    app = make_app({"WTF_CSRF_ENABLED": True})
    client = app.test_client()
    with client.session_transaction() as session:
        session["_user_id"] = org.a.get_id()
        session["_fresh"] = True
    assert client.post("/crm/customers/duplicate-check", data=typed(name="کامران یزدانی")).status_code == 400


def test_new_sale_from_the_live_warning_stores_what_was_shown(db, org, rivals, as_user):
    client = as_user(org.a)
    won_id = rivals.won.customer_id
    # Pressed with a candidate that does not match: a forged id, refused, nothing written.
    r = client.post("/crm/customers/new", data=typed(name="کسی دیگر", reopen_customer_id=str(won_id)))
    assert r.status_code == 404
    assert count(db, DuplicateWarning) == 0 and count(db, Negotiation, Negotiation.customer_id == won_id) == 1
    # Pressed on the live warning: the typed candidate matches, so it is the warning shown.
    r = client.post("/crm/customers/new", data=typed(name="سمیه طاهری", city="اصفهان", reopen_customer_id=str(won_id)))
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/customers/{won_id}")
    [warning] = db.session.scalars(select(DuplicateWarning)).all()
    assert warning.user_id == org.a.id and warning.matches[0]["customer_id"] == won_id
    assert warning.matches[0]["phones"] == []  # stored as shown: nothing of the won customer's contacts
    current = reload(db, Customer, won_id).current
    assert current.owner_id == org.a.id and current.status == "negotiating" and current.opened_via == "register"


# --- 2. the audit -----------------------------------------------------------------------------

@pytest.fixture
def warnings(db, org, register, as_user):
    """Rep B types Narges Nouri (a customer of A) twice: once dismissed and registered, once
    left. Rep C is warned about Kamran (nothing registered)."""
    existing = register(org.a, name="نرگس نوری", phones=[{"number": "09125550000", "kind": "mobile"}])
    client = as_user(org.b)
    form = typed(name="نرگس نوري", mobile="0912 555 0000")
    r = client.post("/crm/customers/new", data=form)
    assert r.status_code == 200 and 'id="duplicate-warning"' in text(r)
    first = db.session.scalars(select(DuplicateWarning).order_by(DuplicateWarning.id.desc())).first()
    r = client.post("/crm/customers/new", data={**form, "confirmed_not_duplicate": "y", "warning_id": str(first.id)})
    assert r.status_code == 302
    client.post("/crm/customers/new", data=form)
    kamran = register(org.a, name="کامران یزدانی", phones=[{"number": "09131112233", "kind": "mobile"}])
    as_user(org.c).post("/crm/customers/new", data=typed(name="کامران یزدانی", mobile="09131112233"))
    db.session.rollback()
    ws = db.session.scalars(select(DuplicateWarning).order_by(DuplicateWarning.id)).all()
    assert len(ws) == 3

    class W:
        pass
    w = W()
    w.existing, w.kamran = existing.customer_id, kamran.customer_id
    w.dismissed, w.left, w.other = ws
    w.registered = w.dismissed.customer_id
    assert w.registered and w.left.dismissed_at is None
    return w


def rows(response) -> list[int]:
    return [int(x) for x in re.findall(r'<tr data-warning="(\d+)"', text(response))]


def test_audit_is_for_administrator_and_inspector_only(db, org, warnings, as_user):
    for user in (org.a, org.b, org.manager, org.boss):
        client = as_user(user)
        assert client.get("/crm/duplicates/warnings").status_code == 403
        assert client.get(f"/crm/customers/{warnings.existing}/duplicate-audit").status_code == 403
        assert client.get("/crm/duplicates/warnings?format=csv").status_code == 403
    for user in (org.inspector, org.admin):
        assert as_user(user).get("/crm/duplicates/warnings").status_code == 200
    menu = text(as_user(org.inspector).get("/crm/duplicates/warnings"))
    assert 'data-menu="crm.r_dup_warnings"' in menu and 'data-menu="crm.dups"' not in menu
    assert 'data-menu="crm.r_dup_warnings"' not in text(as_user(org.a).get("/crm/customers/my"))


def test_audit_report_shows_who_saw_what_and_what_they_did(db, org, warnings, as_user):
    r = as_user(org.inspector).get("/crm/duplicates/warnings")
    page = text(r)
    assert rows(r) == [warnings.other.id, warnings.left.id, warnings.dismissed.id]  # newest first
    assert org.b.full_name in page and org.c.full_name in page
    assert "نرگس نوري" in page  # as typed
    assert f'href="/crm/customers/{warnings.existing}"' in page  # the matched customer
    assert f'href="/crm/customers/{warnings.registered}"' in page  # the customer then registered
    assert "0912***0000" in to_ascii(page)  # the match as it was shown
    assert to_persian_digits(format_date(today_tehran())) in page  # Jalali dates


def test_audit_filters(db, org, warnings, as_user):
    client = as_user(org.admin)
    assert rows(client.get(f"/crm/duplicates/warnings?user={org.b.id}")) == [warnings.left.id, warnings.dismissed.id]
    assert rows(client.get("/crm/duplicates/warnings?dismissed=yes")) == [warnings.dismissed.id]
    assert rows(client.get("/crm/duplicates/warnings?dismissed=no")) == [warnings.other.id, warnings.left.id]
    # Text: what was typed (Arabic letters found by Persian ones), or a matched customer's name.
    assert rows(client.get("/crm/duplicates/warnings?q=نرگس نوری")) == [warnings.left.id, warnings.dismissed.id]
    assert rows(client.get("/crm/duplicates/warnings?q=یزدانی")) == [warnings.other.id]
    assert rows(client.get("/crm/duplicates/warnings?q=هیچ‌کس")) == []
    # Jalali dates, Persian digits; a range without today finds nothing.
    today = to_persian_digits(format_date(today_tehran()))
    assert len(rows(client.get(f"/crm/duplicates/warnings?start={today}&end={today}"))) == 3
    last_year = format_date(today_tehran() - dt.timedelta(days=400), "en")
    assert rows(client.get(f"/crm/duplicates/warnings?start={last_year}&end={last_year}")) == []
    # Junk filters: ignored or a Persian message, never an error.
    r = client.get("/crm/duplicates/warnings?start=1403/13/40")
    assert r.status_code == 200 and "این تاریخ در تقویم وجود ندارد" in text(r)
    assert rows(r) == []
    r = client.get(f"/crm/duplicates/warnings?start={today}&end={last_year}")
    assert "تاریخ پایان نمی‌تواند پیش از تاریخ شروع باشد" in text(r)
    r = client.get("/crm/duplicates/warnings?user=abc&dismissed=maybe&page=x&q=" + "%" * 500)
    assert r.status_code == 200


def test_audit_export_csv_and_xlsx(db, org, warnings, as_user):
    client = as_user(org.inspector)
    r = client.get(f"/crm/duplicates/warnings?format=csv&user={org.b.id}")
    assert r.status_code == 200 and r.mimetype == "text/csv"
    table = list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))
    header, *body = table
    assert "کاربر" in header and "مشتری ثبت‌شده" in header and len(body) == 2
    done = next(row for row in body if row[0] == str(warnings.dismissed.id))
    assert done[header.index("تکراری نبودن تأیید شد")] == "بله"
    assert done[header.index("مشتری ثبت‌شده")] == "نرگس نوري"
    assert "0912***0000" in done[header.index("مشتریان مشابه")]
    assert re.fullmatch(r"14\d\d/\d\d/\d\d \d\d:\d\d", done[header.index("زمان")])  # Jalali
    r = client.get("/crm/duplicates/warnings?format=xlsx")
    sheet = load_workbook(io.BytesIO(r.data)).active
    assert sheet.max_row == 4 and sheet.sheet_view.rightToLeft
    r = client.get(f"/crm/customers/{warnings.existing}/duplicate-audit?format=csv")
    assert len(list(csv.reader(io.StringIO(r.get_data(as_text=True).lstrip("\ufeff"))))) == 3


def test_per_customer_audit(db, org, warnings, as_user):
    client = as_user(org.inspector)
    r = client.get(f"/crm/customers/{warnings.existing}/duplicate-audit")
    page = text(r)
    named = page.split('id="named"')[1]
    assert set(int(x) for x in re.findall(r'data-warning="(\d+)"', named)) == {warnings.dismissed.id, warnings.left.id}
    shown = page.split('id="shown-when-registered"')[1].split('id="named"')[0]
    assert "data-warning=" not in shown
    # The customer B registered after dismissing: the warning shown while registering it.
    page = text(client.get(f"/crm/customers/{warnings.registered}/duplicate-audit"))
    shown = page.split('id="shown-when-registered"')[1].split('id="named"')[0]
    assert re.findall(r'data-warning="(\d+)"', shown) == [str(warnings.dismissed.id)]
    assert client.get("/crm/customers/999999/duplicate-audit").status_code == 404
    # The customer page links to it.
    assert f'href="/crm/customers/{warnings.existing}/duplicate-audit"' in text(
        client.get(f"/crm/customers/{warnings.existing}"))


# --- 3. scans, review, merge, «متفاوت هستند» ---------------------------------------------------

@pytest.fixture
def twins(db, org, register):
    """Two customers that are one (same mobile, name written differently), both negotiating
    (A's and B's), with a log entry each; and a customer with no twin."""
    class T:
        pass
    t = T()
    t.x = register(org.a, name="علی کریمی", phones=[{"number": "09121110001", "kind": "mobile"}])
    t.y = register(org.b, name="كريمي علي", phones=[{"number": "+98 912 111 0001"}], confirmed=True)
    log.add_entry(t.x.id, {"kind": "call", "summary": "تماس اول"}, org.a)
    log.add_entry(t.y.id, {"kind": "meeting", "summary": "جلسه"}, org.b)
    t.lone = register(org.a, name="زهرا نوری", phones=[{"number": "09129990000", "kind": "mobile"}])
    return t


def _scan(client) -> int:
    r = client.post("/crm/duplicates/scans/start")
    assert r.status_code == 302
    scan_id = int(re.search(r"/crm/duplicates/scans/(\d+)$", r.headers["Location"]).group(1))
    return scan_id


def test_scans_and_merging_are_for_the_administrator_only(db, org, twins, as_user):
    scan = dup_scan.start(org.admin)
    db.session.rollback()
    pair = db.session.scalars(select(DuplicatePair)).first()
    for user in (org.inspector, org.manager, org.a):
        client = as_user(user)
        assert client.get("/crm/duplicates/scans").status_code == 403
        assert client.post("/crm/duplicates/scans/start").status_code == 403
        assert client.get(f"/crm/duplicates/scans/{scan.id}").status_code == 403
        assert client.post(f"/crm/duplicates/pairs/{pair.id}/merge", data={"kept": twins.x.customer_id}).status_code == 403
        assert client.post(f"/crm/duplicates/pairs/{pair.id}/different").status_code == 403
    assert count(db, DuplicateScan) == 1 and count(db, Merge) == 0
    assert reload(db, DuplicatePair, pair.id).status == "open"
    assert 'data-menu="crm.dups"' in text(as_user(org.admin).get("/crm/duplicates/scans"))


def test_scan_from_the_page_and_its_review(db, org, twins, as_user):
    client = as_user(org.admin)
    page = text(client.get("/crm/duplicates/scans"))
    assert 'id="no-scans"' in page and 'id="start-scan"' in page
    scan_id = _scan(client)
    scan = reload(db, DuplicateScan, scan_id)
    assert scan.status == "done" and scan.checked == 3 and scan.pairs == 1 and scan.started_by_id == org.admin.id
    page = text(client.get("/crm/duplicates/scans"))
    assert f'<tr data-scan="{scan_id}" data-status="done">' in page and "پایان‌یافته" in page
    assert re.search(rf'<tr data-scan="{scan_id}".*?data-open="(\d+)"', page, re.S).group(1) == "1"
    r = client.get(f"/crm/duplicates/scans/{scan_id}")
    page = text(r)
    assert r.status_code == 200 and page.count('class="card mb-4 dup-cluster"') == 1
    for t in (twins.x, twins.y):
        assert f'data-customer="{t.customer_id}"' in page
    assert f'data-customer="{twins.lone.customer_id}"' not in page
    assert "علی کریمی" in page and "كريمي علي" in page and "همان تلفن همراه" in page
    assert org.a.full_name in page and org.b.full_name in page  # owners of the current negotiations
    assert 'data-count="negotiations">۱<' in page and 'data-count="entries">۱<' in page
    assert "هر دو مذاکرهٔ در جریان دارند" in page  # the hint before the refusal
    assert 'data-action="merge"' in page and 'data-action="different"' in page
    assert client.get("/crm/duplicates/scans/999999").status_code == 404


def test_starting_a_scan_while_one_runs_is_refused(db, org, twins, as_user):
    db.session.add(DuplicateScan(started_by_id=org.admin.id, status="running"))
    db.session.commit()
    client = as_user(org.admin)
    assert 'id="scan-running"' in text(client.get("/crm/duplicates/scans"))
    r = client.post("/crm/duplicates/scans/start", follow_redirects=True)
    assert "یک بررسی هم‌اکنون در جریان است" in text(r)
    assert count(db, DuplicateScan) == 1


def test_merging_two_open_negotiations_is_refused_in_persian_and_changes_nothing(db, org, twins, as_user):
    client = as_user(org.admin)
    scan_id = _scan(client)
    pair = db.session.scalars(select(DuplicatePair).where(DuplicatePair.scan_id == scan_id)).one()
    r = client.post(f"/crm/duplicates/pairs/{pair.id}/merge", data={"kept": twins.x.customer_id}, follow_redirects=True)
    assert r.status_code == 200
    assert "ادغام انجام نشد" in text(r) and "هر دو مشتری مذاکرهٔ در جریان دارند" in text(r)
    assert count(db, Merge) == 0 and reload(db, DuplicatePair, pair.id).status == "open"
    assert reload(db, Negotiation, twins.y.id).customer_id == twins.y.customer_id
    assert db.session.get(Party, db.session.get(Customer, twins.y.customer_id).party_id).merged_into_id is None


def test_merge_from_the_review_and_the_merged_page_leads_to_the_kept_one(db, org, twins, as_user):
    neg.change_status(twins.y.id, "cut", org.b)
    client = as_user(org.admin)
    scan_id = _scan(client)
    pair = db.session.scalars(select(DuplicatePair).where(DuplicatePair.scan_id == scan_id)).one()
    kept, merged = twins.x.customer_id, twins.y.customer_id
    # Which one stays: only one of the pair's two (a forged id is not found).
    assert client.post(f"/crm/duplicates/pairs/{pair.id}/merge", data={"kept": twins.lone.customer_id}).status_code == 404
    assert client.post(f"/crm/duplicates/pairs/{pair.id}/merge", data={"kept": "x"}).status_code == 404
    assert client.post(f"/crm/duplicates/pairs/{pair.id}/merge", data={}).status_code == 404
    assert client.post("/crm/duplicates/pairs/999999/merge", data={"kept": kept}).status_code == 404
    assert count(db, Merge) == 0
    r = client.post(f"/crm/duplicates/pairs/{pair.id}/merge",
                    data={"kept": kept, "next": f"/crm/duplicates/scans/{scan_id}?show=all"})
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/duplicates/scans/{scan_id}?show=all")
    page = text(client.get(r.headers["Location"]))
    assert "ادغام انجام شد" in page and f'<tr data-pair="{pair.id}" data-status="merged">' in page
    assert 'class="badge text-bg-secondary">ادغام‌شده' in page
    record = db.session.scalars(select(Merge)).one()
    assert (record.kept_id, record.merged_id, record.actor_id) == (kept, merged, org.admin.id)
    assert count(db, LogEntry, LogEntry.customer_id == kept) == 2
    # The open view has nothing left to decide.
    assert 'id="no-clusters"' in text(client.get(f"/crm/duplicates/scans/{scan_id}"))
    # The merged customer's page now opens the kept one, for everyone who may see it.
    r = client.get(f"/crm/customers/{merged}")
    assert r.status_code == 302 and r.headers["Location"].endswith(f"/crm/customers/{kept}")
    r = as_user(org.a).get(f"/crm/customers/{merged}", follow_redirects=True)
    assert r.status_code == 200 and r.request.path == f"/crm/customers/{kept}"
    # A rep who may not see the kept customer gets the same 404 as for any hidden customer.
    assert as_user(org.c).get(f"/crm/customers/{merged}", follow_redirects=True).status_code == 404
    # A second decision on the same pair is refused in Persian.
    r = as_user(org.admin).post(f"/crm/duplicates/pairs/{pair.id}/different", follow_redirects=True)
    assert "پیش‌تر تصمیم گرفته شده" in text(r) and reload(db, DuplicatePair, pair.id).status == "merged"
    # A merge of merges still lands on the last kept customer.
    third = dup_review.kept_customer_id(merged)
    assert third == kept and dup_review.kept_customer_id(kept) is None


def test_mark_different_and_a_later_scan_does_not_ask_again(db, org, twins, as_user):
    client = as_user(org.admin)
    scan_id = _scan(client)
    pair = db.session.scalars(select(DuplicatePair).where(DuplicatePair.scan_id == scan_id)).one()
    assert client.post("/crm/duplicates/pairs/999999/different").status_code == 404
    r = client.post(f"/crm/duplicates/pairs/{pair.id}/different", follow_redirects=True)
    assert "متفاوت» علامت خوردند" in text(r) and 'id="no-clusters"' in text(r)
    assert reload(db, DuplicatePair, pair.id).status == "different"
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.table_name == "crm_duplicate_pairs")).one()
    assert entry.user_id == org.admin.id and entry.changes == {"status": ["open", "different"]}
    # Nothing else changed: both customers, both negotiations.
    assert count(db, Merge) == 0
    assert reload(db, Negotiation, twins.y.id).customer_id == twins.y.customer_id
    # A new scan finds the pair again, but the review shows it as already decided.
    second = _scan(client)
    page = text(client.get(f"/crm/duplicates/scans/{second}"))
    assert 'id="no-clusters"' in page
    page = text(client.get(f"/crm/duplicates/scans/{second}?show=all"))
    assert 'data-status="different"' in page and "در بررسی پیشین" in page and 'data-action="merge"' not in page
    listing = text(client.get("/crm/duplicates/scans"))
    assert re.search(rf'<tr data-scan="{second}".*?data-open="(\d+)"', listing, re.S).group(1) == "0"
    assert re.search(rf'<tr data-scan="{scan_id}".*?data-open="(\d+)"', listing, re.S).group(1) == "0"
