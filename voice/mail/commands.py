"""Mail commands: delivering the outbox.

    flask --app voice mail send                       one pass over the due mails
    flask --app voice mail send --loop --interval 5   keep delivering (make run)
    flask --app voice mail status                     how many mails are in each state
    flask --app voice mail receive [--loop]           read replies from VOICE_IMAP_URL
                                                      (voice/admin/inbound_commands.py)

With ``VOICE_SMTP_URL`` empty, mails are written to a file (``--log-file``, by
default ``instance/mail.log``) and marked ``logged`` instead of sent. Either way the
terminal gets one line per batch, never the mails themselves.
"""

from __future__ import annotations

import os
import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import func, select
from sqlalchemy.exc import SQLAlchemyError

from voice.extensions import db
from voice.mail.delivery import DeliveryReport, deliver_due
from voice.mail.models import MAIL_STATUSES, OutboxMail
from voice.mail.smtp import LogTransport, SmtpSettings, Transport, logger, parse_smtp_url

mail_cli = AppGroup("mail", help="Deliver the mail outbox, and read customers' replies.")

LOG_FILE_NAME = "mail.log"


def default_log_file() -> Path:
    """``MAIL_LOG_FILE`` if set, else ``mail.log`` in the instance folder."""
    configured = current_app.config.get("MAIL_LOG_FILE")
    return Path(configured) if configured else Path(current_app.instance_path) / LOG_FILE_NAME


def _shown(path: Path) -> str:
    """The path as the reader would type it: relative to here when it is below here."""
    try:
        return os.path.relpath(path) if path.resolve().is_relative_to(Path.cwd()) else str(path)
    except ValueError:
        return str(path)


def _smtp_settings() -> SmtpSettings | None:
    """The SMTP server to use, None for the log file; ClickException for a bad URL."""
    try:
        return parse_smtp_url(current_app.config.get("SMTP_URL", ""))
    except ValueError as error:
        raise click.ClickException(str(error)) from None


def _destination(settings: SmtpSettings | None, log_file: Path) -> str:
    if settings:
        return f"SMTP {settings.host}:{settings.port}"
    return f"{_shown(log_file)} (no VOICE_SMTP_URL)"


@contextmanager
def _transport(settings: SmtpSettings | None, log_file: Path) -> Iterator[Transport | None]:
    """The log file's transport (the file open for appending), or None: SMTP from config."""
    if settings:
        yield None
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("a", encoding="utf-8") as stream:
        yield LogTransport(stream)


def _summary(report: DeliveryReport) -> str:
    return (f"{report.sent} sent, {report.logged} logged, {report.retried} to retry, "
            f"{report.failed} failed")


def _one_pass(settings: SmtpSettings | None, log_file: Path, where: str,
              batch_size: int | None) -> DeliveryReport:
    """Deliver the due mails, one line per batch on the terminal."""
    def echo_batch(batch: DeliveryReport) -> None:
        click.echo(f"Mail to {where}: {_summary(batch)}.")
        for error in dict.fromkeys(batch.errors):
            click.echo(f"  {error}", err=True)

    try:
        with _transport(settings, log_file) as transport:
            return deliver_due(transport, batch_size=batch_size, on_batch=echo_batch)
    finally:
        db.session.remove()


@mail_cli.command("send")
@click.option("--loop", "keep_going", is_flag=True, help="Keep delivering until stopped.")
@click.option("--interval", default=5.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between passes with --loop.")
@click.option("--batch-size", default=None, type=click.IntRange(min=1),
              help="Mails claimed at a time (default MAIL_BATCH_SIZE, 50).")
@click.option("--log-file", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where mails go without VOICE_SMTP_URL (default instance/mail.log).")
def send(keep_going: bool, interval: float, batch_size: int | None,
         log_file: Path | None) -> None:
    """Deliver the due mails of the outbox (over SMTP, or to a file without VOICE_SMTP_URL)."""
    settings = _smtp_settings()
    log_file = log_file or default_log_file()
    where = _destination(settings, log_file)
    if not keep_going:
        report = _one_pass(settings, log_file, where, batch_size)
        if not report.attempted:
            click.echo(f"Mail to {where}: nothing to deliver.")
        return
    _keep_delivering(settings, log_file, where, interval, batch_size)


def _keep_delivering(settings: SmtpSettings | None, log_file: Path, where: str,
                     interval: float, batch_size: int | None) -> None:
    """One pass every ``interval`` seconds until SIGTERM or SIGINT (the current mail ends)."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo(f"Delivering mail to {where} every {interval:g} s (Ctrl-C or SIGTERM stops).")
    while not stop.is_set():
        try:
            _one_pass(settings, log_file, where, batch_size)
        except SQLAlchemyError as error:  # the database is away: keep trying
            logger.error("mail pass failed: %s", error)
            click.echo(f"Mail pass failed (database): {error}", err=True)
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
