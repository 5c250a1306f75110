"""The warehouse in a real browser: a rep's orders are confirmed through the CRM (the hooks reserve
the goods); the storekeeper finds them waiting, is refused when typing more than is reserved,
issues one order (a line in full, a line in part) and gets the printable slip; the stock screen
shows the stock down; the rep cancels the other order on the CRM's order page; the storekeeper
sees its reservation released. Screenshots under tests/e2e/screenshots/."""
from __future__ import annotations

import re

from playwright.sync_api import expect
from sqlalchemy import select

from core.models.org import Office
from core.models.products import Product
from core.persian import normalize
from tests.e2e.test_admin_flow import check_clean, check_rendering, login, logout


def _setup(db, make_user):
    from plugins.crm.services import customers, orders
    from plugins.inventory.models import ProductStockSetting, Warehouse
    from plugins.inventory.services import ledger
    office = Office(name="دفتر مرکزی تهران", city="تهران", area_code="21")
    db.session.add(office)
    db.session.commit()
    keeper = make_user("anbar", role="warehouse", office=office, first_name="بهروز", last_name="قاسمی")
    rep = make_user("sara", role="sales", office=office, first_name="سارا", last_name="محمدی")
    warehouse = Warehouse(name="انبار مرکزی تهران", code="W1", office_id=office.id)
    reader = Product(code="P-2002", name="کارت‌خوان رومیزی", unit="دستگاه", list_price=48_000_000,
                     cost_price=35_000_000, search_key=normalize("P-2002 کارت‌خوان رومیزی"))
    rolls = Product(code="P-3001", name="رول کاغذ حرارتی ۸ سانتی", unit="بسته", list_price=6_200_000,
                    cost_price=4_100_000, search_key=normalize("P-3001 رول کاغذ حرارتی ۸ سانتی"))
    db.session.add_all([warehouse, reader, rolls])
    db.session.flush()
    db.session.add(ProductStockSetting(product_id=rolls.id, reorder_level=30))
    db.session.commit()
    ledger.receipt(warehouse.id, reader.id, 10, keeper, "موجودی اول دوره")
    ledger.receipt(warehouse.id, rolls.id, 40, keeper, "موجودی اول دوره")

    def order(name, phone, lines):
        n = customers.register({"kind": "organisation", "name": name, "phones": [{"number": phone}]}, rep,
                               confirmed_not_duplicate=True)
        made = orders.direct(n.customer_id, {"lines": [{"product_id": p.id, "quantity": q} for p, q in lines]}, rep)
        return orders.confirm(made.id, rep)

    first = order("فروشگاه‌های زنجیره‌ای افق", "09123456789", [(reader, 4), (rolls, 10)])
    second = order("پخش سپهر آریا", "09351234567", [(reader, 3)])
    return dict(reader=reader, rolls=rolls, warehouse=warehouse, first=first, second=second)


def _stock_row(page, product, warehouse):
    return page.locator(f'#stock-table tr[data-product="{product.id}"][data-warehouse="{warehouse.id}"]')


def test_confirm_reserve_issue_slip_stock_cancel_release(live_server, page, page_log, shot, make_user, db):
    s = _setup(db, make_user)
    url = live_server.url
    first_ref, second_ref = f"crm.order:{s['first'].id}", f"crm.order:{s['second'].id}"

    # The storekeeper finds both orders waiting in the warehouse's queue.
    login(page, live_server, "anbar")
    page.locator("#main-nav .dropdown-toggle", has_text="انبار").click()
    page.locator('[data-menu="inventory.reservations"]').click()
    expect(page.locator("h1")).to_have_text("رزروهای منتظر خروج")
    check_rendering(page)
    first = page.locator(f'.inv-group[data-order="{first_ref}"]')
    expect(first).to_contain_text("فروشگاه‌های زنجیره‌ای افق")
    expect(first).to_contain_text("کارت‌خوان رومیزی")
    expect(page.locator(f'.inv-group[data-order="{second_ref}"]')).to_contain_text("پخش سپهر آریا")
    shot(page, "inventory-01-queue")

    # «خروج کالا»: every line offered in full; more than reserved is refused in Persian.
    first.locator("[data-issue]").click()
    expect(page.locator("h1")).to_contain_text("خروج کالا")
    reader_input = page.locator("#issue-lines tr", has_text="کارت‌خوان").locator("input")
    rolls_input = page.locator("#issue-lines tr", has_text="رول کاغذ").locator("input")
    expect(reader_input).to_have_value("۴")
    expect(rolls_input).to_have_value("۱۰")
    reader_input.fill("۵")
    page.locator("#issue-submit").click()
    expect(page.locator(".alert-danger")).to_contain_text("برای «کارت‌خوان رومیزی» فقط ۴ واحد رزرو باقی است.")
    expect(reader_input).to_have_value("۵")  # what was typed stays
    shot(page, "inventory-02-refused")
    # The readers in full, six of the ten rolls.
    reader_input.fill("۴")
    rolls_input.fill("6")
    page.locator("#notes").fill("تحویل به پیک شرکت")
    page.locator("#issue-submit").click()

    # The slip: number, Jalali date and time, warehouse, customer, order, lines, storekeeper.
    expect(page.locator(".alert-success")).to_contain_text("برگهٔ خروج شمارهٔ ۱ ثبت شد")
    slip = page.locator("#slip")
    expect(page.locator("#slip-number")).to_have_text("۱")
    expect(page.locator("#slip-date")).to_have_text(re.compile(r"^۱۴[۰-۹]{2}/[۰-۹]{2}/[۰-۹]{2}$"))
    expect(page.locator("#slip-time")).to_have_text(re.compile(r"^[۰-۹]{2}:[۰-۹]{2}$"))
    expect(page.locator("#slip-warehouse")).to_have_text("انبار مرکزی تهران")
    expect(page.locator("#slip-customer")).to_have_text("فروشگاه‌های زنجیره‌ای افق")
    expect(page.locator("#slip-order")).to_have_text(str(s["first"].number).translate(str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")))
    expect(page.locator("#slip-keeper")).to_have_text("بهروز قاسمی")
    expect(page.locator("#slip-lines tbody tr")).to_have_count(2)
    expect(page.locator("#slip-total")).to_have_text("۱۰")
    expect(slip).to_contain_text("تحویل به پیک شرکت")
    shot(page, "inventory-03-slip")
    # Printed: only the slip (no menu, no buttons), on A5.
    page.emulate_media(media="print")
    assert page.locator("#main-nav").is_hidden() and page.locator("#print").is_hidden()
    assert slip.is_visible()
    shot(page, "inventory-04-slip-print")
    page.emulate_media(media="screen")

    # The stock screen: readers 10 → 6 on hand, 3 still reserved for the second order; the rolls
    # are down to 34 with 4 reserved, so 30 free: at the reorder level, highlighted.
    page.locator("#main-nav .dropdown-toggle", has_text="انبار").click()
    page.locator('[data-menu="inventory.stock"]').click()
    page.locator("#q").fill("كارت")  # Arabic kaf: found all the same
    page.locator("#stock-filter button[type=submit]").click()
    reader = _stock_row(page, s["reader"], s["warehouse"])
    expect(reader.locator('[data-col="on_hand"]')).to_have_text("۶")
    expect(reader.locator('[data-col="reserved"]')).to_have_text("۳")
    expect(reader.locator('[data-col="available"]')).to_have_text("۳")
    expect(page.locator("#stock-table tbody tr")).to_have_count(1)
    page.goto(url + "/inventory/stock")
    rolls = _stock_row(page, s["rolls"], s["warehouse"])
    expect(rolls.locator('[data-col="on_hand"]')).to_have_text("۳۴")
    expect(rolls).to_have_attribute("data-level", "low")
    expect(rolls).to_contain_text("کمتر از نقطهٔ سفارش")
    shot(page, "inventory-05-stock")
    logout(page, live_server)

    # The rep cancels the second order on the CRM's order page.
    login(page, live_server, "sara")
    page.goto(url + f"/crm/orders/{s['second'].id}")
    page.locator("#reason").fill("مشتری از خرید منصرف شد")
    page.once("dialog", lambda dialog: dialog.accept())
    page.locator("#cancel").click()
    expect(page.locator("#cancelled-alert")).to_contain_text("مشتری از خرید منصرف شد")
    shot(page, "inventory-06-cancelled")
    logout(page, live_server)

    # Its reservation is released: gone from the queue, the stock free again, the move recorded.
    login(page, live_server, "anbar")
    page.goto(url + "/inventory/reservations")
    expect(page.locator(f'.inv-group[data-order="{second_ref}"]')).to_have_count(0)
    remaining = page.locator(f'.inv-group[data-order="{first_ref}"] [data-col="remaining"]')
    expect(remaining).to_have_count(1)
    expect(remaining).to_contain_text("۴")  # the rolls not yet issued
    page.goto(url + "/inventory/stock")
    reader = _stock_row(page, s["reader"], s["warehouse"])
    expect(reader.locator('[data-col="reserved"]')).to_have_text("—")
    expect(reader.locator('[data-col="available"]')).to_have_text("۶")
    reader.get_by_role("link", name="کارت‌خوان رومیزی").click()
    expect(page.locator("#moves-title")).to_contain_text("کارت‌خوان رومیزی")
    release = page.locator('#moves-table tr[data-kind="release"]')
    expect(release).to_contain_text("لغو سفارش")
    expect(release).to_contain_text("سارا محمدی")
    expect(page.locator('#moves-table tr[data-kind="issue"]')).to_contain_text("برگهٔ ۱")
    shot(page, "inventory-07-history")

    assert not page_log.page_errors and not page_log.console_errors, (page_log.page_errors, page_log.console_errors)
    check_clean(page_log, live_server)

    from plugins.inventory.models import Stock
    db.session.rollback()
    held = db.session.get(Stock, (s["reader"].id, s["warehouse"].id))
    assert (held.on_hand, held.reserved) == (6, 0)
    assert db.session.scalar(select(Stock.reserved).where(Stock.product_id == s["rolls"].id)) == 4
