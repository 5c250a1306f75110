"""Reservations waiting to be issued, an order's reservations, goods issue (خروج کالا) and the
printable issue slip (برگهٔ خروج کالا)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import settings
from core.access import can, permission_required
from core.db import db
from core.exports import FORMATS, export_response
from core.forms import FlaskForm
from core.persian import to_persian_digits
from core.validation import ValidationError
from core.views.helpers import Page, page_args
from plugins.inventory.models import Warehouse
from plugins.inventory.services import queries
from plugins.inventory.services import reservations as reservation_service
from plugins.inventory.views import bp, int_arg


def _queue_warehouse(houses) -> int | None:
    """`?warehouse=all` shows every warehouse; with no choice, a storekeeper sees the warehouse
    of their own office (when it has exactly one), everyone else every warehouse."""
    chosen = request.args.get("warehouse", "")
    if chosen == "all":
        return None
    if chosen:
        return int_arg("warehouse")
    own = [w for w in houses if w.active and w.office_id and w.office_id == current_user.office_id]
    return own[0].id if len(own) == 1 else None


@bp.route("/reservations")
@permission_required("inventory.orders")
def reservations():
    houses = queries.warehouses()
    warehouse_id = _queue_warehouse(houses)
    q = request.args.get("q", "").strip()[:100]
    stmt = queries.waiting_query(warehouse_id, q, viewer=current_user)
    page_no, size = page_args()
    total = queries.count(stmt)
    groups = queries.waiting_groups(db.session.execute(stmt.limit(size).offset((page_no - 1) * size)).all())
    counts = {w.id: queries.waiting_count(w.id, current_user) for w in houses}
    return render_template("inventory/queue.html", page=Page(groups, total, page_no, size), houses=houses,
                           warehouse_id=warehouse_id, q=q, counts=counts, all_count=sum(counts.values()))


@bp.route("/orders/<path:order_ref>")
@permission_required("inventory.view")
def order_reservations(order_ref):
    rows = queries.order_reservations(order_ref)
    if not rows:
        abort(404)
    by_warehouse: dict[int, list] = {}
    for r in rows:
        by_warehouse.setdefault(r.warehouse_id, []).append(r)
    # The customer and the slips (which name them) for those who may see both.
    show_customer = can(current_user, "inventory.orders") and queries.count(
        queries.reservations_query(order_ref=order_ref, open_only=False, viewer=current_user)) > 0
    slips = db.session.scalars(queries.issues_query(order_ref=order_ref, viewer=current_user)).all() \
        if show_customer else []
    return render_template("inventory/order.html", order_ref=order_ref, number=rows[0].order_number,
                           party=rows[0].party if show_customer else None, by_warehouse=by_warehouse, slips=slips,
                           units=queries.slip_units(s.id for s in slips), show_customer=show_customer)


@bp.route("/issue/<int:warehouse_id>/<path:order_ref>", methods=["GET", "POST"])
@permission_required("inventory.operate")
def issue(warehouse_id, order_ref):
    """The «خروج کالا» form: one order, one warehouse, a quantity per open line (full by default,
    any part of it allowed); the slip prints after."""
    warehouse = db.session.get(Warehouse, warehouse_id)
    group = queries.issue_group(order_ref, warehouse_id) if warehouse else None
    if group is None:
        if warehouse is not None and queries.order_reservations(order_ref):
            flash("برای این سفارش در این انبار رزرو بازی نمانده است.", "info")
            return redirect(url_for("inventory.order_reservations", order_ref=order_ref))
        abort(404)
    typed = {}
    notes = ""
    if request.method == "POST":
        form = FlaskForm()
        typed = {key[4:]: value for key, value in request.form.items() if key.startswith("qty-")}
        notes = request.form.get("notes", "")
        if not form.validate_on_submit():
            flash("فرم منقضی شده است؛ دوباره بفرستید.", "danger")
        else:
            try:
                slip = reservation_service.issue(typed, current_user, notes, order_ref=order_ref,
                                                 warehouse_id=warehouse_id)
            except ValidationError as exc:
                db.session.rollback()
                for message in exc.errors.values():
                    flash(message, "danger")
                group = queries.issue_group(order_ref, warehouse_id) or group
            else:
                flash(f"برگهٔ خروج شمارهٔ {to_persian_digits(slip.number)} ثبت شد و موجودی کم شد.", "success")
                return redirect(url_for("inventory.slip", number=slip.number))
    return render_template("inventory/issue.html", group=group, typed=typed, notes=notes)


@bp.route("/issues")
@permission_required("inventory.orders")
def issues():
    warehouse_id = int_arg("warehouse")
    q = request.args.get("q", "").strip()[:100]
    stmt = queries.issues_query(warehouse_id, q, viewer=current_user)
    fmt = request.args.get("export")
    if fmt:
        slips = db.session.scalars(stmt).all()
        units = queries.slip_units(s.id for s in slips)
        numbers = queries.order_numbers(s.order_ref for s in slips)
        return export_response("inventory-issues", [
            ("شمارهٔ برگه", lambda s: s.number), ("تاریخ", lambda s: s.created_at),
            ("انبار", lambda s: s.warehouse.name), ("مشتری", lambda s: s.party.name),
            ("سفارش", lambda s: numbers.get(s.order_ref) or s.order_ref), ("تعداد اقلام", lambda s: units.get(s.id, 0)),
            ("انباردار", lambda s: s.created_by.full_name if s.created_by else ""), ("توضیح", lambda s: s.notes),
        ], slips, fmt if fmt in FORMATS else "csv")
    page_no, size = page_args()
    total = queries.count(stmt)
    slips = db.session.scalars(stmt.limit(size).offset((page_no - 1) * size)).all()
    return render_template("inventory/issues.html", page=Page(slips, total, page_no, size), q=q,
                           warehouse_id=warehouse_id, houses=queries.warehouses(),
                           units=queries.slip_units(s.id for s in slips), numbers=queries.order_numbers(s.order_ref for s in slips))


@bp.route("/issues/<int:number>")
@permission_required("inventory.orders")
def slip(number):
    found = queries.slip(number, current_user)
    if found is None:
        abort(404)
    issue, order_number, lines = found
    size = "a4" if request.args.get("size") == "a4" else "a5"
    return render_template("inventory/slip.html", issue=issue, order_number=order_number, lines=lines, size=size,
                           total=sum(li.quantity for li in lines), company=settings.get("core.company_name"))
