"""Mail delivery: the outbox over SMTP, each mail once, with retries and backoff.

``deliver_due`` is one pass of ``flask --app voice mail send``:

1. **Claim** a batch of due rows in one short write transaction: select the ids
   of at most a batch of due rows, then ``UPDATE ... SET status='sending',
   claimed_by=<claim id>, attempts=attempts+1 WHERE id IN (<those ids>) AND
   <still due>``. On PostgreSQL the select takes ``FOR UPDATE SKIP LOCKED``, so two
   senders take different rows, and the repeated condition on the UPDATE is
   re-checked against the committed row if another sender got there first; on
   SQLite the immediate transaction serialises the claims. (The ids are read
   first, not in a subquery of the UPDATE: PostgreSQL may run such a subquery more
   than once, each time with its own LIMIT, and claimed a batch of 5 at a batch
   size of 2.) Due means ``pending`` with ``next_attempt_at <= now``,
   or ``sending`` with a claim older than ``MAIL_CLAIM_TIMEOUT_SECONDS`` (its
   sender died).
2. **Send** each claimed mail outside any transaction, over one SMTP connection
   (voice.mail.smtp).
3. **Record** each outcome in its own transaction, only if the claim is still
   this sender's: ``sent`` (or ``logged``), or back to ``pending`` with
   ``next_attempt_at = now + base * 2**(attempts-1)`` (capped) and ``last_error``,
   or ``failed`` after ``MAIL_MAX_ATTEMPTS`` attempts or a permanent refusal.

When the SMTP server cannot be reached the rest of the batch is put back the
same way and the pass ends: nothing is lost, it is retried later.

With no ``SMTP_URL`` the mails are written to the log (to a stream: the
``mail send`` command gives it ``instance/mail.log``) and marked ``logged``.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, cast
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import ColumnElement, CursorResult, and_, or_, select, update

from voice.clock import utcnow
from voice.database import is_postgresql, write_transaction
from voice.extensions import db
from voice.mail.models import OutboxMail
from voice.mail.smtp import (
    CONNECTION_ERRORS,
    MESSAGE_ERRORS,
    Transport,
    describe,
    is_permanent,
    logger,
    transport_from_config,
)

DEFAULTS = {
    "MAIL_MAX_ATTEMPTS": 6,  # then the mail is 'failed'
    "MAIL_RETRY_BASE_SECONDS": 60,  # 1, 2, 4, 8 minutes ... between attempts
    "MAIL_RETRY_MAX_SECONDS": 3600,
    "MAIL_CLAIM_TIMEOUT_SECONDS": 600,  # a 'sending' claim older than this is taken over
    "MAIL_BATCH_SIZE": 50,
}


def setting(name: str) -> int:
    return int(current_app.config.get(name, DEFAULTS[name]))


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
    reply_to: str = ""
    message_id: str = ""


def worker_id() -> str:
    return f"{socket.gethostname()[:40]}:{os.getpid()}"


def _due(now: datetime, stale_before: datetime) -> ColumnElement[bool]:
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
        due_ids = list(db.session.scalars(ids))
        if not due_ids:
            return []
        db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id.in_(due_ids), due)
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
                        unsubscribe_url=r.unsubscribe_url, created_at=r.created_at,
                        reply_to=r.reply_to or "", message_id=r.message_id or "")
            for r in rows
        ]
    return claimed


def retry_delay(attempts: int) -> timedelta:
    """Exponential backoff after the ``attempts``-th failed attempt: base * 2**(n-1), capped."""
    base = setting("MAIL_RETRY_BASE_SECONDS")
    seconds = min(base * 2 ** max(attempts - 1, 0), setting("MAIL_RETRY_MAX_SECONDS"))
    return timedelta(seconds=seconds)


def _finish(mail: ClaimedMail, **values: Any) -> bool:
    """Record an outcome if the claim is still ours; False if another sender took it over."""
    with write_transaction():
        result = cast("CursorResult[Any]", db.session.execute(
            update(OutboxMail)
            .where(OutboxMail.id == mail.id, OutboxMail.claimed_by == mail.claim,
                   OutboxMail.status == "sending")
            .values(claimed_by=None, claimed_at=None, **values)
            .execution_options(synchronize_session=False)
        ))
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
    # The same id on every attempt, so a receiver can drop a duplicate; a conversation's
    # mail has its own, signed (voice.mail.reply_tokens), which a reply names.
    stamp = mail.created_at.strftime("%Y%m%d%H%M%S")
    message["Message-ID"] = mail.message_id or f"<voice.{mail.id}.{stamp}@{mail_domain()}>"
    if mail.reply_to:
        message["Reply-To"] = mail.reply_to
    message["Auto-Submitted"] = "auto-generated"
    if mail.unsubscribe_url:
        message["List-Unsubscribe"] = f"<{mail.unsubscribe_url}>"
        message["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.set_content(mail.body_text)
    if mail.body_html:
        message.add_alternative(mail.body_html, subtype="html")
    return message


# --- one pass ---------------------------------------------------------------------------


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

    def add(self, other: DeliveryReport) -> None:
        """Count ``other`` (one batch's report) into this one."""
        self.sent += other.sent
        self.logged += other.logged
        self.retried += other.retried
        self.failed += other.failed
        self.errors.extend(other.errors)


def deliver_due(
    transport: Transport | None = None,
    *,
    worker: str | None = None,
    batch_size: int | None = None,
    on_batch: Callable[[DeliveryReport], None] | None = None,
) -> DeliveryReport:
    """Deliver every due mail once (one pass); see the module doc for the protocol.

    ``on_batch`` is called with each batch's own report as it ends (the command
    prints one line per batch); the pass's report, returned, counts them all.
    """
    transport = transport or transport_from_config()
    worker = worker or worker_id()
    batch_size = batch_size or setting("MAIL_BATCH_SIZE")
    report = DeliveryReport()
    try:
        while True:
            batch = claim_due(worker, batch_size)
            if not batch:
                break
            batch_report = DeliveryReport()
            server_up = _deliver_batch(transport, batch, batch_report)
            report.add(batch_report)
            if on_batch is not None:
                on_batch(batch_report)
            if not server_up:
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
