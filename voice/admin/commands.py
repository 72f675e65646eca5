"""Flask commands of the staff side; the app factory adds :data:`admin_cli` and
:data:`cases_cli` to ``app.cli``.

    flask --app voice admin deliver-webhooks [--batch 50] [--loop]
    flask --app voice admin ensure-defaults
    flask --app voice cases escalate [--loop] [--interval 60]
"""

from __future__ import annotations

import signal
import threading
import time

import click
from flask.cli import AppGroup
from sqlalchemy.exc import SQLAlchemyError

from voice.admin import service, webhooks
from voice.extensions import db

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


cases_cli = AppGroup("cases", help="Cases: the SLA's escalation.")


def _escalate_once(quiet: bool) -> None:
    try:
        count = service.escalate_overdue()
    finally:
        db.session.remove()
    if not quiet:
        click.echo(f"Escalated {count} overdue case{'' if count == 1 else 's'}.")


@cases_cli.command("escalate")
@click.option("--loop", "forever", is_flag=True, help="Keep escalating until stopped.")
@click.option("--interval", default=60.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between rounds with --loop.")
@click.option("--quiet", is_flag=True, help="Print errors only (make run).")
def escalate(forever: bool, interval: float, quiet: bool) -> None:
    """Tell the team's owners of each case that became overdue, once per case. Several
    workers may run this at once: each case is claimed by one of them."""
    if not forever:
        _escalate_once(quiet)
        return
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: stop.set())
    signal.signal(signal.SIGINT, lambda _signum, _frame: stop.set())
    while not stop.is_set():
        try:
            _escalate_once(quiet)
        except SQLAlchemyError as error:  # the database is away: try again next round
            click.echo(f"Escalation round failed (database): {error}", err=True)
        stop.wait(interval)
