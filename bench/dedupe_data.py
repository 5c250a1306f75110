"""Synthetic Iranian customers and a labelled set of duplicates and near-misses, for
`bench/dedupe.py`.

Customers: 60 % people, 40 % companies, spread over 31 cities by rough population. Names are
drawn with Zipf-like weights (محمد and حسینی are common, کیانوش یگانه is rare), so at a million
customers the same full name occurs dozens of times in Tehran, as it does in a real CRM. People
have a mobile (90 %), sometimes a landline (25 %), a national ID with a valid check digit (40 %)
and sometimes an organisation title (10 %); companies have a landline (90 %), sometimes a
mobile (40 %), a legal-entity ID (40 %) and their legal form written in several ways. 70 % have
a street address. Phones and national IDs are unique.

The labelled set (`labelled_set`) rewrites existing customers the way reps type them
(positives, the true customer is known) and builds near-misses that must not match
(negatives), each checked against the whole data set so its label is right. Everything is
seeded: the same N and seed give the same customers and queries.
"""
from __future__ import annotations

import bisect
import datetime as dt
import itertools
import random
from dataclasses import dataclass, field

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein
from sqlalchemy import insert, text

from core.db import db
from core.jalali import utcnow
from core.models.parties import Party, PartyAddress, PartyPhone
from core.persian import normalize
from core.phones import CITY_AREA_CODES
from plugins.crm.models import Customer

ZWNJ = "\u200c"

MALE = """محمد علی حسین رضا مهدی امیر محمدرضا علیرضا حسن سعید مصطفی امیرحسین محسن مجید حمید احمد
ابوالفضل جواد عباس مرتضی وحید حامد میلاد محمدحسین سجاد یوسف اکبر اصغر هادی ابراهیم بهروز فرهاد کامران
بهرام داوود منصور ناصر مسعود مهران پیمان پویا آرش بابک سینا کیوان نیما رامین شهرام فرزاد سیاوش کوروش
داریوش اسماعیل یاسر مهرداد فرشید روزبه اشکان بهزاد صادق جعفر قاسم کاظم هاشم نادر سهراب پرویز جمشید
فریدون کیانوش عرفان امین ایمان محمدعلی محمدمهدی امیرعلی ماهان آرمان طاها یاسین سامان شهاب مازیار
اصغر غلامرضا غلامحسین رسول حبیب منوچهر خسرو شاهین بیژن هومن""".split()
FEMALE = """فاطمه زهرا مریم معصومه زینب سمیه نرگس الهام سارا مهسا نازنین لیلا مینا شیما ریحانه فرزانه
سمانه مرضیه اکرم اعظم طاهره منیژه شهره پروین ژاله نسرین نسترن مهناز فرشته آزاده هانیه کوثر نگار پریسا
الناز سحر ندا ساناز یاسمن آیدا هستی رویا شیرین بهاره مائده محدثه حدیثه فائزه ستاره مهدیه راضیه صدیقه
عاطفه نیلوفر پگاه ترانه مژگان سپیده نوشین گلناز فریبا شبنم مهتاب سیمین""".split()
SURNAMES = """حسینی احمدی محمدی رضایی موسوی کریمی جعفری صادقی رحیمی قاسمی نوری حیدری کاظمی هاشمی عباسی
مرادی اکبری ابراهیمی سلیمانی یوسفی شریفی نجفی طاهری امینی صالحی ملکی باقری زارعی رستمی فرهادی اسدی
نظری مختاری بابایی حسنی قربانی سلطانی خسروی میرزایی کرمی غلامی منصوری علوی رسولی یزدانی عزیزی فتحی
شیرازی تهرانی اصفهانی تبریزی کرمانی یزدی رشتی قزوینی همدانی کاشانی مشهدی بهرامی نادری افشار توکلی
ترابی جلالی حافظی خلیلی دهقان ذاکری رحمانی زمانی ستاری سبحانی شاکری صفری ضیایی طالبی ظهیری عسگری
غفاری فاضلی قنبری کیانی گودرزی لطفی مقدم نیکخواه وحیدی هدایتی یگانه پاکزاد چراغی آقایی اسماعیلی
انصاری بیگی جمالی حقیقی خادمی دانشور رنجبر زندی سالاری شجاعی صدری طباطبایی عطایی فراهانی قدیری
کمالی گلستانی مظاهری نصیری وکیلی هوشمند بختیاری پورمند تقوی ثابتی جهانگیری حکیمی خاکپور درویشی
رفیعی زرگر سپهری شفیعی صمدی طهماسبی عرب فروتن قوامی کاویانی لاهوتی معینی نوروزی ولایتی یاوری اردلان
بهشتی پرهیزکار تدین ثقفی جوادی حاتمی خدایی دلاوری ربانی زنگنه سعیدی شهبازی صفوی عمادی فرجی قهرمانی
کشاورز مهاجر نیک‌نام وثوقی امیری میرحسینی آزادی اشرفی بنی‌عامری پارسا تاجیک جهانی حیدریان خرمی
عبداللهی عبدالهی نصراللهی حبیب‌اللهی فتح‌اللهی روح‌اللهی عبدالملکی عبدالرحیمی عبدالمحمدی ابوالحسنی
ابوطالبی آقامحمدی حاج‌محمدی سیدحسینی""".split()
COMPOUND_ROOTS = """حسین علی رضا محمد قاسم کریم جعفر اکبر عباس حسن تقی نقی یزدان شریف امین صادق
رحیم کاظم هاشم مهدی اسد نصر ملک بابا خان میرزا آقا شاه فرج نور رحمان سلطان قلی ولی حبیب نجف رسول
یوسف موسی عیسی نیک پاک خوش مهر آذر شیر باغ کوه دشت جهان زرین سپهر امیر ایزد فرهاد بهمن اسفند اردشیر
کیان نوروز سرور پیروز فیروز بهرام خسرو جمشید فریدون کاوه گودرز رستم سهراب بیژن منوچهر داراب زال
ایرج هوشنگ کیومرث تهمتن گشتاسب بهزاد شهریار مرزبان دهقان کشاورز زارع باغبان آهنگر نجار سراج عطار
بزاز صراف زرگر خیاط حداد نقاش معمار طبیب حکیم ادیب دبیر منشی مستوفی قاضی مفتی واعظ خطیب امام
شجاع دلیر بیدار هوشیار دانا بینا روشن تابنده فروزان رخشان درخشان سبز سرخ سپید سیاه زرد آبی کبود
ماه ستاره خورشید آفتاب مهتاب باران برف ابر دریا رود چشمه کوهسار جنگل بیشه گلزار بوستان چمن سرو
کاج چنار بید نارون افرا ارغوان یاس نرگس لاله سوسن بنفشه شقایق نسترن شمشاد صنوبر انار انجیر بادام
پسته گردو زیتون خرما ترنج نارنج لیمو به سیب گیلاس آلبالو""".split()
COMPOUND_SUFFIXES = ["زاده", "پور", "نیا", "فر", "نژاد", "راد", "منش", "وند", "لو", "خانی", "دوست", "پناه",
                     "کیا", "فرد", "زاد", "یان", "انی", "آبادی", "نسب", "تبار", "گر", "کار", "بخش", "مند"]
SURNAME_PREFIXES = ["میر", "حاج", "آقا", "ملا", "شیخ", "کربلایی", "مشهدی", "امیر", "شاه"]
TOWNS = """کاشانی نائینی اردکانی بروجردی لاهیجی دامغانی سبزواری نیشابوری قوچانی بیرجندی گنابادی
تربتی کازرونی جهرمی فسایی لاری بوشهری دزفولی شوشتری بهبهانی ایذه‌ای ملایری نهاوندی تویسرکانی
اسدآبادی سنقری کنگاوری هرسینی بیجاری سقزی بانه‌ای مریوانی مهابادی میاندوآبی مراغه‌ای اهری
سرابی خلخالی میانه‌ای زنجانی ابهری تاکستانی ساوجی ساوه‌ای خمینی گلپایگانی خوانساری نطنزی
اردستانی نجف‌آبادی شهرضایی سمیرمی فریدنی لنجانی مبارکه‌ای کرمانی رفسنجانی سیرجانی بمی جیرفتی
زرندی رودباری لنگرودی رامسری تنکابنی نوری آملی بابلی قائمشهری بهشهری گرگانی گنبدی بجنوردی
شیروانی اسفراینی سمنانی شاهرودی گرمساری ورامینی شمیرانی رازی طبری""".split()


INDUSTRIES = """صنایع غذایی|بازرگانی|فولاد|پخش|فروشگاه‌های زنجیره‌ای|مهندسی ساختمان|کشت و صنعت|حمل و نقل
|داروسازی|نساجی|تجهیزات پزشکی|صنایع چوب|پتروشیمی|لبنیات|کاشی و سرامیک|الکترونیک|نرم‌افزاری|تولیدی
|مشاوره مدیریت|خدمات مالی|راه و ساختمان|صنایع بسته‌بندی|چاپ و نشر|آموزشی|گردشگری|کارگزاری
|تجارت الکترونیک|صنایع شیمیایی|رنگ و رزین|لوازم خانگی|مبلمان|پوشاک|کفش|آرایشی و بهداشتی
|قطعه‌سازی خودرو|ماشین‌سازی|سیمان|شیشه|کاغذ|پلاستیک|لاستیک|تاسیسات|آسانسور|ارتباطات|فناوری اطلاعات
|معدنی|کشاورزی|دامپروری|خشکبار|زعفران|فرش|طلا و جواهر|تبلیغاتی|صنایع فلزی|نیرو|انرژی|آب و فاضلاب
|داروخانه‌های زنجیره‌ای|توزیع قطعات|صادرات و واردات""".replace("\n", "").split("|")
BRANDS = """مهرگان البرز پارسیان آریا سپاهان نوین پویا کوثر افق ستاره دنا زاگرس کیان آسیا ایران پارس
سپید آفتاب مهتاب بهار تابان درخشان روشن رایان راهبرد پیشرو پیشگامان آینده امید اطلس الوند سهند سبلان
دماوند کارون هیرمند کاسپین خزر مازند گیلان آذر سیمرغ ققنوس هما شاهین عقاب آرمان پیروز ظفر نصر فجر
صبا نسیم باران رعد نور ماهان آسمان گوهر یاقوت الماس فیروزه زمرد مروارید نگین تاج کاوه رستم آرش کوروش
داریوش هخامنش پاسارگاد آپادانا ارگ سحر شفق پگاه سپیده مهر ماه خورشید کهکشان اختر ناهید تیرداد
آناهیتا اهورا میترا پرشین سامان ساسان اشکان مادها سورنا بردیا آرسام آرتین کیمیا اکسیر نوآوران
اندیشه فرهیختگان دانش بینش آگاه هوشمند توانا توان نیرومند استوار پایدار ماندگار جاوید سرمد ابتکار
خلاق نوآور پیشتاز بهین بهسازان رهپویان رهآورد کاروان آوا نوا ترنم آهنگ رنگین طراوت شکوفه گلستان
بوستان چمن سرو کاج چنار بلوط نارون افرا ارغوان یاس نیلوفر لاله سوسن شقایق بنفشه اطلسی""".split()
BRAND_TAILS = ["گستر", "سازان", "تجارت", "صنعت", "آفرین", "پرداز", "نگار", "آرا", "رسان", "اندیش", "تدبیر",
               "فن", "کار", "پژوه", "پویان", "ساز", "سیستم", "تک"]
LEGAL_PREFIX = ["شرکت", "گروه صنعتی", "موسسه"]
LEGAL_SUFFIX = ["(سهامی خاص)", "سهامی خاص", "(سهامی عام)", "با مسئولیت محدود", "(مسئولیت محدود)", "و شرکا"]

# City, weight (roughly the urban population, in percent).
CITIES = [("تهران", 25), ("مشهد", 8), ("اصفهان", 6), ("کرج", 5), ("شیراز", 5), ("تبریز", 5), ("اهواز", 4),
          ("قم", 4), ("کرمانشاه", 3), ("ارومیه", 3), ("رشت", 2.5), ("زاهدان", 2.5), ("کرمان", 2.5),
          ("همدان", 2), ("یزد", 2), ("اردبیل", 2), ("بندرعباس", 2), ("اراک", 2), ("زنجان", 1.5),
          ("قزوین", 1.5), ("سنندج", 1.5), ("خرم‌آباد", 1.5), ("گرگان", 1.5), ("ساری", 1.5), ("بوشهر", 1),
          ("بیرجند", 1), ("ایلام", 1), ("شهرکرد", 1), ("یاسوج", 1), ("سمنان", 1), ("بجنورد", 1)]
STREETS = """ولیعصر|انقلاب|آزادی|شریعتی|مطهری|طالقانی|بهشتی|جمهوری|امام خمینی|فاطمی|کارگر|جمالزاده
|مصدق|پاسداران|دماوند|پیروزی|نارمک|ستارخان|کاشانی|جلال آل احمد|کریمخان زند|حافظ|سعدی|فردوسی|مولوی
|هفت تیر|بهار|سمیه|نجات اللهی|ملاصدرا|ونک|گاندی|آفریقا|میرداماد|دولت|کلاهدوز|ظفر|سهروردی|بخارست
|وزرا|قائم مقام|مفتح|سپهبد قرنی|نوفل لوشاتو|منوچهری|لاله زار|ناصرخسرو|امام رضا|چمران|نواب""".replace("\n", "").split("|")
ALLEYS = """بهار نسترن یاس لاله نرگس گلستان شقایق ارغوان سرو چنار صنوبر پروین ستاره مهر سعادت
عدالت امید نیکو فرهنگ دانش""".split()
MOBILE_PREFIXES = ["0912", "0912", "0912", "0919", "0935", "0936", "0937", "0938", "0939", "0901", "0902",
                   "0910", "0911", "0913", "0914", "0915", "0916", "0917", "0918", "0990", "0921", "0922"]
AREA = {city: code for city, code in CITY_AREA_CODES.items()}

TITLES_MALE = ["آقای", "آقای", "آقای", "جناب آقای", "دکتر", "مهندس", "آقای مهندس", "آقای دکتر"]
TITLES_FEMALE = ["خانم", "خانم", "خانم", "سرکار خانم", "دکتر", "مهندس", "خانم دکتر", "خانم مهندس"]
ARABIC = str.maketrans({"ی": "ي", "ک": "ك"})
TO_FA = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
# Letters a typo puts in place of another: neighbours on the Persian keyboard and sound-alikes.
TYPO_LETTERS = "ابپتثجچحخدذرزژسشصضطظعغفقکگلمنوهی"


def weighted(items, offset: float):
    """Cumulative Zipf-like weights 1/(rank+offset): the first items are the common ones."""
    cum, total = [], 0.0
    for rank in range(len(items)):
        total += 1.0 / (rank + offset)
        cum.append(total)
    return cum


class Picker:
    def __init__(self, items, offset):
        self.items, self.cum = list(items), weighted(items, offset)

    def __call__(self, rng: random.Random):
        return self.items[bisect.bisect(self.cum, rng.random() * self.cum[-1])]


def _surnames(rng: random.Random) -> tuple[list[str], list[float]]:
    """About 150 common surnames (a quarter of people) and a long tail of ten thousand
    compound and place surnames (the rest): Iranian surnames are many, most of them rare."""
    head = list(dict.fromkeys(SURNAMES))
    tail = set()
    for root in COMPOUND_ROOTS:
        tail.add(root + "ی")
        for suffix in COMPOUND_SUFFIXES:
            tail.add(root + rng.choice([ZWNJ, ZWNJ, ""]) + suffix)
            tail.add(root + "ی" + ZWNJ + suffix)
    for prefix in SURNAME_PREFIXES:
        for root in COMPOUND_ROOTS:
            tail.add(prefix + rng.choice([ZWNJ, ""]) + root + "ی")
    tail.update(TOWNS)
    tail = sorted(tail - set(head))
    rng.shuffle(tail)
    h, t = weighted(head, 30), weighted(tail, 300)
    cum = [0.25 * w / h[-1] for w in h] + [0.25 + 0.75 * w / t[-1] for w in t]
    return head + tail, cum


def national_id(rng: random.Random) -> str:
    while True:
        code = f"{rng.randint(1, 999):03d}{rng.randint(1, 999999):06d}"
        total = sum(int(code[i]) * (10 - i) for i in range(9))
        rem = total % 11
        check = rem if rem < 2 else 11 - rem
        return code + str(check)


def company_id(rng: random.Random) -> str:
    code = f"1{rng.randint(0, 99):02d}{rng.randint(1, 999999):06d}{rng.randint(0, 9)}"
    decimal = int(code[9]) + 2
    coefficients = (29, 27, 23, 19, 17)
    rem = sum((int(code[i]) + decimal) * coefficients[i % 5] for i in range(10)) % 11
    return code + str(0 if rem == 10 else rem)


@dataclass
class Cust:
    """What the generator remembers of a customer (ids start at 1)."""
    kind: str                # person | organisation
    name: str
    organisation: str
    city: str
    national_id: str | None
    mobile: str | None       # local form 09xxxxxxxxx
    landline: str | None     # local form 0AAxxxxxxxx
    address: str
    gender: str = ""         # m | f for people
    parts: tuple = ()        # people: (first, last); companies: (prefix, industry, brand, suffix)


@dataclass
class Generated:
    customers: list[Cust]
    used_phones: set = field(default_factory=set)
    used_ids: set = field(default_factory=set)


class Maker:
    """Draws names, phones and IDs; phones and IDs are never reused."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.male, self.female = Picker(MALE, 4), Picker(FEMALE, 4)
        self.surname = Picker([], 1)
        self.surname.items, self.surname.cum = _surnames(random.Random(5))
        self.industry = Picker(INDUSTRIES, 8)
        self.brand = Picker(BRANDS, 30)
        self.city = Picker([c for c, _ in CITIES], 1)
        self.city_cum = list(itertools.accumulate(w for _, w in CITIES))
        self.used_phones: set[str] = set()
        self.used_ids: set[str] = set()

    def pick_city(self) -> str:
        return CITIES[bisect.bisect(self.city_cum, self.rng.random() * self.city_cum[-1])][0]

    def mobile(self) -> str:
        while True:
            number = self.rng.choice(MOBILE_PREFIXES) + f"{self.rng.randint(0, 9999999):07d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def landline(self, city: str) -> str:
        while True:
            number = "0" + AREA[city] + str(self.rng.randint(2, 8)) + f"{self.rng.randint(0, 9999999):07d}"
            if number not in self.used_phones:
                self.used_phones.add(number)
                return number

    def nid(self, kind: str) -> str:
        while True:
            value = national_id(self.rng) if kind == "person" else company_id(self.rng)
            if value not in self.used_ids:
                self.used_ids.add(value)
                return value

    def person_name(self, gender: str) -> tuple[str, str]:
        return (self.male if gender == "m" else self.female)(self.rng), self.surname(self.rng)

    def brand_name(self) -> str:
        rng = self.rng
        brand = self.brand(rng)
        roll = rng.random()
        if roll < 0.35:
            brand += rng.choice([" ", ZWNJ, ""]) + rng.choice(BRAND_TAILS)
        elif roll < 0.6:
            other = self.brand(rng)
            brand += "" if other == brand else " " + other
        return brand

    def company(self) -> tuple:
        rng = self.rng
        prefix = rng.choice(LEGAL_PREFIX) if rng.random() < 0.45 else ""
        suffix = rng.choice(LEGAL_SUFFIX) if rng.random() < 0.35 else ""
        return prefix, self.industry(rng), self.brand_name(), suffix

    def address(self, city: str) -> str:
        rng = self.rng
        parts = [f"خیابان {rng.choice(STREETS)}"]
        if rng.random() < 0.7:
            parts.append("کوچه " + (rng.choice(ALLEYS) if rng.random() < 0.5 else str(rng.randint(1, 40))))
        parts.append(f"پلاک {rng.randint(1, 350)}")
        if rng.random() < 0.4:
            parts.append(f"طبقه {rng.randint(1, 9)}")
            if rng.random() < 0.5:
                parts.append(f"واحد {rng.randint(1, 30)}")
        text_ = "، ".join(parts)
        return f"{city}، {text_}" if rng.random() < 0.3 else text_


def company_name(parts: tuple) -> str:
    prefix, industry, brand, suffix = parts
    return " ".join(p for p in (prefix, industry, brand, suffix) if p)


def generate(n: int, seed: int = 11) -> tuple[Generated, Maker]:
    rng = random.Random(seed)
    make = Maker(rng)
    out: list[Cust] = []
    for _ in range(n):
        city = make.pick_city()
        if rng.random() < 0.6:
            gender = "m" if rng.random() < 0.6 else "f"
            first, last = make.person_name(gender)
            org = company_name(make.company()) if rng.random() < 0.1 else ""
            out.append(Cust("person", f"{first} {last}", org, city,
                            make.nid("person") if rng.random() < 0.4 else None,
                            make.mobile() if rng.random() < 0.9 else None,
                            make.landline(city) if rng.random() < 0.25 else None,
                            make.address(city) if rng.random() < 0.7 else "", gender, (first, last)))
        else:
            parts = make.company()
            out.append(Cust("organisation", company_name(parts), "", city,
                            make.nid("organisation") if rng.random() < 0.4 else None,
                            make.mobile() if rng.random() < 0.4 else None,
                            make.landline(city) if rng.random() < 0.9 else None,
                            make.address(city) if rng.random() < 0.7 else "", "", parts))
    return Generated(out), make


def e164(local: str) -> str:
    return "+98" + local[1:]


def load(gen: Generated, batch: int = 5000) -> None:
    """Write parties, phones, addresses and customers with multi-row INSERTs."""
    now = utcnow()
    tables = (Party.__table__, PartyPhone.__table__, PartyAddress.__table__, Customer.__table__)
    phid = aid = 0
    rows: tuple[list, list, list, list] = ([], [], [], [])

    def flush():
        for table, chunk in zip(tables, rows):
            if chunk:
                db.session.execute(insert(table), chunk)
                chunk.clear()

    for i, c in enumerate(gen.customers, start=1):
        rows[0].append(dict(id=i, kind=c.kind, name=c.name, organisation=c.organisation, national_id=c.national_id,
                            email="", city=c.city, notes="", search_key=normalize(f"{c.name} {c.organisation}")[:420],
                            created_at=now))
        for kind, number in (("mobile", c.mobile), ("phone", c.landline)):
            if number:
                phid += 1
                rows[1].append(dict(id=phid, party_id=i, kind=kind, number=number, e164=e164(number)))
        if c.address:
            aid += 1
            rows[2].append(dict(id=aid, party_id=i, city=c.city, address=c.address, postal_code=""))
        rows[3].append(dict(id=i, party_id=i, registered_at=now - dt.timedelta(days=i % 900)))
        if len(rows[0]) >= batch:
            flush()
    flush()
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        for table in ("parties", "party_phones", "party_addresses", "crm_customers"):
            db.session.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                    f"(SELECT MAX(id) FROM {table}))"))
    db.session.execute(text("ANALYZE"))
    db.session.commit()


# --- rewritings --------------------------------------------------------------------------------

def typo(word: str, rng: random.Random) -> str:
    """One substitution, omission or insertion of a letter, never the first letter of a
    two-letter word (which would leave nothing to recognise)."""
    letters = [i for i, ch in enumerate(word) if ch not in (" ", ZWNJ)]
    if len(letters) < 3:
        return word
    i = rng.choice(letters[1:] if rng.random() < 0.8 else letters)
    op = rng.random()
    if op < 0.5:
        choices = [ch for ch in TYPO_LETTERS if ch != word[i]]
        return word[:i] + rng.choice(choices) + word[i + 1:]
    if op < 0.75:
        return word[:i] + word[i + 1:]
    return word[:i] + rng.choice(TYPO_LETTERS) + word[i:]


# Where reps split a word written together (or join one written apart): «عبدالهی» / «عبد اللهی»,
# «محمدرضا» / «محمد رضا», «حسین‌زاده» / «حسین زاده», «مهرگستر» / «مهر گستر».
SPLIT_PREFIXES = (*SURNAME_PREFIXES, "عبد", "ابو", "محمد", "علی", "غلام", "سید", "نصر", "فتح", "روح", "حبیب")
SPLIT_SUFFIXES = ("زاده", "پور", "نیا", "نژاد", "منش", "دوست", "پناه", "فرد", "آبادی", "نسب", "تبار", "بخش",
                  "گستر", "سازان", "تجارت", "صنعت", "آفرین", "پرداز", "نگار", "رسان", "اندیش", "تدبیر", "پژوه",
                  "پویان", "سیستم", "اللهی", "الهی", "رضا", "حسین", "علی", "مهدی")
# What may follow a prefix seam: a word of its own (not «میر زایی» out of «میرزایی»).
AFTER_PREFIX = {*SURNAMES, *MALE, *(r + "ی" for r in COMPOUND_ROOTS), "اللهی", "الهی"}


def split_word(word: str, rng: random.Random) -> str:
    """A word written together split at a known seam, sometimes with «الله» spelt «اله» (or
    the reverse) as people write it; the word itself when it has no seam."""
    seams = [len(p) for p in SPLIT_PREFIXES
             if word.startswith(p) and (word[len(p):] in AFTER_PREFIX or p in ("عبد", "ابو") and len(word) - len(p) >= 3)]
    seams += [len(word) - len(s) for s in SPLIT_SUFFIXES if word.endswith(s) and len(word) - len(s) >= 3]
    if not seams:
        return word
    i = rng.choice(seams)
    out = word[:i] + " " + word[i:]
    if "الله" in out and rng.random() < 0.3:
        out = out.replace("الله", "اله")
    elif "اله" in out and "الله" not in out and rng.random() < 0.3:
        out = out.replace("اله", "الله")
    return out


def respace(text_: str, rng: random.Random) -> str:
    """A half-space written as a space or as nothing; else one word written together split at
    a seam («عبدالهی» → «عبد اللهی»)."""
    if ZWNJ in text_:
        return text_.replace(ZWNJ, rng.choice([" ", ""]))
    words = text_.split(" ")
    spots = [i for i, w in enumerate(words) if split_word(w, random.Random(0)) != w]
    if spots:
        i = rng.choice(spots)
        words[i] = split_word(words[i], rng)
    return " ".join(words)


def can_respace(text_: str) -> bool:
    return ZWNJ in text_ or any(split_word(w, random.Random(0)) != w for w in text_.split(" "))


def typo_in_one_word(name: str, rng: random.Random, skip: set[str]) -> str:
    words = name.split(" ")
    spots = [i for i, w in enumerate(words) if len(w) >= 3 and normalize(w) not in skip and w not in skip]
    if not spots:
        return name
    i = rng.choice(spots)
    words[i] = typo(words[i], rng)
    return " ".join(words)


LEGAL_WORDS = {normalize(w) for f in LEGAL_PREFIX + LEGAL_SUFFIX for w in f.replace("(", " ").replace(")", " ").split()}


def rewrite_person(c: Cust, rng: random.Random, applied: list[str]) -> str:
    name = c.name
    wanted = []
    while not wanted:
        wanted = [w for w, p in (("arabic", 0.4), ("title", 0.35), ("order", 0.2), ("typo", 0.25),
                                 ("space", 0.6 if can_respace(name) else 0)) if rng.random() < p]
    if "space" in wanted:
        name = respace(name, rng)
    if "typo" in wanted:
        name = typo_in_one_word(name, rng, set())
    if "order" in wanted:
        words = name.split(" ")
        name = rng.choice([" ".join(words[1:] + words[:1]), " ".join(words[1:]) + "، " + words[0]])
    if "title" in wanted:
        name = rng.choice(TITLES_MALE if c.gender == "m" else TITLES_FEMALE) + " " + name
    if "arabic" in wanted:
        name = name.translate(ARABIC)
    applied.extend(wanted)
    return name


def rewrite_company(c: Cust, rng: random.Random, applied: list[str]) -> str:
    prefix, industry, brand, suffix = c.parts
    wanted = []
    while not wanted:
        wanted = [w for w, p in (("arabic", 0.4), ("legal", 0.6), ("order", 0.1), ("typo", 0.25),
                                 ("space", 0.6 if can_respace(f"{industry} {brand}") else 0)) if rng.random() < p]
    if "legal" in wanted:
        prefix = "" if prefix and rng.random() < 0.6 else rng.choice(LEGAL_PREFIX[:1] * 3 + LEGAL_PREFIX)
        suffix = "" if suffix and rng.random() < 0.6 else rng.choice(LEGAL_SUFFIX + [""])
    if "space" in wanted:
        industry, brand = respace(industry, rng), respace(brand, rng)
    core_ = f"{brand} {industry}" if "order" in wanted else f"{industry} {brand}"
    if "typo" in wanted:
        core_ = typo_in_one_word(core_, rng, set())
    name = " ".join(p for p in (prefix, core_, suffix) if p)
    if "arabic" in wanted:
        name = name.translate(ARABIC)
    applied.extend(wanted)
    return name


def phone_format(local: str, rng: random.Random, city_known: bool) -> str:
    """The same number the way people type it."""
    rest = local[1:]
    mobile = local.startswith("09")
    forms = ["+98" + rest, "0098" + rest, "98" + rest, local.translate(TO_FA), f"+98 {rest[:3]} {rest[3:6]} {rest[6:]}"]
    if mobile:
        forms += [f"{local[:4]}-{local[4:7]}-{local[7:]}", f"{local[:4]} {local[4:]}".translate(TO_FA)]
    else:
        code_len = len(local) - 8
        forms += [f"({local[:code_len]}) {local[code_len:code_len + 4]}-{local[code_len + 4:]}",
                  f"{local[:code_len]}-{local[code_len:]}"]
        if city_known:
            forms += [local[code_len:], local[code_len:].translate(TO_FA)]  # no area code: the city gives it
    return rng.choice(forms)


ADDRESS_ABBR = [("خیابان ", "خ "), ("خیابان ", "خ."), ("کوچه ", "ک "), ("کوچه ", "ک."), ("پلاک ", "پ "),
                ("پلاک ", "پلاک")]


def rewrite_address(address: str, city: str, rng: random.Random) -> str:
    text_ = address
    if text_.startswith(city + "، "):
        text_ = text_[len(city) + 2:]
    elif rng.random() < 0.3:
        text_ = f"{city}، {text_}"
    for long, short in ADDRESS_ABBR:
        if long in text_ and rng.random() < 0.3:
            text_ = text_.replace(long, short)
    if rng.random() < 0.5:
        text_ = text_.replace("، ", rng.choice([" ", " - ", ", "]))
    if rng.random() < 0.5:
        text_ = text_.translate(TO_FA)
    if rng.random() < 0.3:  # floor and unit left out
        text_ = text_.split("طبقه")[0].rstrip(" ،,-")
    return text_


# --- the labelled set --------------------------------------------------------------------------

POSITIVE_MIX = [("phone", 0.35), ("name+address", 0.30), ("name+city", 0.10), ("national_id", 0.25)]
NEGATIVE_MIX = [("same surname", 0.30), ("same first name", 0.20), ("same company, other city", 0.20),
                ("namesake, other national ID", 0.15), ("same industry, other brand", 0.15)]


class NameIndex:
    """Cleaned names of the generated customers by (city, word), to check that a near-miss
    has no customer in its city that could be the same one, by a measure of its own (not the
    detector's): the same words, the words of one inside the other's, or at most two letters
    apart (words sorted, or written together)."""

    def __init__(self, gen: Generated):
        from plugins.crm.services.match_keys import comparable_name
        self.clean = comparable_name
        self.ids: dict[tuple[str, str], list[int]] = {}
        self.names: dict[tuple[str, str], list[str]] = {}
        for i, c in enumerate(gen.customers):
            city = normalize(c.city)
            for nm in {comparable_name(c.name), comparable_name(c.organisation)}:
                if not nm:
                    continue
                for token in set(nm.split()):
                    self.ids.setdefault((city, token), []).append(i)
                    self.names.setdefault((city, token), []).append(nm)

    def clashes(self, name: str, city: str, allow=None) -> bool:
        q = self.clean(name)
        if not q:
            return True
        words, joined = set(q.split()), q.replace(" ", "")
        city = normalize(city)
        for token in words:
            names = self.names.get((city, token), ())
            ids = self.ids.get((city, token), ())
            near = {pos for _nm, _d, pos in process.extract(q, names, scorer=Levenshtein.distance, score_cutoff=2,
                                                             limit=None)}
            for pos, nm in enumerate(names):
                other = set(nm.split())
                if (pos in near or words <= other or other <= words
                        or Levenshtein.distance(joined, nm.replace(" ", ""), score_cutoff=2) <= 2):
                    if not (allow and allow(ids[pos])):
                        return True
        return False


def _query(name="", city="", phones=(), national_id="", address="", organisation=""):
    data = {"name": name, "city": city}
    if organisation:
        data["organisation"] = organisation
    if phones:
        data["phones"] = [{"number": p} for p in phones]
    if national_id:
        data["national_id"] = national_id
    if address:
        data["address"] = address
    return data


def _pick(mix, rng):
    roll, acc = rng.random(), 0.0
    for name, share in mix:
        acc += share
        if roll < acc:
            return name
    return mix[-1][0]


def labelled_set(gen: Generated, make: Maker, positives: int = 1000, negatives: int = 500,
                 seed: int = 23) -> list[dict]:
    rng = random.Random(seed)
    make.rng = rng
    customers = gen.customers
    queries: list[dict] = []
    # Positives: a rewritten duplicate of an existing customer.
    while sum(q["label"] == "positive" for q in queries) < positives:
        cid = rng.randint(1, len(customers))
        c = customers[cid - 1]
        group = _pick(POSITIVE_MIX, rng)
        applied: list[str] = []
        name = rewrite_person(c, rng, applied) if c.kind == "person" else rewrite_company(c, rng, applied)
        if group == "phone":
            phones = [p for p in (c.mobile, c.landline) if p]
            if not phones:
                continue
            phone = rng.choice(phones)
            data = _query(name=name, city=c.city if rng.random() < 0.8 else "",
                          phones=[phone_format(phone, rng, city_known=True)])
            if not data["city"] and not phone.startswith("09"):
                data["phones"] = [{"number": phone_format(phone, rng, city_known=False)}]
            applied.append("phone format")
        elif group == "name+city":
            data = _query(name=name, city=c.city)
        elif group == "name+address":
            if not c.address:
                continue
            data = _query(name=name, city=c.city, address=rewrite_address(c.address, c.city, rng))
            applied.append("address rewritten")
        else:
            if not c.national_id:
                continue
            nid = c.national_id.translate(TO_FA) if rng.random() < 0.6 else c.national_id
            data = _query(name=name, city=c.city if rng.random() < 0.5 else "", national_id=nid)
            applied.append("national ID")
        queries.append({"label": "positive", "group": group, "truth": cid, "data": data, "rewrites": applied,
                        "original": c.name})
    # Negatives: near-misses, checked against every customer of the city.
    index = NameIndex(gen)
    tries = 0
    while sum(q["label"] == "negative" for q in queries) < negatives:
        tries += 1
        cid = rng.randint(1, len(customers))
        c = customers[cid - 1]
        group = _pick(NEGATIVE_MIX, rng)
        city, allow = c.city, None
        if group in ("same surname", "same first name", "namesake, other national ID"):
            if c.kind != "person":
                continue
            first, last = c.parts
            if group == "same surname":
                first = make.person_name(c.gender)[0]
            elif group == "same first name":
                last = make.person_name(c.gender)[1]
            name = f"{first} {last}"
            if group == "namesake, other national ID":
                # The same name in the same city, another person: every namesake there must
                # carry a national ID of its own, else nothing could tell them apart.
                if not c.national_id:
                    continue
                def allow(i):
                    return bool(customers[i].national_id) and customers[i].kind == "person"
                data = _query(name=name, city=city, phones=[make.mobile()], national_id=make.nid("person"))
            else:
                data = _query(name=name, city=city, phones=[make.mobile()])
        elif group == "same company, other city":
            if c.kind != "organisation":
                continue
            city = make.pick_city()
            if city == c.city:
                continue
            name = c.name
            data = _query(name=name, city=city, phones=[make.landline(city)])
        else:  # same industry, other brand
            if c.kind != "organisation":
                continue
            prefix, industry, _brand, suffix = c.parts
            name = company_name((prefix, industry, make.brand_name(), suffix))
            data = _query(name=name, city=city, phones=[make.landline(city)])
        if index.clashes(name, city, allow):
            continue
        queries.append({"label": "negative", "group": group, "truth": None, "data": data, "rewrites": [],
                        "original": c.name})
    rng.shuffle(queries)
    return queries
