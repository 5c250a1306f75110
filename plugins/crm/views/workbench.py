"""The rep workbench panels shown on the home page (template slot `core.home`)."""
from __future__ import annotations

from flask import render_template
from markupsafe import Markup

from core.access import can
from plugins.crm.services import reports


def workbench_panels(user, **_context):
    """A row of Bootstrap columns for users who work with customers; nothing for the others."""
    if user is None or not getattr(user, "is_authenticated", False) or not can(user, "crm.customers"):
        return Markup("")
    from plugins.crm.views.tasks import workbench_tasks
    tasks_panel = render_template("crm/tasks/_workbench.html", wt=workbench_tasks(user)) if can(user, "crm.log") else ""
    return Markup(tasks_panel) + Markup(render_template("crm/workbench.html", wb=reports.workbench(user),
                                                        level_labels=reports.LEVEL_LABELS))
