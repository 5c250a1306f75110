"""Duplicate detection: the normalisation rules with real Persian examples, a property that a
customer always matches itself after harmless rewritings, the index kept up to date, bad input."""
import random

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st

from core.models.parties import Party, PartyAddress, PartyPhone
from plugins.crm.services import customers as customer_service
from plugins.crm.services.duplicates import candidate_from, find_duplicates, score
from plugins.crm.services.match_keys import comparable_name, name_tokens, party_keys, query_keys


@pytest.mark.parametrize("a, b", [
    ("علی کریمی", "علي كريمي"),                                  # Arabic yeh and kaf
    ("آقای مهندس علی کریمی", "علی کریمی"),                        # titles
    ("دکتر سیده فاطمه موسوی", "فاطمه موسوی"),
    ("شرکت صنایع غذایی مهرگان (سهامی خاص)", "صنایع غذایی مهرگان"),  # legal forms and punctuation
    ("مهرگان، با مسئولیت محدود", "مهرگان"),
    ("فروشگاه‌های زنجیره‌ای افق", "فروشگاه های زنجیره ای افق"),     # ZWNJ and spaced suffixes
    ("فروشگاههای زنجیرهای افق", "فروشگاه‌های زنجیره‌ای افق"),
    ("کریمی علی", "علی کریمی"),                                   # word order
    ("مُحَمَّد رضايي", "محمد رضایی"),                               # diacritics
    ("ﻋﻠﻰ ﻛﺮﯾﻤﯽ", "علی کریمی"),                                  # presentation forms (copied from a PDF)
    ("گروه صنعتی پارس ۲", "صنعتی پارس 2"),                          # digits
    ("حسن آقا محمدی", "حسن آقامحمدی"),                             # a title that begins a surname
    ("آقای سید علی حسینی", "علی حسینی"),                            # ...but a title at the start
])
def test_the_same_name_however_it_was_typed(a, b):
    assert comparable_name(a) == comparable_name(b)


def test_titles_alone_are_no_name():
    assert name_tokens("آقای مهندس") == []
    assert name_tokens("شرکت سهامی خاص") == []


@pytest.fixture
def customer_party():
    """An unsaved party to score against (no database needed for scoring)."""
    def make(name, city="تهران", phones=(), national_id=None, address="", organisation=""):
        party = Party(kind="person", name=name, organisation=organisation, city=city, national_id=national_id)
        party.phones = [PartyPhone(number=p, e164=p, kind="mobile") for p in phones]
        party.addresses = [PartyAddress(address=address, city=city)] if address else []
        return party
    return make


@pytest.mark.sqlite_only
def test_reasons_explain_each_match(app, customer_party):
    existing = customer_party("مریم صالحی", phones=["+989121234567"], national_id="0499370899",
                              address="تهران، خیابان ولیعصر، کوچه نهم، پلاک ۱۲")
    m = score(candidate_from({"name": "خانم مریم صالحي", "city": "تهران",
                              "phones": [{"number": "۰۹۱۲-۱۲۳-۴۵۶۷"}], "national_id": "۰۴۹۹۳۷۰۸۹۹"}), existing, 1)
    assert m.score == 100 and m.reasons[:2] == ["کد ملی یکسان", "همان تلفن همراه"]
    assert set(m.fields) == {"national_id", "phone", "name"}
    typo = score(candidate_from({"name": "مریم سالحی", "city": "تهران",
                                 "address": "خیابان ولی عصر کوچه نهم پلاک 12"}), existing, 1)
    assert typo and "name" in typo.fields and "address" in typo.fields
    assert any("نشانی" in r for r in typo.reasons)
    # Two different valid national IDs: two different people, whatever the name says.
    assert score(candidate_from({"name": "مریم صالحی", "national_id": "0010350829"}), existing, 1) is None
    # A different person with the same surname does not match.
    assert score(candidate_from({"name": "حسین صالحی", "city": "تهران"}), existing, 1) is None


@pytest.mark.sqlite_only
@pytest.mark.parametrize("stored, typed", [
    ("علی عبدالهی", "علی عبد اللهی"),          # split, and «الله» spelt with two lams
    ("علی عبد اللهی", "علی عبدالهی"),
    ("محمدرضا کریمی", "محمد رضا کریمی"),       # a compound first name written apart
    ("مریم حسین زاده", "مریم حسین‌زاده"),
    ("صنایع غذایی مهرگستر", "صنایع غذایی مهر گستر"),
])
def test_words_split_or_joined_still_match(app, customer_party, stored, typed):
    match = score(candidate_from({"name": typed, "city": "تهران"}), customer_party(stored), 1)
    assert match is not None and "name" in match.fields, (stored, typed)
    assert party_keys(stored, "", "تهران", [], None) & set(query_keys(typed, "", "تهران", [], None))


# --- harmless rewritings: a customer always finds itself -----------------------------------------

FIRST = ["محمد", "علی", "رضا", "مهدی", "فاطمه", "زهرا", "مریم", "نرگس", "کامران", "سعید"]
LAST = ["کریمی", "احمدی", "موسوی", "صادقی", "طاهری", "یزدانی", "قاسمی", "رضایی", "حسینی", "نوری"]
ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})


def rewrite(name: str, phone_local: str, choice) -> tuple[str, str]:
    if choice(0):
        name = name.translate(ARABIC)
    if choice(1):
        name = " ".join(reversed(name.split()))
    if choice(2):
        name = "آقای " + name
    if choice(3):
        name = name.replace(" ", "  ")
    phone = {0: phone_local, 1: "+98" + phone_local[1:], 2: "0098" + phone_local[1:],
             3: phone_local.translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")),
             4: f"{phone_local[:4]}-{phone_local[4:7]}-{phone_local[7:]}"}[choice(4) % 5]
    return name, phone


@pytest.mark.sqlite_only
@hsettings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.sampled_from(FIRST), last=st.sampled_from(LAST), flags=st.lists(st.integers(0, 9), min_size=5, max_size=5),
       digits=st.integers(1000000, 9999999), with_phone=st.booleans())
def test_a_customer_matches_itself_after_harmless_rewritings(app, first, last, flags, digits, with_phone):
    phone = f"0912{digits}"
    name, typed_phone = rewrite(f"{first} {last}", phone, lambda i: flags[i] % 2 if i < 4 else flags[i])
    party = Party(kind="person", name=f"{first} {last}", organisation="", city="تهران", national_id=None)
    party.phones = [PartyPhone(number=phone, e164="+98" + phone[1:], kind="mobile")] if with_phone else []
    party.addresses = []
    data = {"name": name, "city": "تهران", "phones": [{"number": typed_phone}] if with_phone else []}
    match = score(candidate_from(data), party, 1)
    assert match is not None and match.score >= 70, (name, typed_phone)
    # ...and the blocking keys meet, so the index would hand the customer to the scorer.
    original = party_keys(party.name, "", "تهران", [p.e164 for p in party.phones], None)
    cand = candidate_from(data)
    assert original & party_keys(cand.name, "", cand.city, list(cand.phones), None)


@pytest.mark.sqlite_only
@hsettings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(first=st.sampled_from(FIRST), last=st.sampled_from(LAST), position=st.integers(0, 50), seed=st.integers(0, 10**6))
def test_one_typo_in_a_name_still_matches(app, first, last, position, seed):
    name = f"{first} {last}"
    letters = [i for i, ch in enumerate(name) if ch != " "]
    i = letters[position % len(letters)]
    rng = random.Random(seed)
    typo = name[:i] + rng.choice("بپتسشکگلمنهی") + name[i + 1:]
    party = Party(kind="person", name=name, organisation="", city="تهران", national_id=None)
    party.phones, party.addresses = [], []
    match = score(candidate_from({"name": typo, "city": "تهران"}), party, 1)
    assert match is not None, typo


# --- the index, through registration ------------------------------------------------------------

def test_registration_warns_across_offices_and_index_follows_edits(db, org, register):
    first = register(org.c, name="شرکت فولاد پارسیان", city="اصفهان", phones=[{"number": "031-32221100"}])
    # A rep in Tehran types it differently: found although it belongs to another office.
    found = find_duplicates({"name": "فولاد پارسيان (سهامی خاص)", "city": "اصفهان"})
    assert [m.customer_id for m in found] == [first.customer_id]
    with pytest.raises(customer_service.DuplicateWarning) as warning:
        customer_service.register({"kind": "organisation", "name": "فولاد پارسیان", "city": "اصفهان",
                                   "phones": [{"number": "۰۳۱۳۲۲۲۱۱۰۰"}]}, org.a)
    assert warning.value.matches[0].customer_id == first.customer_id
    assert "همان تلفن ثابت" in warning.value.matches[0].reasons
    db.session.rollback()
    # Renaming the customer updates the index: the old name no longer finds it, the new one does.
    from plugins.crm.models import Customer
    customer = db.session.get(Customer, first.customer_id)
    customer_service.update(customer, {"kind": "organisation", "name": "صنایع چوب البرز", "city": "اصفهان",
                                       "phones": [{"number": "031-32221100"}]}, org.c)
    assert find_duplicates({"name": "فولاد پارسیان", "city": "اصفهان"}) == []
    assert [m.customer_id for m in find_duplicates({"name": "چوب البرز", "city": "اصفهان"})] == [first.customer_id]


@pytest.mark.parametrize("data", [
    {},
    {"name": ""},
    {"name": "آقای مهندس"},                          # only a title
    {"name": "x", "phones": [{"number": "not a phone"}, {"number": "123"}]},
    {"name": "علی", "national_id": "1234567890"},     # bad check digit: ignored, not an error
    {"name": "ع" * 10000, "address": "خ" * 10000, "organisation": "ش" * 10000},
    {"name": "Ali علی Karimi كريمي 123 ١٢٣", "city": "Tehran"},
    {"name": None, "phones": None, "addresses": None},
])
def test_bad_candidates_give_a_safe_no_match(db, org, register, data):
    register(org.a, name="علی کریمی")
    matches = find_duplicates(data)
    assert isinstance(matches, list)
    if not data.get("name") or data.get("name") == "آقای مهندس":
        assert matches == []


# --- the warning as the rep sees it, and its audit ------------------------------------------------

def _api(client, user):
    from core import auth
    _t, secret = auth.create_token(user, "t")
    return lambda path, **kw: client.post(path, headers={"Authorization": f"Bearer {secret}"}, **kw)


def test_duplicate_check_masks_contacts_and_hides_won_customers(client, db, org, register):
    from plugins.crm.services import negotiations as neg
    free = register(org.c, name="کامران یزدانی", city="اصفهان", phones=[{"number": "09131112233", "kind": "mobile"}])
    neg.change_status(free.id, "suspended", org.c)
    won = register(org.c, name="سمیه طاهری", city="اصفهان", phones=[{"number": "09134445566", "kind": "mobile"}],
                   organisation="داروسازی شفا آرا")
    neg.change_status(won.id, "won", org.c, confirmed=True)
    post = _api(client, org.a)
    r = post("/api/v1/customers/duplicate-check", json={"name": "يزداني كامران", "phones": [{"number": "+989131112233"}]})
    assert r.status_code == 200, r.json
    [m] = r.json["matches"]
    assert m["phones"] == ["0913***2233"] and m["in_pool"] is True and m["status"] == "suspended"
    assert m["owner"] == org.c.full_name and m["office"] == org.isfahan.name
    assert "همان تلفن همراه" in m["reasons"]
    r = post("/api/v1/customers/duplicate-check", json={"name": "سمیه طاهری", "city": "اصفهان"})
    [m] = r.json["matches"]
    assert m["won_by_other"] is True and m["phones"] == [] and m["organisation"] == ""
    # The owner sees their own won customer's (masked) contacts.
    [own] = _api(client, org.c)("/api/v1/customers/duplicate-check", json={"name": "سمیه طاهری", "city": "اصفهان"}).json["matches"]
    assert own["phones"] == ["0913***5566"] and own["won_by_other"] is False
    # Bad input is a safe "no match" or a clear 422, never a 500.
    assert post("/api/v1/customers/duplicate-check", json={}).json == {"matches": []}
    assert post("/api/v1/customers/duplicate-check", json={"name": "ش" * 10000}).status_code == 200
    assert post("/api/v1/customers/duplicate-check", json={"phones": "x"}).status_code == 422


def test_warnings_shown_and_dismissed_are_stored(client, db, org, register):
    from sqlalchemy import select
    from plugins.crm.models import DuplicateWarning, DuplicateWarningMatch
    existing = register(org.a, name="نرگس نوری", phones=[{"number": "09125550000", "kind": "mobile"}])
    post = _api(client, org.b)
    body = {"kind": "person", "name": "نرگس نوري", "phones": [{"number": "0912 555 0000"}]}
    r = post("/api/v1/crm/customers", json=body)
    assert r.status_code == 409
    warning_id = r.json["error"]["detail"]["warning_id"]
    warning = db.session.get(DuplicateWarning, warning_id)
    assert warning.user_id == org.b.id and warning.dismissed_at is None and warning.candidate_name == "نرگس نوري"
    assert warning.matches[0]["phones"] == ["0912***0000"]
    assert [m.customer_id for m in db.session.scalars(select(DuplicateWarningMatch))] == [existing.customer_id]
    r = post("/api/v1/crm/customers", json={**body, "confirmed_not_duplicate": True, "warning_id": warning_id})
    assert r.status_code == 201
    db.session.expire_all()
    warning = db.session.get(DuplicateWarning, warning_id)
    assert warning.dismissed_at is not None and warning.customer_id == r.json["customer_id"]
    # Another rep cannot dismiss someone else's warning.
    other = post("/api/v1/crm/customers", json={**body, "phones": [{"number": "09125550000"}]})
    assert other.status_code == 409
    r = _api(client, org.manager)("/api/v1/crm/customers", json={**body, "confirmed_not_duplicate": True,
                                                                 "warning_id": other.json["error"]["detail"]["warning_id"]})
    assert r.status_code == 201
    db.session.expire_all()
    stolen = db.session.get(DuplicateWarning, other.json["error"]["detail"]["warning_id"])
    assert stolen.dismissed_at is None
    # ...the manager's own confirmation without a warning id is stored as shown-and-dismissed at once.
    mine = db.session.scalars(select(DuplicateWarning).where(DuplicateWarning.user_id == org.manager.id)).all()
    assert len(mine) == 1 and mine[0].dismissed_at is not None and mine[0].customer_id == r.json["customer_id"]
