"""The core's screens. Views parse input, call a service, render; nothing more."""
from flask import Blueprint

core_bp = Blueprint("core", __name__)
admin_bp = Blueprint("core_admin", __name__, url_prefix="/admin")

from core.views import account, admin_org, admin_products, admin_system, admin_users  # noqa: E402,F401
