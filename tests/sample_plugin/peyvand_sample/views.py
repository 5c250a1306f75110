"""The plugin's screens; imported inside the `register_blueprints` hook, never at import time."""
from __future__ import annotations

from flask import Blueprint, render_template
from sqlalchemy import func, select

from core import settings
from core.access import permission_required
from core.db import db
from peyvand_sample.models import Note

bp = Blueprint("sample", __name__, url_prefix="/sample", template_folder="templates")


@bp.route("/")
@permission_required("sample.view")
def index():
    count = db.session.scalar(select(func.count()).select_from(Note))
    return render_template("sample/index.html", greeting=settings.get("sample.greeting"), count=count)
