"""Mail commands: delivering the outbox.

    flask --app voice mail send                       one pass over the due mails
    flask --app voice mail send --loop --interval 5   keep delivering (make run)
    flask --app voice mail status                     how many mails are in each state

With ``VOICE_SMTP_URL`` empty, mails are written to stdout and the log and
marked ``logged`` instead of sent.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from voice.extensions import db
from voice.mail.delivery import DeliveryReport, deliver_due
from voice.mail.models import MAIL_STATUSES, OutboxMail
from voice.mail.smtp import logger, parse_smtp_url

mail_cli = AppGroup("mail", help="Deliver the mail outbox.")


def _one_pass(batch_size: int | None) -> DeliveryReport:
    try:
        return deliver_due(batch_size=batch_size)
    finally:
        db.session.remove()


def _summary(report: DeliveryReport) -> str:
    return (f"{report.sent} sent, {report.logged} logged, {report.retried} to retry, "
            f"{report.failed} failed")


def _destination() -> str:
    """Where mail goes, for the command's first line; ClickException for a bad URL."""
    try:
        settings = parse_smtp_url(current_app.config.get("SMTP_URL", ""))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    return f"SMTP {settings.host}:{settings.port}" if settings else "the log (no VOICE_SMTP_URL)"


@mail_cli.command("send")
@click.option("--loop", "keep_going", is_flag=True, help="Keep delivering until stopped.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between passes with --loop.")
@click.option("--batch-size", default=None, type=click.IntRange(min=1),
              help="Mails claimed at a time (default MAIL_BATCH_SIZE, 50).")
def send(keep_going: bool, interval: float, batch_size: int | None) -> None:
    """Deliver the due mails of the outbox (over SMTP, or to the log without VOICE_SMTP_URL)."""
    where = _destination()
    if not keep_going:
        report = _one_pass(batch_size)
        click.echo(f"Mail to {where}: {_summary(report)}.")
        for error in dict.fromkeys(report.errors):
            click.echo(f"  {error}", err=True)
        return
    _keep_delivering(where, interval, batch_size)


def _keep_delivering(where: str, interval: float, batch_size: int | None) -> None:
    """One pass every ``interval`` seconds until SIGTERM or SIGINT (the current mail ends)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo(f"Delivering mail to {where} every {interval:g} s (Ctrl-C or SIGTERM stops).")
    while not stop.is_set():
        try:
            report = _one_pass(batch_size)
        except SQLAlchemyError as error:  # the database is away: keep trying
            logger.error("mail pass failed: %s", error)
            click.echo(f"Mail pass failed (database): {error}", err=True)
        else:
            if report.attempted:
                click.echo(f"Mail: {_summary(report)}.")
        stop.wait(interval)
    click.echo("Mail delivery stopped.")


@mail_cli.command("status")
def status() -> None:
    """Count the outbox mails in each state."""
    counts = dict(db.session.execute(
        select(OutboxMail.status, func.count(OutboxMail.id)).group_by(OutboxMail.status)
    ).all())
    for name in MAIL_STATUSES:
        click.echo(f"{name:8} {counts.get(name, 0)}")
