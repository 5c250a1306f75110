"""Duplicate customers on screen: the live check while a rep types (nothing stored), the audit
of the warnings shown (administrator and inspector), and the whole-database scan with its review,
where an administrator merges a pair or marks it as different. Views parse input, call a service,
render."""
from __future__ import annotations

import logging

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core.access import permission_required
from core.db import db
from core.exports import export_response
from core.persian import to_ascii_digits, to_persian_digits
from core.ui import number
from core.validation import ValidationError
from core.views.helpers import Page, get_or_404, page_args, paginate
from plugins.crm.forms import CustomerForm
from plugins.crm.models import STATUS_LABELS, DuplicateScan
from plugins.crm.services import dup_audit, dup_review
from plugins.crm.services import reports as report_service
from plugins.crm.services.duplicates import find_duplicates
from plugins.crm.services.negotiations import NotFound
from plugins.crm.services.visibility import can_see_customer
from plugins.crm.views import bp
from plugins.crm.views.reports import _export_format, date_range

log = logging.getLogger(__name__)

MAX_PHONES = 10  # a form has four phone inputs; more is not a person typing


def _int(value) -> int | None:
    text = to_ascii_digits(str(value or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else None


# --- 1. the live check on the registration form -------------------------------------------------

def typed_candidate() -> dict:
    """The candidate as typed so far in the registration form (POSTed by htmx or with a button
    of the form): only parsed here; the matcher ignores what it cannot use."""
    form = CustomerForm(meta={"csrf": False})
    data = form.service_data()
    data["phones"] = data["phones"][:MAX_PHONES]
    return data


def _area_code() -> str | None:
    return current_user.office.area_code if current_user.office else None


def _matches_shown(data: dict) -> tuple[list, list[dict]]:
    matches = find_duplicates(data, office_area_code=_area_code())
    return matches, dup_audit.describe(matches, current_user)


@bp.route("/customers/duplicate-check", methods=["POST"])
@permission_required("crm.register")
def duplicate_check():
    """The matches for what the rep has typed so far, as the warning on submit would show them.
    Stores nothing; an unusable candidate gives an empty answer, never an error."""
    _matches, shown = _matches_shown(typed_candidate())
    visible = {m["customer_id"] for m in shown if can_see_customer(current_user, m["customer_id"])}
    return render_template("crm/duplicates/_live.html", shown=shown, visible_matches=visible)


def remember_live_match(customer_id: int) -> bool:
    """«ثبت فروش تازه» pressed on a match of the live check: if what the rep typed really
    matches `customer_id`, store the warning as shown (the proof that the rep was shown this
    customer, as for a warning on submit). Returns whether it did."""
    return dup_review.record_live_match(typed_candidate(), current_user, customer_id, _area_code())


# --- 2. the audit of warnings shown -------------------------------------------------------------

def _warning_columns():
    def matches(w):
        return "؛ ".join(f"{m.get('name', '')} ({m.get('score', '')}) — {m.get('owner') or '—'}, "
                         f"{m.get('status_label') or '—'}"
                         + (f", {' '.join(m['phones'])}" if m.get("phones") else "")
                         + f": {'، '.join(m.get('reasons') or [])}"
                         for m in (w.matches or []))

    return [
        ("شناسه", lambda w: w.id),
        ("زمان", lambda w: w.created_at),
        ("کاربر", lambda w: w.user.full_name if w.user else ""),
        ("نام واردشده", lambda w: w.candidate_name),
        ("تلفن‌های واردشده", lambda w: "، ".join((w.candidate or {}).get("phones") or [])),
        ("کد ملی واردشده", lambda w: (w.candidate or {}).get("national_id", "")),
        ("شهر واردشده", lambda w: (w.candidate or {}).get("city", "")),
        ("تعداد مشابه‌ها", lambda w: len(w.matches or [])),
        ("مشتریان مشابه", matches),
        ("تکراری نبودن تأیید شد", lambda w: "بله" if w.dismissed_at else "خیر"),
        ("زمان تأیید", lambda w: w.dismissed_at),
        ("شناسهٔ مشتری ثبت‌شده", lambda w: w.customer_id or ""),
        ("مشتری ثبت‌شده", lambda w: w.customer.party.name if w.customer else ""),
    ]


@bp.route("/duplicates/warnings")
@permission_required("crm.duplicates_audit")
def duplicates_audit():
    form, start, end = date_range(optional=True)
    dismissed = request.args.get("dismissed", "")
    dismissed = dismissed if dismissed in ("yes", "no") else ""
    filters = dict(user_id=_int(request.args.get("user")), text=request.args.get("q", "").strip()[:200],
                   dismissed={"yes": True, "no": False}.get(dismissed))
    stmt = None
    if not form.errors:
        bounds = report_service.bounds(start, end) if start else (None, None)
        stmt = dup_review.warnings_query(start=bounds[0], end=bounds[1], **filters)
    fmt = _export_format()
    if fmt and stmt is not None:
        return export_response("duplicate-warnings", _warning_columns(), db.session.scalars(stmt).unique(), fmt)
    return render_template("crm/duplicates/audit.html", form=form, page=paginate(stmt) if stmt is not None else None,
                           users=dup_review.warning_users(), filters=filters, dismissed=dismissed)


@bp.route("/customers/<int:customer_id>/duplicate-audit")
@permission_required("crm.duplicates_audit")
def duplicate_audit(customer_id):
    try:
        audit = dup_review.customer_audit(customer_id)
    except NotFound:
        abort(404)
    fmt = _export_format()
    if fmt:
        rows = {w.id: w for w in audit["named"] + audit["shown_when_registered"]}
        return export_response(f"duplicate-warnings-customer-{customer_id}", _warning_columns(),
                               sorted(rows.values(), key=lambda w: (w.created_at, w.id), reverse=True), fmt)
    return render_template("crm/duplicates/customer_audit.html", **audit,
                           kept_id=dup_review.kept_customer_id(customer_id))


# --- 3. whole-database scans and their review ---------------------------------------------------

@bp.route("/duplicates/scans")
@permission_required("crm.merge")
def duplicate_scans():
    page = paginate(dup_review.scans_query())
    return render_template("crm/duplicates/scans.html", page=page,
                           open_pairs=dup_review.open_pair_counts(s.id for s in page.items),
                           running=dup_review.running_scan(), labels=dup_review.SCAN_STATUS_LABELS)


@bp.route("/duplicates/scans/start", methods=["POST"])
@permission_required("crm.merge")
def start_duplicate_scan():
    try:
        scan = dup_review.start_scan(current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
        return redirect(url_for("crm.duplicate_scans"))
    except Exception:  # the job itself failed (inline, without Redis): it marked the scan failed
        db.session.rollback()
        log.exception("duplicate scan failed")
        flash("بررسی با خطا متوقف شد؛ جزئیات در گزارش خطای سامانه ثبت شد.", "danger")
        return redirect(url_for("crm.duplicate_scans"))
    scan_id = scan.id
    db.session.rollback()  # the job ran in a transaction of its own: read what it committed
    scan = db.session.get(DuplicateScan, scan_id)
    if scan.status == "done":
        flash(f"بررسی انجام شد: {number(scan.checked)} مشتری بررسی و {number(scan.pairs)} جفت احتمالاً "
              "تکراری پیدا شد.", "success")
        return redirect(url_for("crm.duplicate_scan", scan_id=scan.id))
    flash("بررسی در پس‌زمینه آغاز شد؛ وضعیت آن در همین صفحه به‌روز می‌شود.", "info")
    return redirect(url_for("crm.duplicate_scans"))


def _cluster_page(scan_id: int, status: str) -> Page:
    page, size = page_args()
    stmt = dup_review.cluster_numbers_query(scan_id, status)
    numbers = list(db.session.scalars(stmt))
    chosen = numbers[(page - 1) * size: page * size]
    return Page(dup_review.load_clusters(scan_id, chosen), len(numbers), page, size)


@bp.route("/duplicates/scans/<int:scan_id>")
@permission_required("crm.merge")
def duplicate_scan(scan_id):
    scan = get_or_404(DuplicateScan, scan_id)
    status = "all" if request.args.get("show") == "all" else "open"
    return render_template("crm/duplicates/scan.html", scan=scan, page=_cluster_page(scan_id, status), show=status,
                           labels=dup_review.SCAN_STATUS_LABELS, pair_labels=dup_review.PAIR_STATUS_LABELS,
                           open_pairs=dup_review.open_pair_counts([scan_id]).get(scan_id, 0),
                           STATUS_LABELS=STATUS_LABELS)


def _back_to_scan(pair_id: int, scan_id: int):
    target = request.form.get("next", "")
    if not target.startswith(f"/crm/duplicates/scans/{scan_id}"):
        target = url_for("crm.duplicate_scan", scan_id=scan_id)
    return redirect(target)


def _pair_scan_id(pair_id: int) -> int:
    from plugins.crm.models import DuplicatePair
    return get_or_404(DuplicatePair, pair_id).scan_id


@bp.route("/duplicates/pairs/<int:pair_id>/merge", methods=["POST"])
@permission_required("crm.merge")
def merge_pair(pair_id):
    scan_id = _pair_scan_id(pair_id)
    kept_id = _int(request.form.get("kept"))
    if kept_id is None:
        abort(404)
    try:
        record = dup_review.merge_pair(pair_id, kept_id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(f"ادغام انجام نشد: {exc}", "danger")
    else:
        flash(f"ادغام انجام شد؛ {to_persian_digits(record.moved.get('negotiations', 0))} مذاکره و "
              f"{to_persian_digits(record.moved.get('log_entries', 0))} مذاکرهٔ درج‌شده به مشتری "
              "نگه‌داشته‌شده منتقل شد.", "success")
    return _back_to_scan(pair_id, scan_id)


@bp.route("/duplicates/pairs/<int:pair_id>/different", methods=["POST"])
@permission_required("crm.merge")
def mark_pair_different(pair_id):
    scan_id = _pair_scan_id(pair_id)
    try:
        dup_review.mark_different(pair_id, current_user)
    except NotFound:
        db.session.rollback()
        abort(404)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash("این دو مشتری «متفاوت» علامت خوردند؛ بررسی‌های بعدی هم آن‌ها را دوباره پیشنهاد نمی‌کنند.", "success")
    return _back_to_scan(pair_id, scan_id)
