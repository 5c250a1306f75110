"""Finance staff's screens: invoices, receipts and their allocation, cheques due, customer
accounts and printable statements, credit limits; and the finance panel of the CRM customer
page. Views parse input, call a service, render."""
from __future__ import annotations

from flask import Blueprint, render_template
from markupsafe import Markup
from sqlalchemy import select

from core.access import can
from core.db import db
from core.jalali import today_tehran
from plugins.finance.models import METHODS, CreditLimit, Receipt
from plugins.finance.services import accounts as account_service

bp = Blueprint("finance", __name__, url_prefix="/finance", template_folder="../templates")

# The screens register their routes on `bp` (`common`: the template filters and labels).
from plugins.finance.views import accounts, cheques, common, credit, invoices, receipts  # noqa: E402,F401


def customer_panel(customer, user):
    """Balance, credit, ageing, open invoices and payment history on the CRM customer page.

    `customer` is the CRM's Customer row handed over by the `customer_panels` hook: its
    `party_id` and `category_id` (and the category's name, for the category-limit link) are all
    finance reads from it."""
    if not can(user, "finance.view"):
        return []
    party_id = customer.party_id
    category_id = getattr(customer, "category_id", None)
    category = getattr(customer, "category", None)
    info = account_service.credit_info(party_id, category_id)
    open_invoices = db.session.scalars(account_service.open_invoices(party_id).limit(8)).all()
    receipts_ = db.session.scalars(select(Receipt).where(Receipt.party_id == party_id)
                                   .order_by(Receipt.received_on.desc(), Receipt.id.desc()).limit(5)).all()
    html = render_template("finance/_customer_panel.html", info=info, invoices=open_invoices, receipts=receipts_,
                           ageing=account_service.ageing(party_id), party_id=party_id, category_id=category_id,
                           category_name=getattr(category, "name", "") if category is not None else "",
                           own_limit=db.session.get(CreditLimit, party_id),
                           may_receive=can(user, "finance.receipts"), may_limit=can(user, "finance.credit"),
                           today=today_tehran(), methods=METHODS)
    return [{"title": "حساب مالی مشتری", "order": 20, "html": Markup(html)}]
