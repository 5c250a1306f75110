"""Parties (customers): people and organisations with phones, addresses and national IDs.

The CRM registers customers through `save_party`; the search key and canonical phones are
kept here so every plugin matches customers the same way.
"""
from __future__ import annotations

from flask_babel import gettext as _, lazy_gettext as _l

from core.db import db
from core.models.parties import Party, PartyAddress, PartyPhone
from core.persian import normalize, to_ascii_digits, valid_company_id, valid_national_id
from core.phones import PhoneError, area_code_for, canonical
from core.validation import Checker

KINDS = (("person", _l("شخص حقیقی")), ("organisation", _l("شخص حقوقی (سازمان)")))


def save_party(data: dict, party: Party | None = None, *, office_area_code: str | None = None,
               commit: bool = True) -> Party:
    """Validate and save. `data["phones"]` is a list of `{"number", "kind"}`;
    `data["addresses"]` a list of `{"city", "address", "postal_code"}`."""
    c = Checker(data)
    kind = c.text("kind", _("نوع"), required=True, max_len=12)
    if kind and kind not in dict(KINDS):
        c.fail("kind", _("نوع مشتری باید حقیقی یا حقوقی باشد."))
    name = c.text("name", _("نام"), required=True, max_len=200)
    organisation = c.text("organisation", _("عنوان سازمان"), max_len=200)
    email = c.text("email", _("ایمیل"), max_len=200)
    city = c.text("city", _("شهر"), max_len=80)
    notes = c.text("notes", _("یادداشت"), max_len=10000)
    national_id = to_ascii_digits(c.text("national_id", _("کد/شناسهٔ ملی"), max_len=11))
    if national_id:
        ok = valid_company_id(national_id) if kind == "organisation" else valid_national_id(national_id)
        if not ok:
            c.fail("national_id", _("شناسهٔ ملی معتبر نیست (۱۱ رقم).") if kind == "organisation"
                   else _("کد ملی معتبر نیست (۱۰ رقم)."))
    area = area_code_for(city) or office_area_code
    phones = []
    for i, row in enumerate(data.get("phones") or []):
        number = str(row.get("number") or "").strip()
        if not number:
            continue
        if len(number) > 40:
            c.fail(f"phones-{i}", _("شماره تلفن بیش از حد بلند است."))
            continue
        try:
            phones.append((row.get("kind") or "phone", number, canonical(number, area)))
        except PhoneError as exc:
            c.fail(f"phones-{i}", str(exc))
    addresses = []
    for i, row in enumerate(data.get("addresses") or []):
        text = str(row.get("address") or "").strip()
        if not text:
            continue
        if len(text) > 2000:
            c.fail(f"addresses-{i}", _("نشانی بیش از حد بلند است."))
        addresses.append((str(row.get("city") or city)[:80], text[:2000], to_ascii_digits(str(row.get("postal_code") or ""))[:10]))
    c.done()

    party = party or Party()
    party.kind, party.name, party.organisation = kind, name, organisation
    party.email, party.city, party.notes = email, city, notes
    party.national_id = national_id or None
    party.search_key = normalize(f"{name} {organisation}")[:420]
    for key in ("created_by_id", "office_id"):
        if key in data:
            setattr(party, key, data[key])
    party.phones = [PartyPhone(kind=k, number=n, e164=e) for k, n, e in phones]
    party.addresses = [PartyAddress(city=ci, address=a, postal_code=p) for ci, a, p in addresses]
    db.session.add(party)
    if commit:
        db.session.commit()
    else:
        db.session.flush()
    return party
