"""`peyvand crm …` commands (for cron and operators)."""
from __future__ import annotations

import click
from flask.cli import with_appcontext


@click.group("crm")
def crm():
    """CRM: negotiation sweeps."""


@crm.command("sweep")
@with_appcontext
def sweep():
    """Persist expired negotiations and their points (idempotent)."""
    from plugins.crm.services.negotiations import sweep_expired
    click.echo(f"منقضی شد: {sweep_expired()}")


@crm.command("cards")
@with_appcontext
def cards():
    """Issue yellow and red cards for stale negotiations (idempotent)."""
    from plugins.crm.services.stale import issue_cards
    click.echo(f"کارت صادر شد: {issue_cards()}")
