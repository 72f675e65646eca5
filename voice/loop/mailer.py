"""Mail delivery: the outbox over SMTP, each mail once, with retries and backoff.

``deliver_due`` is one pass of ``flask --app voice mail send``:

1. **Claim** a batch of due rows in one short write transaction: a single
   ``UPDATE ... SET status='sending', claimed_by=<claim id>, attempts=attempts+1
   WHERE id IN (<due ids>) AND <still due>``. On PostgreSQL the inner select
   takes ``FOR UPDATE SKIP LOCKED``, so two senders take different rows, and the
   repeated condition on the outer UPDATE is re-checked against the committed
   row if another sender got there first; on SQLite the immediate transaction
   serialises the claims. Due means ``pending`` with ``next_attempt_at <= now``,
   or ``sending`` with a claim older than ``MAIL_CLAIM_TIMEOUT_SECONDS`` (its
   sender died).
2. **Send** each claimed mail outside any transaction, over one SMTP connection.
3. **Record** each outcome in its own transaction, only if the claim is still
   this sender's: ``sent`` (or ``logged``), or back to ``pending`` with
   ``next_attempt_at = now + base * 2**(attempts-1)`` (capped) and ``last_error``,
   or ``failed`` after ``MAIL_MAX_ATTEMPTS`` attempts or a permanent refusal.

When the SMTP server cannot be reached the rest of the batch is put back the
same way and the pass ends: nothing is lost, it is retried later.

With no ``SMTP_URL`` the mails are written to the log (and stdout) and marked
``logged``.
"""

from __future__ import annotations

import contextlib
import logging
import os
import smtplib
import socket
import ssl
import sys
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import IO, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app
from sqlalchemy import and_, or_, select, update

from voice.clock import utcnow
from voice.database import is_postgresql, write_transaction
from voice.extensions import db
from voice.loop.models import OutboxMail

logger = logging.getLogger("voice.mail")

DEFAULTS = {
    "MAIL_MAX_ATTEMPTS": 6,  # then the mail is 'failed'
    "MAIL_RETRY_BASE_SECONDS": 60,  # 1, 2, 4, 8 minutes ... between attempts
    "MAIL_RETRY_MAX_SECONDS": 3600,
    "MAIL_CLAIM_TIMEOUT_SECONDS": 600,  # a 'sending' claim older than this is taken over
    "MAIL_BATCH_SIZE": 50,
}
TRUE = {"1", "true", "yes", "on"}


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


# --- SMTP settings from a URL -----------------------------------------------------------


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    implicit_tls: bool = False  # smtps://
    starttls: bool = False  # smtp://...?starttls=1
    timeout: float = 30.0


def parse_smtp_url(url: str) -> SmtpSettings | None:
    """``smtp://user:pass@host:port?starttls=1&timeout=10`` or ``smtps://...``; None if empty.

    smtp:// defaults to port 25 (587 with starttls), smtps:// (TLS from the
    first byte) to port 465. User and password are URL-decoded.
    """
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("VOICE_SMTP_URL looks like smtp://user:pass@host:port or smtps://...")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    implicit = parts.scheme == "smtps"
    starttls = not implicit and query.get("starttls", "").lower() in TRUE
    default_port = 465 if implicit else (587 if starttls else 25)
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        implicit_tls=implicit,
        starttls=starttls,
        timeout=float(query.get("timeout", 30)),
    )


# --- transports -------------------------------------------------------------------------


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection, opened on the first send and reused for the batch."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        s = self.settings
        if s.implicit_tls:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
            if s.username:
                conn.login(s.username, s.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self.open()
        try:
            self.connection.send_message(message)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.drop()
            raise

    def drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
            self.drop()


class LogTransport:
    """No SMTP server configured: each mail goes to the log and to ``stream``."""

    name = "log"

    def __init__(self, stream: IO[str] | None = None):
        self.stream = stream if stream is not None else sys.stdout

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(("plain",))
        logger.info("mail (not sent, no VOICE_SMTP_URL) to %s: %s", message["To"],
                    message["Subject"])
        self.stream.write(
            f"--- mail to {message['To']} (logged, not sent: VOICE_SMTP_URL is empty)\n"
            f"Subject: {message['Subject']}\n"
            + (f"List-Unsubscribe: {message['List-Unsubscribe']}\n"
               if message["List-Unsubscribe"] else "")
            + "\n" + (text.get_content() if text is not None else "") + "---\n"
        )
        self.stream.flush()

    def close(self) -> None:
        pass


def transport_from_config(stream: IO[str] | None = None) -> Transport:
    settings = parse_smtp_url(current_app.config.get("SMTP_URL", ""))
    return SmtpTransport(settings) if settings else LogTransport(stream)


# --- claims -----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClaimedMail:
    """What a sender needs of a claimed row, detached from the session."""

    id: int
    claim: str
    attempts: int
    to_address: str
    subject: str
    body_text: str
    body_html: str
    unsubscribe_url: str
    created_at: datetime


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _due(now: datetime, stale_before: datetime):
    return or_(
        and_(OutboxMail.status == "pending", OutboxMail.next_attempt_at <= now),
        and_(OutboxMail.status == "sending", OutboxMail.claimed_at < stale_before),
    )


def claim_due(worker: str, limit: int) -> list[ClaimedMail]:
    """Atomically take up to ``limit`` due mails for this sender (see the module doc)."""
    now = utcnow()
    due = _due(now, now - timedelta(seconds=setting("MAIL_CLAIM_TIMEOUT_SECONDS")))
    claim = f"{worker[:60]}#{uuid.uuid4().hex[:12]}"
    ids = select(OutboxMail.id).where(due).order_by(OutboxMail.next_attempt_at, OutboxMail.id)
    ids = ids.limit(limit)
    if is_postgresql():
        ids = ids.with_for_update(skip_locked=True)
    with write_transaction():
        db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id.in_(ids.scalar_subquery()), due)
            .values(status="sending", claimed_by=claim, claimed_at=now,
                    attempts=OutboxMail.attempts + 1)
            .execution_options(synchronize_session=False)
        )
        rows = db.session.scalars(
            select(OutboxMail)
            .where(OutboxMail.claimed_by == claim, OutboxMail.status == "sending")
            .order_by(OutboxMail.id)
            .execution_options(populate_existing=True)
        ).all()
        claimed = [
            ClaimedMail(id=r.id, claim=claim, attempts=r.attempts, to_address=r.to_address,
                        subject=r.subject, body_text=r.body_text, body_html=r.body_html,
                        unsubscribe_url=r.unsubscribe_url, created_at=r.created_at)
            for r in rows
        ]
    return claimed


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: base * 2**(n-1), capped."""
    base = setting("MAIL_RETRY_BASE_SECONDS")
    seconds = min(base * 2 ** max(attempts - 1, 0), setting("MAIL_RETRY_MAX_SECONDS"))
    return timedelta(seconds=seconds)


def _finish(mail: ClaimedMail, **values) -> bool:
    """Record an outcome if the claim is still ours; False if another sender took it over."""
    with write_transaction():
        result = db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail.id, OutboxMail.claimed_by == mail.claim,
                   OutboxMail.status == "sending")
            .values(claimed_by=None, claimed_at=None, **values)
            .execution_options(synchronize_session=False)
        )
    return result.rowcount == 1


def mark_delivered(mail: ClaimedMail, status: str = "sent") -> bool:
    return _finish(mail, status=status, sent_at=utcnow(), last_error="")


def mark_failed_attempt(mail: ClaimedMail, error: str, permanent: bool = False) -> str:
    """Back to ``pending`` with backoff, or ``failed`` after the last attempt; the new status."""
    error = error[:2000]
    if permanent or mail.attempts >= setting("MAIL_MAX_ATTEMPTS"):
        _finish(mail, status="failed", last_error=error)
        return "failed"
    _finish(mail, status="pending", last_error=error,
            next_attempt_at=utcnow() + retry_delay(mail.attempts))
    return "pending"


# --- messages ---------------------------------------------------------------------------


def mail_domain() -> str:
    address = parseaddr(current_app.config.get("MAIL_FROM", ""))[1]
    if "@" in address:
        return address.rsplit("@", 1)[1]
    return urlsplit(current_app.config.get("BASE_URL", "")).hostname or "localhost"


def build_message(mail: ClaimedMail) -> EmailMessage:
    """The multipart/alternative message: plain text first, then HTML."""
    message = EmailMessage()
    message["From"] = current_app.config["MAIL_FROM"]
    message["To"] = mail.to_address
    message["Subject"] = mail.subject
    message["Date"] = formatdate(usegmt=True)
    # The same id on every attempt, so a receiver can drop a duplicate.
    stamp = mail.created_at.strftime("%Y%m%d%H%M%S")
    message["Message-ID"] = f"<voice.{mail.id}.{stamp}@{mail_domain()}>"
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    return message


# --- one pass ---------------------------------------------------------------------------

#: The server refused this one message (the connection is still good): the batch goes on.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                  smtplib.SMTPDataError, ValueError)
#: Anything else (smtplib's errors are OSErrors too): the server is not there, hung up or
#: refuses us (greeting, TLS, login), so every mail of the batch waits for the next try.
CONNECTION_ERRORS = (OSError,)


def is_permanent(error: Exception) -> bool:
    """A refusal that retrying cannot fix: every recipient or the message refused with 5xx."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(
            code >= 500 for code, _ in error.recipients.values()
        )
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return isinstance(error, ValueError)  # a message that cannot be built


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"


@dataclass
class DeliveryReport:
    sent: int = 0
    logged: int = 0
    retried: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def attempted(self) -> int:
        return self.sent + self.logged + self.retried + self.failed


def deliver_due(
    transport: Transport | None = None,
    *,
    worker: str | None = None,
    batch_size: int | None = None,
) -> DeliveryReport:
    """Deliver every due mail once (one pass); see the module doc for the protocol."""
    transport = transport or transport_from_config()
    worker = worker or worker_id()
    batch_size = batch_size or setting("MAIL_BATCH_SIZE")
    report = DeliveryReport()
    try:
        while True:
            batch = claim_due(worker, batch_size)
            if not batch:
                break
            if not _deliver_batch(transport, batch, report):
                break  # the server is down: try again on the next pass
    finally:
        transport.close()
    return report


def _deliver_batch(transport: Transport, batch: list[ClaimedMail], report: DeliveryReport) -> bool:
    delivered_status = "logged" if transport.name == "log" else "sent"
    for index, mail in enumerate(batch):
        try:
            transport.send(build_message(mail))
        except MESSAGE_ERRORS as error:
            logger.warning("mail %s to %s refused: %s", mail.id, mail.to_address, error)
            report.errors.append(describe(error))
            _count(report, mark_failed_attempt(mail, describe(error), is_permanent(error)))
        except CONNECTION_ERRORS as error:
            message = f"SMTP server unreachable: {describe(error)}"
            logger.warning("mail %s: %s", mail.id, message)
            report.errors.append(message)
            for waiting in batch[index:]:
                _count(report, mark_failed_attempt(waiting, message))
            return False
        else:
            mark_delivered(mail, delivered_status)
            if delivered_status == "logged":
                report.logged += 1
            else:
                report.sent += 1
    return True


def _count(report: DeliveryReport, status: str) -> None:
    if status == "failed":
        report.failed += 1
    else:
        report.retried += 1
