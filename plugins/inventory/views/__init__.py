"""Warehouse staff's screens: stock, the queue of reservations waiting to be issued, goods issue
and its printable slip, receipts, counts, transfers, the movement ledger, warehouses and reorder
levels. Views parse input, call a service, render; the services decide."""
from __future__ import annotations

from flask import Blueprint, render_template, request
from flask_login import current_user
from markupsafe import Markup

from core.access import can
from core.persian import to_ascii_digits
from plugins.inventory.models import MOVE_KINDS

bp = Blueprint("inventory", __name__, url_prefix="/inventory", template_folder="../templates")

KIND_COLOURS = {"receipt": "success", "reservation": "info", "release": "secondary", "issue": "primary",
                "adjustment": "warning", "transfer_out": "dark", "transfer_in": "dark"}


@bp.context_processor
def _inventory_helpers():
    return dict(MOVE_KINDS=MOVE_KINDS, KIND_COLOURS=KIND_COLOURS, order_label=order_label)


def order_label(order_ref: str, number: int | None) -> str:
    """«سفارش ۴۲» for a CRM order, the reference itself for anything else."""
    if number is not None:
        return f"سفارش {number}"
    return order_ref


def int_arg(name: str, default: int | None = None) -> int | None:
    text = to_ascii_digits(str(request.args.get(name, "") or "")).strip()
    return int(text) if text.isdigit() and len(text) < 12 else default


def customer_panel(customer, user):
    """Open reservations of a customer on its CRM profile (the `customer_panels` hook)."""
    if not can(user, "inventory.view"):
        return []
    from plugins.inventory.services.queries import customer_open_reservations
    rows = customer_open_reservations(customer.party_id)
    if not rows:
        return []
    orders: dict[str, list] = {}
    for r in rows:
        orders.setdefault(r.order_ref, []).append(r)
    return [{"title": "رزروهای انبار", "order": 30,
             "html": Markup(render_template("inventory/_customer_panel.html", orders=orders,
                                            units=sum(r.remaining for r in rows), user=current_user))}]


from plugins.inventory.views import admin, issues, moves, operations, stock  # noqa: E402,F401
