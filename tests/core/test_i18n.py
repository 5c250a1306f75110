"""The interface in English: templates and messages go through gettext, the `en` catalog is
complete, the layout turns LTR, and a Persian user keeps the Persian, RTL interface.

The app here loads the core only (the built-in plugins are disabled) so that every page can
be checked for Persian letters: what is left is data (names typed by users, seeded groups).
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from flask_babel import force_locale

from core.plugins import BUILTIN_PLUGINS

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = ROOT / "core" / "templates"
CATALOG = ROOT / "core" / "translations" / "en" / "LC_MESSAGES" / "messages.po"

PERSIAN_LETTER = re.compile(r"[\u0620-\u064A\u066E-\u06D3\u06FA-\u06FF\uFB50-\uFDFF\uFE70-\uFEFF]")
ENDONYM = "فارسی"  # the language switch names Persian in Persian, whatever the interface language


@pytest.fixture(scope="module", autouse=True)
def compiled_catalog():
    """`make setup` compiles the catalogs; compile here too when the .mo is missing or stale,
    so the English pages never silently fall back to Persian."""
    mo = CATALOG.with_suffix(".mo")
    if not mo.exists() or mo.stat().st_mtime < CATALOG.stat().st_mtime:
        with CATALOG.open("rb") as f:
            catalog = read_po(f)
        tmp = mo.with_suffix(f".mo.{os.getpid()}")
        with tmp.open("wb") as f:
            write_mo(f, catalog)
        os.replace(tmp, mo)


@pytest.fixture
def app(make_app):
    """The core alone: plugins have catalogs of their own."""
    app = make_app({"DISABLED_PLUGINS": BUILTIN_PLUGINS})
    with app.app_context():
        yield app


@pytest.fixture
def english_admin(db, make_user):
    user = make_user("ada", role="administrator", superuser=True, first_name="Ada", last_name="Lovelace")
    user.locale = "en"
    db.session.commit()
    return user


def html(response) -> str:
    return response.get_data(as_text=True)


def persian_left(text: str, allowed=()) -> list[str]:
    """Persian words in `text` once the allowed strings (data, the endonym) are removed."""
    for value in sorted({ENDONYM, *allowed}, key=len, reverse=True):
        text = text.replace(value, "")
    return sorted({m.group(0) for m in re.finditer(r"\S*%s\S*" % PERSIAN_LETTER.pattern, text)})


def assert_english_layout(page: str) -> None:
    assert 'lang="en"' in page and 'dir="ltr"' in page
    assert "vendor/bootstrap/bootstrap.min.css" in page and "bootstrap.rtl.min.css" not in page


def assert_persian_layout(page: str) -> None:
    assert 'lang="fa"' in page and 'dir="rtl"' in page
    assert "vendor/bootstrap/bootstrap.rtl.min.css" in page and "bootstrap.min.css" not in page


# --- pages ----------------------------------------------------------------------------------------

def test_login_page_in_english_with_the_lang_cookie(client):
    client.set_cookie("lang", "en")
    page = html(client.get("/login"))
    assert_english_layout(page)
    assert "<title>Sign in · Peyvand</title>" in page
    assert "Username" in page and "Password" in page and "Remember me" in page
    assert persian_left(page) == [], persian_left(page)
    # The switch back to Persian is there, named in Persian.
    assert 'id="login-lang-fa"' in page and ENDONYM in page


def test_login_page_is_persian_by_default(client):
    page = html(client.get("/login"))
    assert_persian_layout(page)
    assert "نام کاربری" in page and "مرا به خاطر بسپار" in page
    assert 'id="login-lang-en"' in page and ">English<" in page


def test_every_core_page_is_english_for_an_english_user(app, db, client, login_as, english_admin):
    from core.models.org import Group
    from core.services import organisation, products
    office = organisation.save_office({"name": "Head office", "city": "Tehran", "area_code": "21"})
    organisation.save_department({"name": "Sales", "office_id": office.id})
    organisation.save_position({"name": "Seller"})
    product = products.save_product({"code": "P-1", "name": "Widget", "unit": "piece", "list_price": 1_250_000})
    login_as(english_admin)

    # Data stays as it was typed or seeded: the role groups' names, the sample company name, the
    # default unit a new product is offered.
    data = set()
    for group in db.session.query(Group):
        data |= {group.name, group.description or ""}
    data |= {"شرکت نمونهٔ پیوند", "عدد"}

    urls = ["/", "/profile", "/rules", "/admin/users", "/admin/users/new", f"/admin/users/{english_admin.id}",
            "/admin/groups", "/admin/groups/new", "/admin/offices", f"/admin/offices/{office.id}",
            "/admin/offices/new", "/admin/departments/new", "/admin/positions", "/admin/products",
            f"/admin/products/{product.id}", "/admin/products/new", "/admin/settings", "/admin/rules",
            "/admin/audit", "/admin/backup", "/admin/plugins"]
    for url in urls:
        response = client.get(url)
        assert response.status_code == 200, url
        page = html(response)
        assert_english_layout(page)
        assert persian_left(page, data) == [], (url, persian_left(page, data))

    users = html(client.get("/admin/users"))
    assert "<title>Users · Peyvand</title>" in users and "New user" in users and "1 item" in users
    assert 'data-menu="core.users"' in users and ">Administration<" in users  # lazy menu labels
    assert 'id="lang-fa"' in users and 'id="lang-en"' in users  # the switch in the user menu
    # The date picker's labels (JSON, so \u-escaped if Persian: checked by name).
    assert '"Farvardin"' in users and '"Sa"' in users and '"persianDigits": false' in users
    assert "1,250,000 Rials" in html(client.get("/admin/products"))  # Latin digits in English
    missing = client.get("/admin/users/999999")
    assert missing.status_code == 404 and "The page or record you asked for was not found." in html(missing)


def test_a_persian_user_keeps_persian_whatever_the_cookie(client, login_as, make_user):
    login_as(make_user("sara", role="administrator"))
    client.set_cookie("lang", "en")  # left by someone else on this browser: the user's choice wins
    page = html(client.get("/admin/users"))
    assert_persian_layout(page)
    assert "<title>کاربران · پیوند</title>" in page and "کاربر تازه" in page
    assert "Users" not in page and "Sign out" not in page
    assert '"persianDigits": true' in page and "Farvardin" not in page


# --- messages -------------------------------------------------------------------------------------

def test_validation_errors_in_the_users_language(db, client, login_as, make_user, english_admin):
    login_as(english_admin)
    page = html(client.post("/admin/products/new", data={"code": "", "name": "", "list_price": "-5", "tax_class": "standard"}))
    assert "“Product code” is required." in page and "“Product name” is required." in page
    assert "“Sale price (Rials)” must not be less than 0." in page
    assert "«" not in page

    login_as(make_user("sara", role="administrator"))
    page = html(client.post("/admin/products/new", data={"code": "", "name": "", "list_price": "-5", "tax_class": "standard"}))
    assert "«کد کالا» را وارد کنید." in page and "«نام کالا» را وارد کنید." in page
    assert "«قیمت فروش (ریال)» نباید کمتر از ۰ باشد." in page


def test_flash_form_and_login_messages_in_english(client, english_admin):
    client.set_cookie("lang", "en")
    page = html(client.post("/login", data={"username": "ada", "password": "wrong-password"}))
    assert "Incorrect username or password." in page
    page = html(client.post("/login", data={"username": "", "password": ""}))
    assert "Enter your username." in page and "Enter your password." in page
    assert html(client.get("/admin/users", follow_redirects=True)).count("Sign in to see this page.") == 1
    client.post("/login", data={"username": "ada", "password": "password123"})
    page = html(client.post("/admin/positions", data={"name": "Clerk"}, follow_redirects=True))
    assert "Position added." in page


def test_api_errors_follow_the_token_users_language(app, db, client, english_admin):
    from core import auth
    _token, secret = auth.create_token(english_admin, "test")
    headers = {"Authorization": f"Bearer {secret}"}
    response = client.post("/api/v1/products", json={"code": "X-1"}, headers=headers)
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert fields["name"] == ["This field is required."], fields
    response = client.get("/api/v1/products/999999", headers=headers)
    assert response.get_json()["error"]["message"] == "The page or record you asked for was not found."
    assert client.get("/api/v1/me").get_json()["error"]["message"] == "کلید API نامعتبر است یا فرستاده نشده است."


def test_dates_numbers_and_lazy_labels_in_english(app):
    import datetime as dt
    from core import jalali, ui
    from core.validation import Checker, ValidationError

    with force_locale("en"):
        assert jalali.format_long(dt.date(2024, 8, 2)) == "12 Mordad 1403"
        assert jalali.relative(jalali.utcnow() - dt.timedelta(days=3, minutes=1)) == "3 days ago"
        assert jalali.relative(jalali.utcnow() + dt.timedelta(hours=1, minutes=1)) == "in 1 hour"
        assert ui.money(12_500_000) == "12,500,000 Rials" and ui.jdate(dt.date(2024, 8, 2)) == "1403/05/12"
        menu = {m.key: m for m in app.extensions["peyvand"].host.menu_items(None)}
        assert str(menu["core.users"].label) == "Users"
        with pytest.raises(jalali.JalaliDateError, match="does not exist"):
            jalali.parse_date("1403/12/31")
        with pytest.raises(ValidationError) as caught:
            c = Checker({"n": "x"})
            c.integer("n", "Count")
            c.done()
        assert caught.value.errors == {"n": "“Count” must be a whole number."}
    # Outside a request (CLI, jobs): the default locale.
    assert jalali.format_long(dt.date(2024, 8, 2)) == "۱۲ مرداد ۱۴۰۳"
    assert str(app.extensions["peyvand"].permissions["core.users"].label) == "مدیریت کاربران"


# --- the language switch --------------------------------------------------------------------------

def test_language_chosen_on_the_login_page_sticks_after_login(db, client, make_user):
    user = make_user("reza", role="sales")
    assert user.locale == "fa"
    response = client.post("/lang/en", data={"next": "/login"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "lang=en" in response.headers["Set-Cookie"]
    client.post("/login", data={"username": "reza", "password": "password123"})
    db.session.refresh(user)
    assert user.locale == "en"
    assert_english_layout(html(client.get("/")))

    client.post("/lang/fa", data={"next": "/"})  # from the user menu
    db.session.refresh(user)
    assert user.locale == "fa"
    assert_persian_layout(html(client.get("/")))


def test_language_switch_refuses_unknown_languages_and_foreign_redirects(client):
    assert client.post("/lang/de").status_code == 404
    response = client.post("/lang/en", data={"next": "//evil.example/"})
    assert response.headers["Location"] == "/"


# --- sources and catalog --------------------------------------------------------------------------

def untranslated_template_text(source: str) -> list[str]:
    """Lines with Persian letters outside `_()`/`gettext()`/`ngettext()` and `{% trans %}`
    blocks (comments aside). Stricter than looking only outside `{{ }}`: a Persian literal
    inside an expression (`x if y else 'تازه'`) must be translated too."""
    text = re.sub(r"\{#.*?#\}", "", source, flags=re.S)
    text = re.sub(r"\{%-?\s*trans\b.*?%\}.*?\{%-?\s*endtrans\s*-?%\}", "", text, flags=re.S)
    text = re.sub(r"""\b(?:_|gettext|ngettext)\(\s*(?:'[^']*'|"[^"]*")(?:\s*,\s*(?:'[^']*'|"[^"]*"))?""",
                  "(", text)
    return [line.strip() for line in text.splitlines() if PERSIAN_LETTER.search(line)]


def test_untranslated_template_text_is_detected():
    assert untranslated_template_text("<p>{{ _('سلام') }} {{ ngettext('%(num)s مورد', '%(num)s مورد', n) }}</p>") == []
    assert untranslated_template_text("{# یادداشت #}{% trans %}سلام {{ name }}{% endtrans %}") == []
    assert untranslated_template_text("<p>سلام</p>") == ["<p>سلام</p>"]
    assert untranslated_template_text("{{ x if y else 'تازه' }}") == ["{{ x if y else 'تازه' }}"]
    assert untranslated_template_text('<input placeholder="جستجو">') == ['<input placeholder="جستجو">']


def test_no_template_of_the_core_has_untranslated_persian():
    found = {}
    for path in sorted(TEMPLATES.rglob("*.html")):
        lines = untranslated_template_text(path.read_text(encoding="utf-8"))
        if lines:
            found[str(path.relative_to(ROOT))] = lines
    assert found == {}


def _extracted_msgids() -> set:
    with (ROOT / "babel.cfg").open() as f:
        method_map, options_map = parse_mapping_cfg(f)
    keywords = {**DEFAULT_KEYWORDS, "_l": None, "lazy_gettext": None}
    skip = {"plugins", "node_modules", "tests", "bench", "docs", "tools", "migrations", "instance"}

    def keep(dirname):
        return not any(part.startswith((".", "_")) or part in skip for part in Path(dirname).parts)

    ids = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords, directory_filter=keep):
        ids.add(message[0] if isinstance(message, (tuple, list)) else message)
    return ids


def test_english_catalog_is_complete_and_current():
    with CATALOG.open("rb") as f:
        catalog = read_po(f)
    untranslated, fuzzy, known = [], [], set()
    for message in catalog:
        if not message.id:
            continue
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        known.add(msgid)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(s.strip() for s in strings):
            untranslated.append(msgid)
        if message.fuzzy:
            fuzzy.append(msgid)
    assert untranslated == [], f"untranslated in {CATALOG.name}: {untranslated}"
    assert fuzzy == [], f"fuzzy in {CATALOG.name}: {fuzzy}"
    # Every message in the core's code is in the catalog (else: `make messages`, then translate).
    missing = sorted(_extracted_msgids() - known)
    assert missing == [], missing
    # Placeholders survive translation.
    for message in catalog:
        if message.id and not isinstance(message.id, tuple):
            assert sorted(re.findall(r"%\(\w+\)s|\{\d\}", message.id)) == \
                sorted(re.findall(r"%\(\w+\)s|\{\d\}", message.string)), message.id
