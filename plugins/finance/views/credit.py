"""Credit limits (`finance.credit`): a customer's own limit (customer search), and the limits of
customer categories.

The categories are the CRM's master list and finance may not import the CRM, so this screen
cannot list them. A category limit is keyed by the CRM's category id (the one `order_confirmed`
and `customer_credit` carry) and keeps the category's name as the CRM showed it: the finance
panel on a CRM customer page — which receives the customer with its category — links here with
both filled in («سقف اعتبار دستهٔ …»). Typing an id by hand stays possible for integrators."""
from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user

from core import settings
from core.access import permission_required
from core.db import db
from core.forms import apply_errors, form_data
from core.models.parties import Party
from core.persian import to_persian_digits
from core.validation import ValidationError
from plugins.finance.models import CategoryLimit, CreditLimit
from plugins.finance.services import limits, queries
from plugins.finance.views import bp
from plugins.finance.views.common import int_arg
from plugins.finance.views.forms import CategoryLimitForm, CustomerLimitForm


def _render(customer_form: CustomerLimitForm, category_form: CategoryLimitForm, loose: list[str], status: int = 200):
    party_id = customer_form.party_id.data
    return render_template(
        "finance/credit.html", customer_form=customer_form, category_form=category_form, loose=loose,
        parties=queries.find_parties(current_user, "", selected=party_id),
        customer_rows=db.session.execute(limits.customer_limits(current_user)).all(),
        category_rows=db.session.scalars(limits.category_limits()).all(),
        default_limit=int(settings.get("finance.default_credit_limit"))), status


@bp.route("/credit")
@permission_required("finance.credit")
def credit():
    customer_form, category_form = CustomerLimitForm(formdata=None), CategoryLimitForm(formdata=None)
    party_id = int_arg(request.args.get("party"))
    if party_id:
        customer_form.party_id.data = party_id
        own = db.session.get(CreditLimit, party_id)
        customer_form.limit.data = own.limit if own else None
    category_id = int_arg(request.args.get("category"))
    if category_id:
        category_form.category_id.data = category_id
        row = db.session.get(CategoryLimit, category_id)
        category_form.name.data = request.args.get("category_name", "")[:120] or (row.name if row else "")
        category_form.limit.data = row.limit if row else None
    return _render(customer_form, category_form, [])


@bp.route("/credit/customers", methods=["POST"])
@permission_required("finance.credit")
def credit_customer_save():
    form = CustomerLimitForm()
    if form.validate_on_submit():
        try:
            row = limits.set_customer_limit(form_data(form), current_user)
        except ValidationError as exc:
            db.session.rollback()
            loose = apply_errors(form, exc)
        else:
            party = db.session.get(Party, row.party_id)
            flash(f"سقف اعتبار «{party.name}» ثبت شد.", "success")
            return redirect(url_for("finance.credit"))
    else:
        loose = []
    return _render(form, CategoryLimitForm(formdata=None), loose, 422)


@bp.route("/credit/customers/<int:party_id>/remove", methods=["POST"])
@permission_required("finance.credit")
def credit_customer_remove(party_id):
    try:
        limits.remove_customer_limit(party_id, current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash("سقف جداگانهٔ مشتری برداشته شد؛ از این پس سقف دسته‌بندی یا سقف پیش‌فرض برایش به کار می‌رود.", "success")
    return redirect(url_for("finance.credit"))


@bp.route("/credit/categories", methods=["POST"])
@permission_required("finance.credit")
def credit_category_save():
    form = CategoryLimitForm()
    if form.validate_on_submit():
        try:
            row = limits.set_category_limit(form_data(form), current_user)
        except ValidationError as exc:
            db.session.rollback()
            loose = apply_errors(form, exc)
        else:
            flash(f"سقف اعتبار دستهٔ «{row.name or to_persian_digits(row.category_id)}» ثبت شد.", "success")
            return redirect(url_for("finance.credit"))
    else:
        loose = []
    return _render(CustomerLimitForm(formdata=None), form, loose, 422)


@bp.route("/credit/categories/<int:category_id>/remove", methods=["POST"])
@permission_required("finance.credit")
def credit_category_remove(category_id):
    try:
        limits.remove_category_limit(category_id, current_user)
    except ValidationError as exc:
        db.session.rollback()
        flash(str(exc), "danger")
    else:
        flash("سقف دسته‌بندی برداشته شد.", "success")
    return redirect(url_for("finance.credit"))
