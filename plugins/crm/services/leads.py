"""Leads from every channel: capture (UI, API, public web form, import), assignment,
qualification into a customer and a negotiation (the opportunity), disqualification.

Every lead goes through duplicate detection against customers (the same matcher as
registration) and against open leads (same phone or same cleaned name in the same city).
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import case, func, or_, select
from sqlalchemy.orm import joinedload

from core.access import can, subordinate_ids
from core.db import begin_write, db, in_values
from core.jalali import utcnow
from core.persian import normalize, to_ascii_digits
from core.phones import PhoneError, area_code_for, canonical, is_mobile
from core.validation import Checker, ValidationError
from plugins.crm.models import LEAD_CHANNELS, NEED_LEVELS, Customer, Lead, ListItem, Negotiation
from plugins.crm.services import customers as customer_service
from plugins.crm.services.duplicates import find_duplicates, find_duplicates_many
from plugins.crm.services.match_keys import comparable_name
from plugins.crm.services.negotiations import NotFound

OPEN = ("new", "assigned")
LISTS = {"queue": "صف سرنخ‌ها", "my": "سرنخ‌های من", "all": "همهٔ سرنخ‌ها"}
# Channels a person types in by hand; web_form, import and api are set by those channels.
MANUAL_CHANNELS = ("manual", "phone", "exhibition", "referral", "campaign")
WEB_FORM_FIELDS = {"name": "name", "mobile": "mobile", "email": "email", "city": "city", "message": "notes"}


class RateLimited(Exception):
    """Too many web-form leads from one address in the last hour."""


def clean(data: dict, area_code: str | None = None) -> tuple[dict, dict]:
    """Validate lead fields; returns (values, errors). Nothing is written."""
    c = Checker(data)
    values = {
        "name": c.text("name", "نام", required=True, max_len=200),
        "organisation": c.text("organisation", "سازمان", max_len=200),
        "email": c.text("email", "ایمیل", max_len=200),
        "city": c.text("city", "شهر", max_len=80),
        "notes": c.text("notes", "یادداشت", max_len=10000),
        "kind": c.text("kind", "نوع", max_len=12) or "person",
        "channel": c.text("channel", "کانال", max_len=16) or "manual",
        "need_level": c.text("need_level", "سطح نیاز", max_len=8) or "medium",
        "score": c.integer("score", "امتیاز", minimum=0, maximum=100, default=0),
    }
    if values["kind"] not in ("person", "organisation"):
        c.fail("kind", "نوع باید حقیقی یا حقوقی باشد.")
    if values["channel"] not in LEAD_CHANNELS:
        c.fail("channel", "کانال ورود سرنخ معتبر نیست.")
    if values["need_level"] not in NEED_LEVELS:
        c.fail("need_level", "سطح نیاز باید کم، متوسط یا زیاد باشد.")
    if values["email"] and "@" not in values["email"]:
        c.fail("email", "ایمیل معتبر نیست.")
    area = area_code_for(values["city"]) or area_code
    for field in ("phone", "mobile"):
        raw = c.text(field, "تلفن همراه" if field == "mobile" else "تلفن", max_len=40)
        values[field], values[f"{field}_e164"] = raw, None
        if raw:
            try:
                e164 = canonical(raw, area)
                if field == "mobile" and not is_mobile(e164):
                    c.fail(field, "این شماره، تلفن همراه نیست.")
                values[f"{field}_e164"] = e164
            except PhoneError as exc:
                c.fail(field, str(exc))
    if not (values["phone"] or values["mobile"] or values["email"]) and "name" not in c.errors:
        c.fail("mobile", "دست‌کم یک راه تماس (تلفن همراه، تلفن یا ایمیل) لازم است.")
    category_id = c.integer("category_id", "دسته‌بندی")
    if category_id:
        item = db.session.get(ListItem, category_id)
        if item is None or item.kind != "category":
            c.fail("category_id", "دسته‌بندی انتخاب‌شده معتبر نیست.")
    values["category_id"] = category_id or None
    values["search_key"] = normalize(f"{values['name']} {values['organisation']}")[:420]
    return values, c.errors


def _as_candidate(values: dict) -> dict:
    """A cleaned lead as the duplicate check's candidate."""
    return {"name": values["name"], "organisation": values.get("organisation", ""), "city": values.get("city", ""),
            "phones": [{"number": values[f], "kind": f} for f in ("mobile", "phone") if values.get(f)]}


def lead_duplicates(values: dict, exclude_id: int | None = None) -> dict:
    """Customers and open leads that look like this lead."""
    customers = find_duplicates(_as_candidate(values), limit=5)
    e164s = [values[f] for f in ("mobile_e164", "phone_e164") if values.get(f)]
    conditions = []
    if e164s:
        conditions += [Lead.mobile_e164.in_(e164s), Lead.phone_e164.in_(e164s)]
    name = comparable_name(values["name"])
    candidates = db.session.scalars(select(Lead).where(
        Lead.status.in_(OPEN), or_(*conditions) if conditions else Lead.search_key == values["search_key"],
        Lead.id != (exclude_id or 0)).limit(20)).all()
    if name:
        candidates += db.session.scalars(select(Lead).where(
            Lead.status.in_(OPEN), Lead.search_key == values["search_key"],
            func.lower(Lead.city) == values.get("city", "").lower(), Lead.id != (exclude_id or 0)).limit(20)).all()
    leads = sorted({lead.id: lead for lead in candidates}.values(), key=lambda lead: lead.id)
    return {"customers": customers, "leads": leads}


def lead_duplicates_many(values_list: list[dict], index=None) -> list[dict]:
    """`lead_duplicates` for many leads at once (the file import): the same answers, as
    {"customers": [Match], "leads": [lead id]} per lead, with the database asked a few
    set-based questions instead of three per lead. Open leads: every phone and every cleaned
    name of the batch in one query each; customers: `find_duplicates_many` (`index`, a
    `match_index.Candidates`, keeps what it read for the file's next batches)."""
    if not values_list:
        return []
    customers = find_duplicates_many([_as_candidate(v) for v in values_list], limit=5, index=index)
    by_phone: dict[str, set[int]] = {}
    by_key: dict[str, list[tuple[int, str]]] = {}
    e164s = sorted({v[f] for v in values_list for f in ("mobile_e164", "phone_e164") if v.get(f)})
    for i in range(0, len(e164s), 1000):
        part = e164s[i:i + 1000]
        for lead_id, mobile, phone in db.session.execute(select(Lead.id, Lead.mobile_e164, Lead.phone_e164).where(
                Lead.status.in_(OPEN), or_(in_values(Lead.mobile_e164, part), in_values(Lead.phone_e164, part)))):
            for number in (mobile, phone):
                if number:
                    by_phone.setdefault(number, set()).add(lead_id)
    # Names as an IN list: with one array parameter PostgreSQL plans a scan of every lead.
    keys = sorted({v["search_key"] for v in values_list})
    for i in range(0, len(keys), 1000):
        for lead_id, key, city in db.session.execute(select(Lead.id, Lead.search_key, func.lower(Lead.city)).where(
                Lead.status.in_(OPEN), Lead.search_key.in_(keys[i:i + 1000]))):
            by_key.setdefault(key, []).append((lead_id, city))
    out = []
    for values, matches in zip(values_list, customers):
        numbers = [values[f] for f in ("mobile_e164", "phone_e164") if values.get(f)]
        same_key = by_key.get(values["search_key"], [])
        if numbers:
            ids = set().union(*(by_phone.get(n, set()) for n in numbers))
        else:
            ids = {lead_id for lead_id, _city in same_key}
        if comparable_name(values["name"]):
            city = values.get("city", "").lower()
            ids |= {lead_id for lead_id, lead_city in same_key if lead_city == city}
        out.append({"customers": matches, "leads": sorted(ids)})
    return out


def create(data: dict, actor=None, *, channel: str | None = None, office_id: int | None = None,
           source_ip: str = "", commit: bool = True) -> Lead:
    """Capture a lead. With an actor who may take leads, it is theirs; otherwise it waits
    unassigned in its office's queue."""
    if channel:
        data = {**data, "channel": channel}
    values, errors = clean(data, actor.office.area_code if actor is not None and actor.office else None)
    if errors:
        raise ValidationError(errors)
    owner = data.get("owner_id")
    lead = Lead(**values, office_id=office_id or (actor.office_id if actor is not None else None),
                created_by_id=actor.id if actor is not None else None, source_ip=source_ip[:64])
    if owner:
        _check_assignee(int(owner), actor)
        lead.owner_id, lead.status = int(owner), "assigned"
    db.session.add(lead)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return lead


def _check_assignee(user_id: int, actor) -> None:
    from core.models.org import User
    user = db.session.get(User, user_id)
    if user is None or not user.active:
        raise ValidationError({"owner_id": "کاربر انتخاب‌شده وجود ندارد یا غیرفعال است."})
    if not can(user, "crm.leads"):
        raise ValidationError({"owner_id": "کاربر انتخاب‌شده اجازهٔ کار با سرنخ‌ها را ندارد."})
    if actor is not None and user_id != actor.id and not can(actor, "crm.leads_assign") \
            and user_id not in subordinate_ids(actor.id):
        raise ValidationError({"owner_id": "شما فقط می‌توانید سرنخ را به خود یا زیردستانتان واگذار کنید."})


def visible(user):
    """Leads `user` may see: own and subordinates', the office's (its unassigned queue, and with
    the office scope all of it), or all (scope_all) — the customers' visibility rules."""
    from core.access import scope_of
    scope = scope_of(user, "crm")
    if scope == "all":
        return select(Lead)
    ids = [user.id, *subordinate_ids(user.id)]
    office = Lead.office_id == user.office_id
    return select(Lead).where(or_(Lead.owner_id.in_(ids),
                                  office if scope == "office" else (Lead.owner_id.is_(None) & office)))


def get_visible(lead_id: int, user) -> Lead:
    lead = db.session.scalar(visible(user).where(Lead.id == lead_id))
    if lead is None:
        raise NotFound("سرنخ پیدا نشد.")
    return lead


def assign(lead_id: int, user_id: int, actor) -> Lead:
    """Assign (or take, when `user_id` is the actor) an open lead; two takers: one wins."""
    begin_write()
    lead = db.session.scalar(visible(actor).where(Lead.id == lead_id).with_for_update())
    if lead is None:
        raise NotFound("سرنخ پیدا نشد.")
    if lead.status not in OPEN:
        raise ValidationError("این سرنخ دیگر باز نیست.")
    if lead.owner_id is not None and lead.owner_id != user_id and not may_manage(lead, actor):
        raise ValidationError("این سرنخ را همکار دیگری برداشته است.")
    _check_assignee(user_id, actor)
    lead.owner_id, lead.status = user_id, "assigned"
    db.session.commit()
    return lead


def disqualify(lead_id: int, reason_id: int | None, note: str, actor) -> Lead:
    lead = get_visible(lead_id, actor)
    if lead.status not in OPEN:
        raise ValidationError("این سرنخ دیگر باز نیست.")
    if lead.owner_id is not None and not may_manage(lead, actor):
        raise ValidationError("فقط صاحب سرنخ یا مدیران او می‌توانند آن را رد صلاحیت کنند.")
    reason = db.session.get(ListItem, reason_id) if reason_id else None
    if reason is None or reason.kind != "disqualify" or not reason.active:
        raise ValidationError({"reason_id": "دلیل رد صلاحیت را از فهرست انتخاب کنید."})
    if len(note or "") > 400:
        raise ValidationError({"note": "توضیح نباید بیش از ۴۰۰ نویسه باشد."})
    lead.status, lead.disqualify_reason_id, lead.disqualify_note = "disqualified", reason.id, (note or "").strip()
    db.session.commit()
    return lead


def qualify(lead_id: int, actor, *, customer_id: int | None = None, confirmed_not_duplicate: bool = False,
            opportunity: dict | None = None) -> Negotiation:
    """Turn a lead into an opportunity: register a customer (or use an existing one the rep
    may claim / re-sell to) and open the owner's negotiation under the Saba rules."""
    lead = get_visible(lead_id, actor)
    if lead.status not in OPEN:
        raise ValidationError("این سرنخ پیش‌تر تبدیل یا رد شده است.")
    owner = lead.owner if lead.owner is not None else actor
    if owner.id != actor.id and owner.id not in subordinate_ids(actor.id) and not can(actor, "crm.leads_assign"):
        raise ValidationError("فقط صاحب سرنخ یا مدیران او می‌توانند آن را تبدیل کنند.")
    from plugins.crm.services import pipeline
    # Everything typed is checked before anything is registered (registration commits).
    opportunity_values = pipeline.clean_opportunity(opportunity) if opportunity else None
    if customer_id is not None and not _may_use_customer(customer_id, lead, actor):
        raise NotFound("مشتری پیدا نشد.")
    lead_id, data = lead.id, {
        "kind": lead.kind, "name": lead.name, "organisation": lead.organisation, "email": lead.email,
        "city": lead.city, "notes": lead.notes, "category_id": lead.category_id,
        "phones": [{"number": lead.mobile, "kind": "mobile"}] * bool(lead.mobile)
        + [{"number": lead.phone, "kind": "phone"}] * bool(lead.phone)}
    if customer_id is not None:
        negotiation = _open_on_existing(customer_id, owner, actor)
    else:
        negotiation = customer_service.register(data, owner, confirmed_not_duplicate=confirmed_not_duplicate,
                                                via="lead")
    lead = db.session.get(Lead, lead_id)
    lead.status, lead.qualified_at = "qualified", utcnow()
    lead.customer_id, lead.negotiation_id, lead.owner_id = negotiation.customer_id, negotiation.id, owner.id
    if opportunity_values:
        pipeline.apply_opportunity(negotiation, opportunity_values)
    db.session.commit()
    return negotiation


def _may_use_customer(customer_id: int, lead: Lead, actor) -> bool:
    """Qualify onto an existing customer: one the actor may see (the free pool included), or
    one of this lead's duplicate matches (how a rep learns of another rep's won customer)."""
    from plugins.crm.services.visibility import can_see_customer
    if can_see_customer(actor, customer_id):
        return True
    return any(m.customer_id == customer_id for m in duplicates_of(lead)["customers"])


def _open_on_existing(customer_id: int, owner, actor) -> Negotiation:
    """Qualify onto an existing customer: claim it from the pool, or a new sale on a won one."""
    from plugins.crm.services import negotiations
    customer = db.session.get(Customer, customer_id)
    current = db.session.get(Negotiation, customer.current_negotiation_id) if customer and customer.current_negotiation_id else None
    if customer is None or current is None:
        raise NotFound("مشتری پیدا نشد.")
    if current.in_pool:
        return negotiations.claim(customer_id, owner)
    if current.effective_status == "won":
        return customer_service.register({}, owner, reopen_customer_id=customer_id)
    raise ValidationError("این مشتری همین حالا در حال مذاکره است؛ سرنخ را به‌عنوان تکراری رد کنید.")


def parse_date_any(value) -> dt.date | None:
    """Jalali or Gregorian, in the common formats people type (used by the import)."""
    from core.jalali import JalaliDateError, parse_date
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = to_ascii_digits(str(value)).strip()
    text = text.split("T")[0].split(" ")[0]  # a time after the date (Excel cells, ISO) is not needed
    text = text.replace("-", "/").replace(".", "/")
    parts = text.split("/")
    if len(parts) == 3 and all(p.isdigit() for p in parts):
        a, b, c = (int(p) for p in parts)
        if a > 1700:  # Gregorian year first
            return dt.date(a, b, c)
        if c > 1700:  # day/month/Gregorian year
            return dt.date(c, b, a)
        if c > 1200 and a <= 31:  # day/month/Jalali year
            text = f"{c}/{b}/{a}"
    try:
        return parse_date(text)
    except JalaliDateError:
        raise ValueError("تاریخ را به شکل ۱۴۰۳/۰۵/۱۲ یا 2024-08-02 بنویسید.") from None


# --- lists, duplicates of a stored lead, who may be assigned ------------------------------------

def may_manage(lead: Lead, actor) -> bool:
    """The lead's owner, those above the owner, and holders of `crm.leads_assign`."""
    return lead.owner_id == actor.id or can(actor, "crm.leads_assign") \
        or (lead.owner_id is not None and lead.owner_id in subordinate_ids(actor.id))


NEED_ORDER = case({"low": 1, "medium": 2, "high": 3}, value=Lead.need_level, else_=0)
SORTS = {"created": Lead.created_at, "name": Lead.search_key, "score": Lead.score, "need": NEED_ORDER,
         "status": Lead.status, "channel": Lead.channel, "city": Lead.city}


def lead_list(user, which: str = "all", *, q: str = "", status: str = "", channel: str = "",
              need_level: str = "", owner_id: int | None = None, category_id: int | None = None,
              created_from: dt.date | None = None, created_to: dt.date | None = None, sort: str = "-created"):
    """SELECT Lead for one list (the office's queue of unassigned leads, mine, all I may see),
    searched by normalised name/organisation or phone digits, filtered and sorted. Created
    dates are Tehran days, both ends included."""
    from core.access import scope_of
    from plugins.crm.models import LEAD_STATUSES
    from plugins.crm.services.reports import midnight_utc
    stmt = visible(user).options(joinedload(Lead.owner), joinedload(Lead.category), joinedload(Lead.office))
    if which == "queue":
        stmt = stmt.where(Lead.owner_id.is_(None), Lead.status == "new")
        if user.office_id is not None or scope_of(user, "crm") != "all":
            stmt = stmt.where(Lead.office_id == user.office_id)
    elif which == "my":
        stmt = stmt.where(Lead.owner_id == user.id)
    if q:
        from core.persian import like_pattern
        digits = "".join(ch for ch in to_ascii_digits(q) if ch.isdigit())
        conditions = [Lead.search_key.like(like_pattern(q), escape="\\"), func.lower(Lead.email) == q.strip().lower()]
        if len(digits) >= 4:
            pattern = f"%{digits.lstrip('0')}%"
            conditions += [Lead.mobile_e164.like(pattern), Lead.phone_e164.like(pattern)]
        stmt = stmt.where(or_(*conditions))
    if status in LEAD_STATUSES and which != "queue":
        stmt = stmt.where(Lead.status == status)
    if channel in LEAD_CHANNELS:
        stmt = stmt.where(Lead.channel == channel)
    if need_level in NEED_LEVELS:
        stmt = stmt.where(Lead.need_level == need_level)
    if owner_id:
        stmt = stmt.where(Lead.owner_id == owner_id)
    if category_id:
        stmt = stmt.where(Lead.category_id == category_id)
    if created_from is not None:
        stmt = stmt.where(Lead.created_at >= midnight_utc(created_from))
    if created_to is not None:
        stmt = stmt.where(Lead.created_at < midnight_utc(created_to + dt.timedelta(days=1)))
    key = sort.lstrip("-") if sort.lstrip("-") in SORTS else "created"
    column = SORTS[key]
    descending = sort.startswith("-") or sort.lstrip("-") not in SORTS
    return stmt.order_by(column.desc() if descending else column.asc(), Lead.id.desc())


def values_of(lead: Lead) -> dict:
    """A stored lead as the values `lead_duplicates` compares."""
    return {"name": lead.name, "organisation": lead.organisation, "city": lead.city, "mobile": lead.mobile,
            "phone": lead.phone, "mobile_e164": lead.mobile_e164, "phone_e164": lead.phone_e164,
            "search_key": lead.search_key}


def duplicates_of(lead: Lead) -> dict:
    """Customers and other open leads that look like this stored lead."""
    return lead_duplicates(values_of(lead), exclude_id=lead.id)


def assignable_users(actor, lead: Lead | None = None) -> list:
    """Whom `actor` may hand a lead to: self and subordinates; with `crm.leads_assign` also
    everyone in the lead's office. Active users who may work with leads, by name."""
    from core.models.org import GroupPermission, User, user_groups
    ids = [actor.id, *subordinate_ids(actor.id)]
    with_leads = select(user_groups.c.user_id).join(
        GroupPermission, GroupPermission.group_id == user_groups.c.group_id).where(GroupPermission.permission == "crm.leads")
    stmt = select(User).where(User.active.is_(True), or_(User.is_superuser.is_(True), User.id.in_(with_leads))) \
        .order_by(User.last_name, User.first_name)
    if can(actor, "crm.leads_assign"):
        office = lead.office_id if lead is not None and lead.office_id else actor.office_id
        stmt = stmt.where(or_(User.id.in_(ids), User.office_id == office))
    else:
        stmt = stmt.where(User.id.in_(ids))
    return list(db.session.scalars(stmt))


# --- the public web form -----------------------------------------------------------------------

def web_form_office(office_id: int):
    """The active office a web form posts to, or NotFound."""
    from core.models.org import Office
    office = db.session.get(Office, office_id)
    if office is None or not office.active:
        raise NotFound("دفتر پیدا نشد.")
    return office


def web_form_recent(source_ip: str) -> int:
    """Web-form leads from this address in the last hour (kept in the database, so every
    worker process counts the same)."""
    since = utcnow() - dt.timedelta(hours=1)
    return db.session.scalar(select(func.count(Lead.id)).where(
        Lead.channel == "web_form", Lead.source_ip == (source_ip or "")[:64], Lead.created_at >= since)) or 0


def capture_web_form(office_id: int, form: dict, source_ip: str) -> Lead:
    """A lead from the public form: only its own fields are read (nothing like an owner or a
    score can be posted), the address's hourly limit is checked first (`RateLimited`), then
    the fields (`ValidationError`); the lead waits in the office's queue."""
    from core import settings
    office = web_form_office(office_id)
    if web_form_recent(source_ip) >= int(settings.get("crm.web_form_per_hour")):
        raise RateLimited()
    data = {target: str(form.get(source) or "") for source, target in WEB_FORM_FIELDS.items()}
    return create(data, None, channel="web_form", office_id=office.id, source_ip=source_ip or "")
