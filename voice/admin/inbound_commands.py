"""``flask --app voice mail receive [--loop]``: read customers' replies from the mailbox.

    flask --app voice mail receive                     one pass over the unseen mails
    flask --app voice mail receive --loop --interval 30   keep reading (make run)

The mailbox is ``VOICE_IMAP_URL`` (voice.mail.imap). Each mail is stored matched to its
case or kept aside for staff (voice.admin.inbound), then marked seen. A server that is
down, or a database that is away, ends the pass with a line on stderr; with ``--loop``
the next pass comes after a growing pause (the interval doubled after each failure, at
most ``MAX_BACKOFF`` seconds), and nothing is lost: unseen mails wait on the server.

It is a command of the ``mail`` group (voice.mail.commands) but lives here, on the staff
side, because receiving needs cases and users; the factory adds it to the group.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy.exc import SQLAlchemyError

from voice.admin.inbound import ReceiveSummary, logger, receive_from_mailbox
from voice.extensions import db
from voice.mail.imap import DEFAULT_MAX_BYTES, ImapSettings, MailboxUnavailable, parse_imap_url

MAX_BACKOFF = 600.0


def _settings() -> ImapSettings:
    try:
        settings = parse_imap_url(current_app.config.get("IMAP_URL", ""))
    except ValueError as error:
        raise click.ClickException(str(error)) from None
    if settings is None:
        raise click.ClickException(
            "VOICE_IMAP_URL is not set: name the reply mailbox, "
            "imap://user:pass@host:port/INBOX or imaps://...")
    return settings


def _line(summary: ReceiveSummary) -> str:
    return (f"{summary.matched} matched, {summary.kept_aside} kept aside, "
            f"{summary.duplicates} already stored")


def one_pass(settings: ImapSettings, batch_size: int) -> bool:
    """One pass with a line on the terminal; False when the server or database failed."""
    max_bytes = int(current_app.config.get("INBOUND_MAX_BYTES", DEFAULT_MAX_BYTES))
    try:
        summary = receive_from_mailbox(settings, batch_size=batch_size, max_bytes=max_bytes)
    except MailboxUnavailable as error:
        logger.warning("mail receive: mailbox unavailable: %s", error)
        click.echo(f"Mailbox unavailable, will retry: {error}", err=True)
        return False
    except SQLAlchemyError as error:
        logger.error("mail receive: database error: %s", error)
        click.echo(f"Mail receive failed (database), will retry: {error}", err=True)
        return False
    finally:
        db.session.remove()
    if summary.received:
        click.echo(f"Mail from {settings.describe()}: {_line(summary)}.")
        for reason in dict.fromkeys(summary.reasons):
            click.echo(f"  kept aside: {reason}")
    return True


def next_pause(interval: float, failures: int) -> float:
    """Seconds to the next pass: ``interval``, doubled after each failure in a row."""
    return min(interval * 2 ** min(failures, 16), max(MAX_BACKOFF, interval))


@click.command("receive")
@click.option("--loop", "keep_going", is_flag=True, help="Keep reading until stopped.")
@click.option("--interval", default=30.0, show_default=True, type=click.FloatRange(min=0.1),
              help="Seconds between passes with --loop.")
@click.option("--batch-size", default=50, show_default=True, type=click.IntRange(min=1),
              help="Unseen mails asked for at a time.")
@with_appcontext
def receive_command(keep_going: bool, interval: float, batch_size: int) -> None:
    """Read customers' replies from VOICE_IMAP_URL: each lands on its case or is kept aside."""
    settings = _settings()
    if not keep_going:
        if not one_pass(settings, batch_size):
            raise SystemExit(1)
        return
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    click.echo(f"Reading replies from {settings.describe()} every {interval:g} s "
               "(Ctrl-C or SIGTERM stops).")
    failures = 0
    while not stop.is_set():
        failures = 0 if one_pass(settings, batch_size) else failures + 1
        stop.wait(next_pause(interval, failures))
    click.echo("Mail receiving stopped.")
