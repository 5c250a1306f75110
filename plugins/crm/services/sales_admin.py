"""Administration of what prices a quote: sales policies (with their tiers), price lists and the
ad hoc discount limit of each user group. Everything typed is checked first; one bad value and
nothing is written, with a Persian message per field."""
from __future__ import annotations

import re

from sqlalchemy import func, select

from core.db import db
from core.models.org import Group
from core.models.products import Product
from core.persian import INVISIBLE_MARKS, to_ascii_digits
from core.validation import Checker, ValidationError
from plugins.crm.models import ListItem
from plugins.crm.models.sales import POLICY_KINDS, DiscountLimit, Policy, PriceList, PriceListItem

MAX_RIALS = 10 ** 15
MAX_TIERS = 20
TIER_KINDS = ("tier_quantity", "tier_line_amount", "tier_order_amount")
PERCENT_KINDS = ("percentage", "period", "loyal")
TIER_MODES = {"all_units": "پلهٔ رسیده، همهٔ واحدها را قیمت می‌دهد",
              "incremental": "هر پله فقط واحدهای خودش را (افزایشی)"}
_PERCENT = re.compile(r"^\d{1,3}(\.\d{1,2})?$")


def _plain(value) -> str:
    text = INVISIBLE_MARKS.sub("", to_ascii_digits("" if value is None else str(value)))
    return text.replace("٬", "").replace(",", "").replace("٫", ".").replace("٪", "").replace("%", "").strip()


def parse_percent(value) -> int | None:
    """"12.5" or "۱۲٫۵" → 1250 basis points; blank → None; anything else → ValueError."""
    text = _plain(value)
    if not text:
        return None
    if not _PERCENT.match(text):
        raise ValueError(text)
    whole, _, frac = text.partition(".")
    return int(whole) * 100 + int((frac + "00")[:2])


def parse_rials(value) -> int | None:
    """"۱۲٬۵۰۰٬۰۰۰" → 12500000; blank → None; not an integer → ValueError."""
    text = _plain(value)
    if not text:
        return None
    if not re.fullmatch(r"-?\d{1,20}", text):
        raise ValueError(text)
    return int(text)


def _int_or_none(value) -> int | None:
    text = _plain(value)
    return int(text) if text.isdigit() and len(text) < 12 else None


def _check_period(c: Checker):
    valid_from = c.date("valid_from", "از تاریخ")
    valid_to = c.date("valid_to", "تا تاریخ")
    if valid_from and valid_to and valid_to < valid_from:
        c.fail("valid_to", "تاریخ پایان نباید پیش از تاریخ شروع باشد.")
    return valid_from, valid_to


def _check_category(c: Checker, value) -> int | None:
    category_id = _int_or_none(value)
    if value not in (None, "", "None") and category_id is None:
        c.fail("category_id", "دسته‌بندی مشتری معتبر نیست.")
    elif category_id is not None and db.session.scalar(select(ListItem.id).where(
            ListItem.id == category_id, ListItem.kind == "category")) is None:
        c.fail("category_id", "دسته‌بندی مشتری پیدا نشد.")
    return category_id


# --- sales policies -------------------------------------------------------------------------------

def _check_tiers(c: Checker, kind: str, rows: list[dict]) -> list[dict]:
    """Bands in the order typed: `from` strictly increasing, each with a percentage (or, for
    quantity tiers, a unit price instead)."""
    tiers, previous = [], None
    rows = [r for r in rows or [] if any(_plain(r.get(k)) for k in ("from", "percent", "unit_price"))]
    if not rows:
        c.fail("tiers", "دست‌کم یک پله (از چه مقداری و چه تخفیفی) لازم است.")
        return []
    if len(rows) > MAX_TIERS:
        c.fail("tiers", f"حداکثر {MAX_TIERS} پله.")
        return []
    unit = "عدد" if kind == "tier_quantity" else "ریال"
    for i, row in enumerate(rows, start=1):
        key = f"tiers-{i}"
        try:
            start = parse_rials(row.get("from"))
        except ValueError:
            c.fail(key, f"پلهٔ {i}: «از» باید عدد صحیح ({unit}) باشد.")
            continue
        try:
            percent = parse_percent(row.get("percent"))
        except ValueError:
            c.fail(key, f"پلهٔ {i}: درصد باید عددی بین ۰ و ۱۰۰ (حداکثر دو رقم اعشار) باشد.")
            continue
        try:
            unit_price = parse_rials(row.get("unit_price")) if kind == "tier_quantity" else None
        except ValueError:
            c.fail(key, f"پلهٔ {i}: قیمت واحد باید عدد صحیح (ریال) باشد.")
            continue
        minimum = 1 if kind == "tier_quantity" else 0
        if start is None:
            c.fail(key, f"پلهٔ {i}: مقدار «از» را وارد کنید.")
        elif start < minimum or start > MAX_RIALS:
            c.fail(key, f"پلهٔ {i}: «از» باید {'دست‌کم ۱ عدد' if minimum else 'صفر یا بیشتر'} باشد.")
        elif previous is not None and start <= previous:
            c.fail(key, f"پله‌ها باید صعودی باشند: «از» پلهٔ {i} باید بیشتر از پلهٔ {i - 1} باشد.")
        elif (percent is None) == (unit_price is None):
            what = "یا درصد تخفیف یا قیمت واحد (یکی از آن دو)" if kind == "tier_quantity" else "درصد تخفیف"
            c.fail(key, f"پلهٔ {i}: {what} را وارد کنید.")
        elif percent is not None and not 0 < percent <= 10000:
            c.fail(key, f"پلهٔ {i}: درصد باید بیشتر از ۰ و حداکثر ۱۰۰ باشد.")
        elif unit_price is not None and not 0 <= unit_price <= MAX_RIALS:
            c.fail(key, f"پلهٔ {i}: قیمت واحد نمی‌تواند منفی باشد." if unit_price < 0
                   else f"پلهٔ {i}: قیمت واحد بیش از حد بزرگ است.")
        else:
            tiers.append({"from": start, "percent": percent} if percent is not None
                         else {"from": start, "unit_price": unit_price})
        if start is not None:
            previous = start if previous is None else max(previous, start)
    return tiers


def save_policy(data: dict, policy: Policy | None = None) -> Policy:
    """Create or edit a sales policy. `data`: name, kind, product_id, category_id, valid_from,
    valid_to (Jalali or dates), percent (for percentage, period and loyal kinds), tiers (rows of
    from / percent / unit_price, for the tier kinds), tier_mode, loyal_min_purchase, active."""
    c = Checker(data)
    name = c.text("name", "نام سیاست", required=True, max_len=120)
    kind = str(data.get("kind") or "")
    if kind not in POLICY_KINDS:
        c.fail("kind", "نوع سیاست را انتخاب کنید.")
    product_id = _int_or_none(data.get("product_id"))
    if data.get("product_id") not in (None, "", "None") and product_id is None:
        c.fail("product_id", "کالا معتبر نیست.")
    elif product_id is not None and db.session.get(Product, product_id) is None:
        c.fail("product_id", "کالا پیدا نشد.")
    category_id = _check_category(c, data.get("category_id"))
    valid_from, valid_to = _check_period(c)
    if kind == "period" and (valid_from is None or valid_to is None):
        c.fail("valid_from" if valid_from is None else "valid_to",
               "سیاست دوره‌ای به تاریخ شروع و پایان نیاز دارد.")
    percent, tiers, tier_mode, loyal_min = None, [], "all_units", None
    if kind in PERCENT_KINDS:
        try:
            percent = parse_percent(data.get("percent"))
        except ValueError:
            c.fail("percent", "درصد باید عددی بین ۰ و ۱۰۰ (حداکثر دو رقم اعشار) باشد.")
        else:
            if percent is None:
                c.fail("percent", "درصد تخفیف را وارد کنید.")
            elif not 0 < percent <= 10000:
                c.fail("percent", "درصد باید بیشتر از ۰ و حداکثر ۱۰۰ باشد.")
    if kind in TIER_KINDS:
        tiers = _check_tiers(c, kind, data.get("tiers") or [])
        if kind == "tier_quantity":
            tier_mode = str(data.get("tier_mode") or "all_units")
            if tier_mode not in TIER_MODES:
                c.fail("tier_mode", "شیوهٔ محاسبهٔ پله‌ها معتبر نیست.")
    if kind == "tier_order_amount" and product_id is not None:
        c.fail("product_id", "پلهٔ مبلغ کل سفارش برای همهٔ کالاهاست؛ کالا را خالی بگذارید.")
    if kind == "loyal":
        try:
            loyal_min = parse_rials(data.get("loyal_min_purchase"))
        except ValueError:
            c.fail("loyal_min_purchase", "حداقل خرید باید مبلغی به ریال (عدد صحیح) باشد.")
        else:
            if loyal_min is not None and not 0 <= loyal_min <= MAX_RIALS:
                c.fail("loyal_min_purchase", "حداقل خرید نمی‌تواند منفی باشد." if loyal_min < 0
                       else "حداقل خرید بیش از حد بزرگ است.")
            elif loyal_min is None and category_id is None and "category_id" not in c.errors:
                c.fail("loyal_min_purchase", "مشتری وفادار را با دسته‌بندی یا با حداقل خرید ۱۲ ماه گذشته مشخص کنید.")
    c.done()
    policy = policy or Policy()
    policy.name, policy.kind, policy.product_id, policy.category_id = name, kind, product_id, category_id
    policy.valid_from, policy.valid_to, policy.percent = valid_from, valid_to, percent
    policy.tiers, policy.tier_mode, policy.loyal_min_purchase = tiers, tier_mode, loyal_min
    if "active" in data:
        policy.active = bool(data["active"])
    elif policy.active is None:
        policy.active = True
    db.session.add(policy)
    db.session.commit()
    return policy


def set_policy_active(policy_id: int, active: bool) -> Policy:
    policy = db.session.get(Policy, policy_id)
    if policy is None:
        raise ValidationError("سیاست پیدا نشد.")
    policy.active = bool(active)
    db.session.commit()
    return policy


# --- price lists ----------------------------------------------------------------------------------

def save_price_list(data: dict, plist: PriceList | None = None) -> PriceList:
    """Create or edit a price list. `data`: name, category_id, valid_from, valid_to, active and
    `prices` {product_id: price as typed}; a blank price leaves the product out of the list (its
    catalogue price applies)."""
    c = Checker(data)
    name = c.text("name", "نام فهرست قیمت", required=True, max_len=120)
    if name:
        clash = select(PriceList.id).where(func.lower(PriceList.name) == name.lower())
        if plist is not None and plist.id is not None:
            clash = clash.where(PriceList.id != plist.id)
        if db.session.scalar(clash) is not None:
            c.fail("name", "فهرست قیمت دیگری با همین نام هست.")
    category_id = _check_category(c, data.get("category_id"))
    valid_from, valid_to = _check_period(c)
    prices: dict[int, int] = {}
    raw = data.get("prices") or {}
    ids = [i for i in (_int_or_none(k) for k in raw) if i is not None]
    known = {p.id: p for p in db.session.scalars(select(Product).where(Product.id.in_(ids or [-1])))}
    for key, value in raw.items():
        product_id = _int_or_none(key)
        product = known.get(product_id)
        field = f"prices-{key}"
        if product is None:
            c.fail(field, "کالا پیدا نشد.")
            continue
        try:
            price = parse_rials(value)
        except ValueError:
            c.fail(field, f"قیمت «{product.name}» باید عدد صحیح (ریال) باشد.")
            continue
        if price is None:
            continue
        if price < 0:
            c.fail(field, f"قیمت «{product.name}» نمی‌تواند منفی باشد.")
        elif price > MAX_RIALS:
            c.fail(field, f"قیمت «{product.name}» بیش از حد بزرگ است.")
        else:
            prices[product.id] = price
    c.done()
    plist = plist or PriceList()
    plist.name, plist.category_id, plist.valid_from, plist.valid_to = name, category_id, valid_from, valid_to
    if "active" in data:
        plist.active = bool(data["active"])
    elif plist.active is None:
        plist.active = True
    # Edit the items in place: a product removed and added again in one flush would collide on
    # the (list, product) unique key.
    existing = {item.product_id: item for item in plist.items}
    for product_id, item in existing.items():
        if product_id not in prices:
            plist.items.remove(item)
        elif item.price != prices[product_id]:
            item.price = prices[product_id]
    for product_id, price in prices.items():
        if product_id not in existing:
            plist.items.append(PriceListItem(product_id=product_id, price=price))
    db.session.add(plist)
    db.session.commit()
    return plist


# --- ad hoc discount limits -----------------------------------------------------------------------

def discount_limits() -> list[tuple[Group, int | None]]:
    """Every group with its limit (basis points; None: no ad hoc discount without approval)."""
    limits = {row.group_id: row.max_percent for row in db.session.scalars(select(DiscountLimit))}
    return [(g, limits.get(g.id)) for g in db.session.scalars(select(Group).order_by(Group.name))]


def save_discount_limits(values: dict) -> None:
    """`values`: {group_id: percent as typed}; blank removes the group's limit (0 %: every ad hoc
    discount then waits for a manager)."""
    errors, clean = {}, {}
    groups = {g.id for g in db.session.scalars(select(Group))}
    for key, raw in values.items():
        group_id = _int_or_none(key)
        field = f"limit-{key}"
        if group_id not in groups:
            errors[field] = "گروه پیدا نشد."
            continue
        try:
            percent = parse_percent(raw)
        except ValueError:
            errors[field] = "سقف تخفیف باید درصدی بین ۰ و ۱۰۰ (حداکثر دو رقم اعشار) باشد."
            continue
        if percent is not None and percent > 10000:
            errors[field] = "سقف تخفیف نمی‌تواند بیش از ۱۰۰٪ باشد."
            continue
        clean[group_id] = percent
    if errors:
        raise ValidationError(errors)
    for group_id, percent in clean.items():
        row = db.session.get(DiscountLimit, group_id)
        if percent is None:
            if row is not None:
                db.session.delete(row)
        elif row is None:
            db.session.add(DiscountLimit(group_id=group_id, max_percent=percent))
        else:
            row.max_percent = percent
    db.session.commit()
