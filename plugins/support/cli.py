"""`peyvand support …` commands (for cron and operators)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("support")
def support():
    """Support: SLA sweeps."""


@support.command("sweep")
@with_appcontext
def sweep():
    """Flag tickets past their SLA due time and notify their assignees (idempotent)."""
    from plugins.support.services.sla import sweep as run
    click.echo(f"درخواست‌های با مهلت گذشته: {run()}")
