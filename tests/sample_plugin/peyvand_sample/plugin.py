"""Hook implementations only: one of every kind of contribution."""
from __future__ import annotations

import os

import click
from flask.cli import with_appcontext
from markupsafe import Markup, escape
from sqlalchemy import func, select

from core.db import db
from core.plugins import MenuItem, PeriodicTask, Permission, Setting, hookimpl
from peyvand_sample.models import Note  # the table joins the metadata when the plugin loads

HERE = os.path.dirname(os.path.abspath(__file__))


def count_notes() -> int:
    """The periodic task: read-only, so running it twice changes nothing."""
    return db.session.scalar(select(func.count()).select_from(Note))


@hookimpl
def register_blueprints(app):
    from peyvand_sample.views import bp
    return [bp]


@hookimpl
def register_permissions():
    return [Permission("sample.view", "دیدن یادداشت‌های نمونه", roles=("administrator",))]


@hookimpl
def menu_items(user):
    return [MenuItem("sample.index", "نمونه", "sample.index", permission="sample.view", icon="stars", order=500)]


@hookimpl
def settings_schema():
    return [Setting("sample.greeting", "پیام خوشامد نمونه", "str", "سلام از افزونهٔ نمونه")]


@hookimpl
def periodic_tasks():
    return [PeriodicTask("sample.count_notes", count_notes, interval=600, description="شمارش یادداشت‌ها")]


@hookimpl
def migration_locations():
    return [os.path.join(HERE, "migrations")]


@hookimpl
def template_slot(slot, context):
    if slot != "core.home":
        return None
    user = context.get("user")
    return Markup('<div class="col-12" id="sample-slot">{}</div>').format(
        escape(f"یادداشت نمونه برای {user.username}" if user else "یادداشت نمونه"))


@click.group("sample")
def sample_cli():
    """Sample plugin commands."""


@sample_cli.command("add-note")
@click.argument("text")
@with_appcontext
def add_note(text):
    db.session.add(Note(text=text))
    db.session.commit()
    click.echo(f"notes: {count_notes()}")


@hookimpl
def cli_commands():
    return [sample_cli]
