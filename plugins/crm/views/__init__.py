"""CRM screens. Views parse input, call a service, render."""
from flask import Blueprint

bp = Blueprint("crm", __name__, url_prefix="/crm", template_folder="../templates")

from plugins.crm.views import customers, duplicates, leads, lists, reports, workbench  # noqa: E402,F401
from plugins.crm.views import opportunities, tasks  # noqa: E402,F401
from plugins.crm.views import sales  # noqa: E402,F401
