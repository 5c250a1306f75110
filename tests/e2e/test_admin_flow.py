"""The administrator's flow in a real browser: organisation, a group with one permission, a user
in it; then that user sees only what the group allows. Also the user form's Persian errors, and
how the pages render for a Persian right-to-left reader (direction, font, no CDN, no JS errors)."""
from __future__ import annotations

import datetime as dt
import re

from playwright.sync_api import Page, expect
from sqlalchemy import func, select

OFFICE = "شعبهٔ تبریز"
CITY = "تبریز"
DEPARTMENT = "انبار مرکزی"
GROUP = "کارشناسان انبار آزمایشی"
ADMIN_ONLY_MENU = ("کاربران", "گروه‌های کاربری", "تنظیمات", "پشتیبان‌گیری")
LATIN_DIGITS = re.compile(r"[0-9]")


# --- helpers -------------------------------------------------------------------------------------

def login(page: Page, server, username: str, password: str = "password123") -> None:
    page.goto(server.url + "/login")
    page.locator("#username").fill(username)
    page.locator("#password").fill(password)
    page.locator("#login-submit").click()
    expect(page.locator("#main-nav")).to_be_visible()
    expect(page).to_have_url(server.url + "/")


def logout(page: Page, server) -> None:
    page.locator("#user-menu").click()
    page.locator("#logout").click()
    expect(page).to_have_url(re.compile(re.escape(server.url) + r"/login$"))
    expect(page.locator(".alert-info")).to_contain_text("از سامانه خارج شدید.")
    expect(page.locator("#main-nav")).to_have_count(0)


def menu_labels(page: Page) -> dict[str, list[str]]:
    """The menu as rendered: top-level entries, and each dropdown section with its items."""
    return page.evaluate("""() => {
        const nav = document.querySelector('#main-nav .navbar-nav');
        const out = {'': []};
        for (const li of nav.children) {
            const toggle = li.querySelector(':scope > .dropdown-toggle');
            if (toggle) {
                out[toggle.textContent.trim()] = [...li.querySelectorAll('.dropdown-menu [data-menu]')]
                    .map(a => a.textContent.trim());
            } else {
                out[''].push(...[...li.querySelectorAll('[data-menu]')].map(a => a.textContent.trim()));
            }
        }
        return out;
    }""")


def check_rendering(page: Page) -> None:
    """Persian, right to left, Vazirmatn really loaded and used for body text."""
    html = page.locator("html")
    expect(html).to_have_attribute("dir", "rtl")
    expect(html).to_have_attribute("lang", "fa")
    # After a click the next document may still be loading, its stylesheets half applied.
    page.wait_for_load_state("load")
    font = page.evaluate("""async () => {
        if (document.readyState !== 'complete')
            await new Promise(done => window.addEventListener('load', done, {once: true}));
        await document.fonts.ready;
        const target = document.querySelector('main p, main label, main td, main h1, main') || document.body;
        return {
            body: getComputedStyle(document.body).fontFamily,
            text: getComputedStyle(target).fontFamily,
            check: document.fonts.check('16px Vazirmatn'),
            sheets: [...document.styleSheets].map(s => s.href),
            faces: [...document.fonts].filter(f => f.family.replace(/"/g, '') === 'Vazirmatn').map(f => f.status),
        };
    }""")
    for family in (font["body"], font["text"]):
        assert family.strip().strip('"').startswith("Vazirmatn"), font
    assert font["check"], font
    # `check` is also true when no @font-face matches at all; make sure ours is there and loaded.
    assert "loaded" in font["faces"], font


def check_clean(page_log, server) -> None:
    assert page_log.foreign_requests(server.netloc) == [], "requests left the server"
    assert page_log.page_errors == [], "uncaught JavaScript errors"
    assert page_log.console_errors == [], "console errors"


def field_error(page: Page, field_id: str):
    """The Persian message shown under a form field (Bootstrap's `.invalid-feedback`)."""
    return page.locator(f"#{field_id} ~ .invalid-feedback")


def fill_date(page: Page, field_id: str, value: str, shot=None, selector: str | None = None) -> None:
    """Type a Jalali date as a user would: the date picker pops up on focus; once it is open,
    Escape closes it and keeps what was typed. (Filling the box and clicking on at once races
    the picker's opening: on a busy machine it opened over the submit button and took the
    click.) `selector` instead of the id for a field whose id is not unique on the page."""
    box = page.locator(selector or f"#{field_id}")
    picker = page.locator("jdp-container")
    box.click()
    expect(picker).to_be_visible()
    box.fill(value)
    if shot:
        page.wait_for_timeout(400)  # let the picker finish fading in
        shot(page, f"date-picker-{field_id}")
    for _attempt in range(40):  # the picker ignores Escape while its opening transition runs
        box.press("Escape")
        if picker.is_hidden():
            break
        page.wait_for_timeout(50)
    expect(picker).to_be_hidden()
    expect(box).to_have_value(value)


def expect_persian_digits(locator) -> None:
    """Numbers shown to the user are in Persian digits (no 0-9 left in the text)."""
    text = locator.inner_text()
    assert not LATIN_DIGITS.search(text), f"Latin digits shown: {text!r}"


# --- tests ---------------------------------------------------------------------------------------

def test_admin_builds_organisation_and_user_sees_only_what_group_allows(
        live_server, page, page_log, shot, make_user, db):
    make_user("boss", role="administrator", superuser=True, first_name="مریم", last_name="مدیری")
    from core.services.products import save_product
    save_product({"code": "WH-1024", "name": "قفسهٔ فلزی ۵ طبقه", "unit": "عدد",
                  "list_price": 125_000_000, "cost_price": 98_000_000})
    db.session.remove()  # nothing held open against the live server

    # The login page, as anyone sees it first.
    page.goto(live_server.url + "/")
    expect(page).to_have_url(re.compile(r"/login\?next="))
    check_rendering(page)
    shot(page, "01-login")

    login(page, live_server, "boss")
    check_rendering(page)
    expect(page.locator("h1")).to_contain_text("کارتابل مریم مدیری")
    expect_persian_digits(page.locator("main"))
    admin_menu = menu_labels(page)
    for label in ADMIN_ONLY_MENU:
        assert label in admin_menu["مدیریت سامانه"], admin_menu
    page.locator("#main-nav .dropdown-toggle", has_text="مدیریت سامانه").click()
    expect(page.locator('[data-menu="core.offices"]')).to_be_visible()
    shot(page, "02-admin-home-menu")
    page.locator('[data-menu="core.offices"]').click()

    # An office.
    expect(page.locator("h1")).to_have_text("دفترها و بخش‌ها")
    page.locator("#new-office").click()
    page.locator("#name").fill(OFFICE)
    page.locator("#city").fill(CITY)
    page.locator("#area_code").fill("۴۱")
    page.locator("#address").fill("خیابان امام، کوچهٔ ۱۲")
    shot(page, "03-office-form")
    page.locator("#office-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("دفتر ذخیره شد.")
    card = page.locator(".card", has_text=OFFICE)
    expect(card).to_contain_text(CITY)
    expect(card).to_contain_text("(۰۴۱)")

    # A department in it.
    card.get_by_role("link", name="بخش تازه").click()
    expect(page.locator("#office_id option:checked")).to_have_text(OFFICE)
    page.locator("#name").fill(DEPARTMENT)
    page.locator("#department-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_contain_text("بخش ذخیره شد.")
    expect(page.locator(".card", has_text=OFFICE)).to_contain_text(DEPARTMENT)
    expect_persian_digits(page.locator("main"))
    check_rendering(page)
    shot(page, "04-offices")

    # A group granted only the products catalogue, ticked in the checkboxes.
    page.goto(live_server.url + "/admin/groups")
    page.locator("#new-group").click()
    page.locator("#name").fill(GROUP)
    page.locator("#description").fill("فقط دیدن کاتالوگ کالا")
    page.locator('input[name=permissions][value="core.products"]').check()
    expect(page.locator("input[name=permissions]:checked")).to_have_count(1)
    shot(page, "05-group-form")
    page.locator("#save-group").click()
    expect(page.locator(".alert-success")).to_contain_text("گروه ذخیره شد.")
    row = page.locator("tr", has_text=GROUP)
    expect(row.locator("td").nth(2)).to_have_text("۱")
    expect_persian_digits(page.locator("main table"))
    shot(page, "06-groups")

    # The user, in that office, department and group.
    page.goto(live_server.url + "/admin/users/new")
    page.locator("#first_name").fill("رضا")
    page.locator("#last_name").fill("انباردار")
    page.locator("#username").fill("reza")
    page.locator("#national_id").fill("۰۴۹۹۳۷۰۸۹۹")
    fill_date(page, "birth_date", "۱۳۷۰/۰۶/۱۵", shot)
    page.locator("#mobile").fill("۰۹۱۲۳۴۵۶۷۸۹")
    page.locator("#office_id").select_option(label=OFFICE)
    page.locator("#department_id").select_option(label=f"{OFFICE} / {DEPARTMENT}")
    fill_date(page, "contract_start", "۱۴۰۳/۰۱/۰۱")
    fill_date(page, "contract_end", "۱۴۰۴/۱۲/۲۹")
    page.get_by_label(GROUP, exact=True).check()
    page.locator("#password").fill("Anbar-1403-pass")
    page.locator("#password_repeat").fill("Anbar-1403-pass")
    shot(page, "07-user-form")
    page.locator("#save-user").click()
    expect(page.locator(".alert-success")).to_contain_text("کاربر ذخیره شد.")
    expect(page.locator("h1")).to_have_text("رضا انباردار")
    # Shown back in Jalali with Persian digits.
    expect(page.locator("#birth_date")).to_have_value("۱۳۷۰/۰۶/۱۵")
    expect(page.locator("#national_id")).to_have_value("0499370899")
    expect(page.get_by_label(GROUP, exact=True)).to_be_checked()
    # The audit trail below the form: Jalali dates, Persian digits, yes/no.
    audit = page.locator(".audit-table")
    expect(audit.locator("tr", has_text="birth_date")).to_contain_text("۱۳۷۰/۰۶/۱۵")
    expect(audit.locator("tr", has_text="is_superuser")).to_contain_text("خیر")
    expect_persian_digits(audit)
    check_rendering(page)
    shot(page, "08-user-saved")

    from core.models.org import User
    db.session.remove()
    reza = db.session.scalar(select(User).where(User.username == "reza"))
    assert reza.birth_date == dt.date(1991, 9, 6)  # ۱۳۷۰/۰۶/۱۵
    assert reza.national_id == "0499370899"
    assert reza.office.name == OFFICE and reza.department.name == DEPARTMENT
    assert [g.name for g in reza.groups] == [GROUP]
    db.session.remove()

    page.goto(live_server.url + "/admin/users")
    expect(page.locator("tr", has_text="رضا انباردار")).to_contain_text(OFFICE)
    expect(page.locator("main")).to_contain_text("۲ مورد")
    shot(page, "09-users")
    logout(page, live_server)
    shot(page, "10-logged-out")

    # The new user sees the workbench, the rules and the products, nothing of the administration.
    login(page, live_server, "reza", "Anbar-1403-pass")
    expect(page.locator("h1")).to_contain_text("کارتابل رضا انباردار")
    expect(page.locator("main")).to_contain_text(OFFICE)
    expect(page.locator("main")).to_contain_text(DEPARTMENT)
    expect_persian_digits(page.locator("main"))
    menu = menu_labels(page)
    everything = [label for items in menu.values() for label in items]
    assert sorted(everything) == sorted(["کارتابل", "قوانین و مقررات", "کالاها"]), menu
    for label in ADMIN_ONLY_MENU:
        assert label not in everything
        expect(page.locator("#main-nav").get_by_text(label, exact=True)).to_have_count(0)
    for section, items in menu.items():
        assert section == "" or items, f"section «{section}» shown with nothing in it"
    check_rendering(page)
    shot(page, "11-user-home")
    if "مدیریت سامانه" in menu:
        page.locator("#main-nav .dropdown-toggle", has_text="مدیریت سامانه").click()
        shot(page, "12-user-menu-open")
    page.locator('[data-menu="core.products"]').click()
    expect(page).to_have_url(live_server.url + "/admin/products")
    expect(page.locator("h1")).to_contain_text("کالا")
    product = page.locator("tr", has_text="قفسهٔ فلزی")
    expect(product).to_contain_text("WH-1024")
    expect(product).to_contain_text("۱۲۵٬۰۰۰٬۰۰۰ ریال")
    expect(page.get_by_role("link", name="کالای تازه")).to_have_count(0)  # viewing only
    check_rendering(page)
    shot(page, "13-user-products")

    # The administration by address: the Persian 403 page.
    response = page.goto(live_server.url + "/admin/users")
    assert response.status == 403
    expect(page.locator("#error-message")).to_have_text("شما اجازهٔ دسترسی به این بخش را ندارید.")
    expect(page.locator("main .display-4")).to_have_text("۴۰۳")
    expect_persian_digits(page.locator("main"))
    check_rendering(page)
    shot(page, "14-user-403")
    # Chromium reports the 403 document itself on the console; that one is expected.
    page_log.console_errors[:] = [e for e in page_log.console_errors
                                  if not ("status of 403" in e and e.endswith("/admin/users)"))]
    check_clean(page_log, live_server)


def test_user_form_shows_persian_errors_and_creates_nothing(live_server, page, page_log, shot, make_user, db):
    make_user("boss", role="administrator", superuser=True, first_name="مریم", last_name="مدیری")
    from core.models.org import User
    before = db.session.scalar(select(func.count()).select_from(User))
    db.session.remove()

    login(page, live_server, "boss")
    page.goto(live_server.url + "/admin/users/new")
    page.locator("#first_name").fill("سارا")
    page.locator("#last_name").fill("نادرست")
    page.locator("#username").fill("sara")
    page.locator("#national_id").fill("۱۲۳۴۵۶۷۸۹۰")  # the check digit is wrong
    fill_date(page, "contract_start", "۱۴۰۳/۰۷/۰۱")
    fill_date(page, "contract_end", "۱۴۰۳/۰۱/۱۵")
    page.locator("#password").fill("Sara-1403-pass")
    page.locator("#password_repeat").fill("Sara-1403-pass")
    page.locator("#save-user").click()

    expect(field_error(page, "national_id")).to_be_visible()
    expect(field_error(page, "national_id")).to_have_text("«کد ملی» معتبر نیست (۱۰ رقم با رقم کنترل درست).")
    expect(page.locator("#national_id")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(field_error(page, "contract_end")).to_be_visible()
    expect(field_error(page, "contract_end")).to_have_text("پایان قرارداد نمی‌تواند پیش از شروع آن باشد.")
    expect(page.locator("#contract_end")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator(".alert-success")).to_have_count(0)
    # What was typed is kept, so the administrator only fixes the two fields.
    expect(page.locator("#first_name")).to_have_value("سارا")
    expect(page.locator("#contract_start")).to_have_value("۱۴۰۳/۰۷/۰۱")
    check_rendering(page)
    shot(page, "20-user-form-errors")

    db.session.remove()
    assert db.session.scalar(select(func.count()).select_from(User)) == before
    assert db.session.scalar(select(User).where(User.username == "sara")) is None
    db.session.remove()
    page.goto(live_server.url + "/admin/users")
    expect(page.locator("tbody")).not_to_contain_text("سارا")
    check_clean(page_log, live_server)
