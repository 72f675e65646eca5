"""Flask commands of the staff side; the app factory adds :data:`admin_cli` to ``app.cli``.

    flask --app voice admin deliver-webhooks [--batch 50] [--loop]
    flask --app voice admin ensure-defaults
"""

from __future__ import annotations

import time

import click
from flask.cli import AppGroup

from voice.admin import service, webhooks

admin_cli = AppGroup("admin", help="Staff side: webhooks and routing defaults.")


@admin_cli.command("deliver-webhooks")
@click.option("--batch", default=50, show_default=True, help="Deliveries per round.")
@click.option("--loop", "forever", is_flag=True, help="Keep delivering every few seconds.")
@click.option("--interval", default=5.0, show_default=True, help="Seconds between rounds.")
def deliver_webhooks(batch: int, forever: bool, interval: float) -> None:
    """POST new cases to their teams' webhooks; failures are retried with backoff."""
    while True:
        report = webhooks.deliver_due(batch=batch)
        click.echo(f"delivered {report.delivered}, to retry {report.retried}, "
                   f"failed {report.failed}")
        if not forever:
            return
        time.sleep(interval)


@admin_cli.command("ensure-defaults")
def ensure_defaults() -> None:
    """Create the triage team and the default routing rules if no team exists."""
    team = service.ensure_defaults()
    click.echo(f"Triage team: {team.name} (#{team.id}).")
