"""Realistic Persian demo data: offices, departments, positions, users of every role,
customers and products. Plugins add theirs through the `load_demo_data` hook. The data is the
same on every run (seeded random), and loads only into an empty database."""
from __future__ import annotations

import datetime as dt
import random

from flask import current_app
from sqlalchemy import func, select

from core.audit import acting_as
from core.db import db
from core.models.org import Department, Office, Position, User
from core.services.groups import seed_role_groups

PASSWORD = "peyvand1403"

OFFICES = [
    ("دفتر مرکزی تهران", "تهران", "21", "تهران، خیابان ولیعصر، بالاتر از میدان ونک، پلاک ۱۲۴۰"),
    ("شعبهٔ اصفهان", "اصفهان", "31", "اصفهان، خیابان چهارباغ بالا، مجتمع پارک، طبقهٔ ۳"),
    ("شعبهٔ مشهد", "مشهد", "51", "مشهد، بلوار سجاد، سجاد ۱۴، پلاک ۸"),
]
DEPARTMENTS = ["فروش سازمانی", "فروش خرده", "پشتیبانی"]
POSITIONS = ["مدیر عامل", "مدیر فروش", "سرپرست فروش", "کارشناس فروش", "انباردار", "کارشناس مالی",
             "کارشناس پشتیبانی", "بازرس"]

# username, first, last, role, office index, position, manager username
USERS = [
    ("admin", "مریم", "احمدی", "administrator", 0, "مدیر عامل", None),
    ("inspector", "حمید", "رضایی", "inspector", 0, "بازرس", None),
    ("manager", "علیرضا", "کریمی", "manager", 0, "مدیر فروش", None),
    ("supervisor", "نگار", "موسوی", "manager", 0, "سرپرست فروش", "manager"),
    ("sara", "سارا", "محمدی", "sales", 0, "کارشناس فروش", "supervisor"),
    ("reza", "رضا", "حسینی", "sales", 0, "کارشناس فروش", "supervisor"),
    ("zahra", "زهرا", "جعفری", "sales", 1, "کارشناس فروش", "manager"),
    ("mehdi", "مهدی", "صادقی", "sales", 1, "کارشناس فروش", "manager"),
    ("fatemeh", "فاطمه", "نوری", "sales", 2, "کارشناس فروش", "manager"),
    ("anbar", "بهروز", "قاسمی", "warehouse", 0, "انباردار", None),
    ("mali", "لیلا", "اکبری", "finance", 0, "کارشناس مالی", None),
    ("poshtiban", "امیر", "یزدانی", "support", 0, "کارشناس پشتیبانی", None),
]
ROLE_LABELS = {"administrator": "مدیر سایت", "inspector": "بازرس", "manager": "مدیر فروش",
               "sales": "کارشناس فروش", "warehouse": "انباردار", "finance": "مالی", "support": "پشتیبانی"}

FIRST_NAMES = ["محمد", "علی", "حسین", "رضا", "مهدی", "امیر", "سعید", "حمید", "مجید", "کامران", "بهرام",
               "فاطمه", "زهرا", "مریم", "سمیه", "نرگس", "الهام", "شیما", "پریسا", "مینا", "لیلا"]
LAST_NAMES = ["احمدی", "محمدی", "حسینی", "رضایی", "کریمی", "موسوی", "جعفری", "صادقی", "رحیمی",
              "قاسمی", "عباسی", "نوری", "کاظمی", "شریفی", "طاهری", "زمانی", "فرهادی", "یوسفی",
              "ملکی", "بهرامی", "نجفی", "سلطانی", "اصفهانی", "تهرانی"]
COMPANIES = ["صنایع غذایی مهرگان", "پخش سپهر آریا", "ساختمانی آبادگران نوین", "فولاد پارسیان",
             "بازرگانی کیمیا تجارت", "داروسازی شفا آرا", "نساجی یزدباف", "فناوری اطلاعات رایان پویا",
             "کشت و صنعت دشت سبز", "حمل و نقل سریع‌السیر آسیا", "تجهیزات پزشکی آرمان طب",
             "صنایع چوب البرز", "پلاستیک سازان شرق", "هتل پارسیان کوثر", "فروشگاه‌های زنجیره‌ای افق",
             "مهندسی تاسیسات نیرو گستر", "چاپ و بسته‌بندی نقش آفرین", "لبنیات پاک نوش",
             "آموزشگاه زبان ایرانیان", "کلینیک دندان‌پزشکی لبخند"]
LEGAL_FORMS = ["شرکت", "شرکت", "گروه", ""]
PRODUCTS = [
    ("P-1001", "نرم‌افزار حسابداری پیوند - نسخهٔ پایه", "مجوز", 180_000_000, 60_000_000),
    ("P-1002", "نرم‌افزار حسابداری پیوند - نسخهٔ سازمانی", "مجوز", 650_000_000, 200_000_000),
    ("P-2001", "چاپگر حرارتی فروشگاهی", "دستگاه", 95_000_000, 72_000_000),
    ("P-2002", "کارت‌خوان رومیزی", "دستگاه", 48_000_000, 35_000_000),
    ("P-2003", "بارکدخوان بی‌سیم", "دستگاه", 27_500_000, 19_000_000),
    ("P-2004", "صندوق فروشگاهی لمسی ۱۵ اینچ", "دستگاه", 310_000_000, 240_000_000),
    ("P-3001", "رول کاغذ حرارتی ۸ سانتی (بستهٔ ۵۰تایی)", "بسته", 6_200_000, 4_100_000),
    ("P-3002", "لیبل بارکد ۴×۶ (۱۰۰۰ عددی)", "رول", 1_850_000, 1_100_000),
    ("P-4001", "قرارداد پشتیبانی سالانه", "سال", 120_000_000, 30_000_000),
    ("P-4002", "آموزش حضوری کاربران (روزانه)", "روز", 35_000_000, 12_000_000),
    ("P-4003", "نصب و راه‌اندازی در محل", "خدمت", 22_000_000, 8_000_000),
    ("P-5001", "سرور رک‌مونت ۲ یونیت", "دستگاه", 1_450_000_000, 1_180_000_000),
]
CITIES = ["تهران", "اصفهان", "مشهد", "شیراز", "تبریز", "کرج", "قم", "یزد"]
STREETS = ["خیابان انقلاب", "خیابان آزادی", "بلوار کشاورز", "خیابان شریعتی", "خیابان مطهری",
           "بلوار فردوسی", "خیابان امام", "بلوار معلم"]


def has_data() -> bool:
    return bool(db.session.scalar(select(func.count()).select_from(User)))


def _national_id(rng: random.Random) -> str:
    digits = [rng.randint(0, 9) for _ in range(9)]
    total = sum(d * (10 - i) for i, d in enumerate(digits)) % 11
    check = total if total < 2 else 11 - total
    return "".join(map(str, digits)) + str(check)


def _mobile(rng: random.Random) -> str:
    return f"09{rng.choice(['12', '13', '19', '35', '36', '01', '02', '21'])}{rng.randint(1000000, 9999999)}"


def load(seed: int = 1403) -> dict:
    """Load the demo into an empty, upgraded database; returns the context given to plugins."""
    from core.services.parties import save_party
    from core.services.products import save_product
    from core.services.users import save_user

    rng = random.Random(seed)
    with acting_as(None):
        groups = seed_role_groups()
        offices = []
        for name, city, code, address in OFFICES:
            office = Office(name=name, city=city, area_code=code, address=address,
                            phone=f"0{code}{rng.randint(30000000, 89999999)}")
            db.session.add(office)
            for dep in DEPARTMENTS:
                db.session.add(Department(office=office, name=dep))
            offices.append(office)
        positions = {name: Position(name=name) for name in POSITIONS}
        db.session.add_all(positions.values())
        db.session.commit()

        users: dict[str, User] = {}
        for username, first, last, role, office_ix, position, manager in USERS:
            office = offices[office_ix]
            department = next(d for d in office.departments if d.name == (
                "پشتیبانی" if role == "support" else "فروش سازمانی"))
            user = save_user(dict(
                username=username, first_name=first, last_name=last, password=PASSWORD,
                password_repeat=PASSWORD, national_id=_national_id(rng), mobile=_mobile(rng),
                email=f"{username}@peyvand.example", office_id=office.id, department_id=department.id,
                position_id=positions[position].id,
                manager_id=users[manager].id if manager else None,
                birth_date=dt.date(1975 + rng.randint(0, 25), rng.randint(1, 12), rng.randint(1, 28)),
                contract_start=dt.date(2021 + rng.randint(0, 3), rng.randint(1, 12), 1),
                max_open_negotiations=40 if role == "sales" else 100,
                group_ids=[groups[role].id]))
            if role == "administrator":
                user.is_superuser = True
            users[username] = user
        db.session.commit()

        parties = []
        for i in range(60):
            office = offices[i % len(offices)]
            city = office.city if rng.random() < 0.8 else rng.choice(CITIES)
            if i % 3 == 0:
                form = rng.choice(LEGAL_FORMS)
                name = f"{form} {COMPANIES[i // 3 % len(COMPANIES)]}".strip()
                data = dict(kind="organisation", name=name, organisation="")
            else:
                data = dict(kind="person", name=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                            organisation=rng.choice(COMPANIES) if rng.random() < 0.4 else "",
                            national_id=_national_id(rng) if rng.random() < 0.5 else "")
            data.update(city=city, office_id=office.id,
                        phones=[{"number": _mobile(rng), "kind": "mobile"},
                                {"number": f"{rng.randint(22000000, 88999999)}", "kind": "phone"}],
                        addresses=[{"city": city, "address": f"{city}، {rng.choice(STREETS)}، پلاک {rng.randint(1, 400)}"}])
            parties.append(save_party(data, office_area_code=office.area_code, commit=False))
        db.session.commit()

        products = [save_product(dict(code=c, name=n, unit=u, list_price=p, cost_price=cp))
                    for c, n, u, p, cp in PRODUCTS]

        from core.models.site import SitePage
        db.session.add(SitePage(slug="rules", title="قوانین و مقررات", body=RULES_TEXT))
        db.session.commit()

        context = {"offices": offices, "users": users, "parties": parties, "products": products, "rng": rng}
        current_app.extensions["peyvand"].host.call_each("load_demo_data", context=context)
        db.session.commit()
        for step in context.get("after", []):  # work that needs every plugin's demo data
            step()
        db.session.commit()
    return context


def logins_text() -> str:
    lines = [f"ورود نمایشی (گذرواژهٔ همه: {PASSWORD}):"]
    for username, first, last, role, *_ in USERS:
        lines.append(f"  {username:<12} {ROLE_LABELS[role]:<14} {first} {last}")
    return "\n".join(lines)


RULES_TEXT = """۱. هر مشتری در هر زمان فقط یک کارشناس مسئول دارد؛ مذاکره به مدت سه ماه از زمان ثبت یا انتساب در اختیار همان کارشناس است.
۲. پیش از ثبت مشتری جدید، هشدار مشتری تکراری را با دقت بخوانید. ثبت مشتری دیگران با تغییر نام یا شماره تخلف است.
۳. اگر پیگیری مشتری برایتان ممکن نیست، آن را «معلق» کنید تا همکاران بتوانند از لیست آزاد آن را بردارند.
۴. هر تماس، جلسه یا پیام را همان روز در تاریخچهٔ مذاکره ثبت کنید و تاریخ پیگیری بعدی را بگذارید.
۵. امتیازها بر اساس جدول تنظیمات محاسبه می‌شوند و مدیر سایت می‌تواند سقف مذاکرات باز متخلفان را کاهش دهد."""
