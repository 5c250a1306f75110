"""Support staff's screens: my tickets, the team queue, all tickets, overdue tickets; the ticket
page (notes, attachments, status, assignment); the new-ticket form with its customer search;
categories. Also what the plugin shows on other pages: the customer panel, the one-click
buttons of the CRM's customer and order pages, the home-page card. Views parse input, call a
service, render; the services decide."""
from __future__ import annotations

from flask import Blueprint, render_template, url_for
from flask_login import current_user
from markupsafe import Markup
from werkzeug.routing import BuildError

from core.access import can
from plugins.support.models import CHANNEL_ICONS, CHANNELS, PRIORITIES, STATUSES

bp = Blueprint("support", __name__, url_prefix="/support", template_folder="../templates")

STATUS_COLOURS = {"new": "primary", "in_progress": "info", "waiting_customer": "warning", "resolved": "success",
                  "closed": "secondary", "reopened": "danger"}
STATUS_ICONS = {"new": "star", "in_progress": "gear", "waiting_customer": "hourglass-split", "resolved": "check2-circle",
                "closed": "archive", "reopened": "arrow-counterclockwise"}
# The button that moves a ticket into a status reads as an action.
STATUS_ACTIONS = {"in_progress": "شروع رسیدگی", "waiting_customer": "منتظر مشتری", "resolved": "حل شد",
                  "closed": "بستن", "reopened": "بازگشایی"}


def order_label(order_ref: str | None, number: int | None) -> str:
    if not order_ref:
        return ""
    return f"سفارش {number}" if number is not None else order_ref


def order_url(order_ref: str | None) -> str | None:
    """A link to the order's own page when the CRM serves it and the user may open it; the
    reference is only a string, so with the CRM absent this is simply None."""
    if not order_ref or not order_ref.startswith("crm.order:") or not can(current_user, "crm.customers"):
        return None
    try:
        return url_for("crm.order", order_id=int(order_ref.split(":", 1)[1]))
    except (BuildError, ValueError):
        return None


@bp.context_processor
def _support_helpers():
    return dict(STATUSES=STATUSES, PRIORITIES=PRIORITIES, CHANNELS=CHANNELS, CHANNEL_ICONS=CHANNEL_ICONS,
                STATUS_COLOURS=STATUS_COLOURS, STATUS_ICONS=STATUS_ICONS, STATUS_ACTIONS=STATUS_ACTIONS,
                order_label=order_label, order_url=order_url)


# --- on other plugins' pages -------------------------------------------------------------------

def customer_panel(customer, user):
    """The customer's tickets on the CRM customer page (open first), with a new-ticket link.
    Only `customer.party_id` is read: the CRM already checked that `user` may see the customer."""
    if not can(user, "support.view"):
        return []
    from plugins.support.services import queries
    party_id = customer.party_id
    rows, open_count, hidden = queries.customer_tickets(party_id, user)
    html = render_template("support/_customer_panel.html", rows=rows, open_count=open_count, hidden=hidden,
                           party_id=party_id, may_create=can(user, "support.create"), **_support_helpers())
    title = "درخواست‌های پشتیبانی"
    return [{"title": title, "html": Markup(html), "order": 40}]


def new_ticket_url(party_id: int, order=None) -> str:
    args = {"party_id": party_id}
    if order is not None:
        args.update(order_ref=f"crm.order:{order.id}", order_number=order.number)
    return url_for("support.new_ticket", **args)


def slot_button(slot: str, context: dict):
    """«درخواست پشتیبانی تازه» on the CRM's customer page (`crm.customer.actions`, context
    `customer`) and order page (`crm.order.actions`, context `order`), opening the new-ticket
    form with the customer (and order) already filled in."""
    if not can(current_user, "support.create"):
        return None
    if slot == "crm.customer.actions":
        customer = context.get("customer")
        party_id = getattr(customer, "party_id", None)
        order = None
    else:
        order = context.get("order")
        party_id = getattr(getattr(order, "customer", None), "party_id", None)
    if party_id is None:
        return None
    return Markup(render_template("support/_action_button.html", url=new_ticket_url(party_id, order),
                                  slot=slot))


def home_card(user):
    """The agent's open tickets on the home page (`core.home` slot)."""
    if user is None or not getattr(user, "is_authenticated", False) or not can(user, "support.work"):
        return None
    from sqlalchemy import case

    from core.db import db
    from core.jalali import utcnow
    from plugins.support.models import Ticket
    from plugins.support.services import queries
    stmt = queries.ticket_query(user, "mine", queries.Filters(status="open"))
    paused_last = case((Ticket.status == "waiting_customer", 1), else_=0)
    rows = list(db.session.scalars(stmt.order_by(paused_last, Ticket.due_at, Ticket.id).limit(6)).unique())
    return Markup(render_template("support/_home.html", rows=rows, counts=queries.tab_counts(user), now=utcnow(),
                                  **_support_helpers()))


from plugins.support.views import admin, tickets  # noqa: E402,F401
