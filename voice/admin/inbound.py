"""Customers' replies by mail, received: matched to their case, or kept aside, never lost.

``receive(messages, now)`` takes the mails the IMAP client fetched (voice.mail.imap) and,
for each, in ONE transaction of its own:

1. stores an ``InboundMail`` (``message_id`` unique: a mail read twice is stored once,
   also when two receivers race, by the unique index);
2. reads its reply token (``voice.mail.match_reply``: the plus address, In-Reply-To,
   References, the subject) to a case and a user;
3. checks the sender: the From address, normalised as accounts stores addresses, must be
   that user's, and the user the case's customer;
4. posts the new text as the customer's message
   (``voice.admin.service.post_customer_message(..., via="mail")``): ``matched``.

Anything else is ``kept_aside`` with its reason (unsigned, forged, expired, wrong
sender, case gone, empty after stripping, too large, an automatic reply) for staff at
/admin/mail (voice/admin/inbound_views.py). When the message is refused by the service,
the first transaction rolls back whole and a second stores the mail kept aside with
the service's sentence: a mail is stored matched or kept aside, never half.

The caller marks a mail seen on the server only after its transaction committed
(``after_commit``), so a crash re-reads it and the unique ``message_id`` stores it once.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voice.accounts import service as accounts
from voice.accounts.models import User
from voice.admin import service
from voice.admin.models import Case, InboundMail
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Invalid, ServiceError
from voice.extensions import db
from voice.mail import match_reply
from voice.mail.imap import DEFAULT_MAX_BYTES, ImapMailbox, ImapSettings
from voice.mail.inbound import MAX_TEXT, ParsedMail, RawMail, parse

logger = logging.getLogger("voice.mail.inbound")

SUBJECT_MAX = 300
ADDRESS_MAX = 320
REASON_MAX = 200

AUTOMATIC = "automatic: an auto-reply, a bounce or bulk mail"
TOO_LARGE = "too large: only the first part could be read"
EMPTY = "empty after stripping quoted history and signature"
UNREADABLE = "unreadable: the message could not be parsed"
UNAUTHENTICATED = "forged sender: the receiving server's DMARC check failed"


@dataclass
class ReceiveSummary:
    """What one pass did: how many mails landed, were kept aside, or were already stored."""

    matched: int = 0
    kept_aside: int = 0
    duplicates: int = 0
    reasons: list[str] = field(default_factory=list)  # one per mail kept aside

    @property
    def received(self) -> int:
        return self.matched + self.kept_aside + self.duplicates

    def add(self, other: ReceiveSummary) -> None:
        self.matched += other.matched
        self.kept_aside += other.kept_aside
        self.duplicates += other.duplicates
        self.reasons.extend(other.reasons)

    def count(self, status: str, reason: str = "") -> None:
        if status == "matched":
            self.matched += 1
        elif status == "duplicate":
            self.duplicates += 1
        else:
            self.kept_aside += 1
            self.reasons.append(reason)


@dataclass(frozen=True)
class Verdict:
    """Whose message a mail is (``user`` and ``case_id``), or why it is kept aside."""

    reason: str = ""
    user: User | None = None
    case_id: int | None = None


def _read(mail: RawMail) -> tuple[ParsedMail, str]:
    """The parsed mail, or a stand-in holding the raw text when it cannot be parsed."""
    try:
        return parse(mail.raw, truncated=mail.truncated), ""
    except Exception:  # noqa: BLE001 - nothing is lost: an unparseable mail is kept aside
        logger.exception("inbound mail could not be parsed")
        text = mail.raw[:MAX_TEXT].decode("utf-8", errors="replace")
        stand_in = ParsedMail(message_id="", from_address="", to_addresses=(),
                              in_reply_to="", references="", subject="", text="",
                              full_text=text)
        return stand_in, UNREADABLE


def _sender_is(user: User, from_address: str) -> bool:
    try:
        return accounts.normalise_email(from_address) == user.email
    except Invalid:
        return False


def verdict(mail: ParsedMail, now: datetime) -> Verdict:
    """Whether ``mail`` is its case customer's answer (see the module doc), and why not."""
    if mail.automatic:
        return Verdict(AUTOMATIC)
    if mail.oversized:
        return Verdict(TOO_LARGE)
    if mail.unauthenticated:
        return Verdict(UNAUTHENTICATED)
    token = match_reply(mail.to_addresses, mail.in_reply_to, mail.references, mail.subject,
                        now=now)
    if token.case_id is None or token.user_id is None:
        return Verdict(token.reason)
    case = db.session.get(Case, token.case_id)
    if case is None:
        return Verdict(f"case gone: case #{token.case_id} no longer exists")
    user = db.session.get(User, token.user_id)
    if user is None or not user.active:
        return Verdict("wrong sender: the reply address's user is gone or deactivated")
    if not _sender_is(user, mail.from_address):
        return Verdict(f"wrong sender: {mail.from_address or 'no From address'} is not the "
                       "address this reply address was sent to")
    if case.customer_id != user.id:
        return Verdict(f"wrong sender: not the customer of case #{case.id}")
    if not mail.text:
        return Verdict(EMPTY)
    return Verdict(user=user, case_id=case.id)


def _row(mail: ParsedMail, now: datetime, reason: str, case_id: int | None) -> InboundMail:
    body = mail.text or mail.full_text  # a mail with no new text keeps all it said
    return InboundMail(
        message_id=mail.message_id, from_address=mail.from_address[:ADDRESS_MAX],
        subject=mail.subject[:SUBJECT_MAX], body=body[:MAX_TEXT], received_at=now,
        case_id=case_id, status="matched" if not reason else "kept_aside",
        reason=reason[:REASON_MAX],
    )


def _stored(message_id: str) -> bool:
    return db.session.scalar(
        select(InboundMail.id).where(InboundMail.message_id == message_id)) is not None


def _store(mail: ParsedMail, now: datetime, refusal: str = "") -> tuple[str, str]:
    """One transaction: the mail stored, and posted on its case when it is a match.
    ``refusal``: the service refused it before, so it is kept aside with that reason."""
    with write_transaction():
        if _stored(mail.message_id):
            return "duplicate", ""
        found = Verdict(refusal) if refusal else verdict(mail, now)
        row = _row(mail, now, found.reason, found.case_id)
        db.session.add(row)
        db.session.flush()  # the unique message_id: a concurrent receiver waits or fails here
        if found.user is not None and found.case_id is not None:
            service.post_customer_message(found.user, found.case_id, mail.text, via="mail",
                                          now=now)
        return row.status, row.reason


def receive_one(raw: RawMail, now: datetime | None = None) -> tuple[str, str]:
    """Store one mail (``matched``, ``kept_aside`` or ``duplicate``) and the reason."""
    status, reason = _receive(raw, now or utcnow())
    if status == "kept_aside":
        logger.info("inbound mail kept aside: %s", reason)
        service.forget_kept_aside_count()
    return status, reason


def _receive(raw: RawMail, now: datetime) -> tuple[str, str]:
    mail, unreadable = _read(raw)
    if unreadable:
        digest = hashlib.sha256(raw.raw).hexdigest()[:48]
        mail = replace(mail, message_id=f"<sha256.{digest}@inbound.invalid>")
    try:
        return _store_once(mail, now, unreadable)
    except ServiceError as error:  # rolled back whole: store it kept aside, with why
        return _store_once(mail, now, f"refused: {error.message}")


def _store_once(mail: ParsedMail, now: datetime, refusal: str) -> tuple[str, str]:
    """``_store``, where losing the race on the unique message_id means "duplicate"."""
    try:
        return _store(mail, now, refusal)
    except IntegrityError:
        db.session.rollback()
        if _stored(mail.message_id):  # another receiver stored it first
            return "duplicate", ""
        raise


def receive(messages: Iterable[RawMail], now: datetime | None = None, *,
            after_commit: Callable[[int], None] | None = None) -> ReceiveSummary:
    """Store each mail in its own transaction; ``after_commit(i)`` runs after the i-th
    mail's transaction committed (the IMAP client marks it seen there)."""
    summary = ReceiveSummary()
    for index, raw in enumerate(messages):
        status, reason = receive_one(raw, now)
        summary.count(status, reason)
        if after_commit is not None:
            after_commit(index)
    return summary


def receive_from_mailbox(settings: ImapSettings, *, batch_size: int = 50,
                         max_bytes: int = DEFAULT_MAX_BYTES,
                         now: datetime | None = None) -> ReceiveSummary:
    """One pass over the mailbox's unseen mails: each fetched, stored (its own
    transaction), then marked seen. ``MailboxUnavailable`` when the server is down or
    hangs up (what was committed stays; the rest waits on the server)."""
    summary = ReceiveSummary()
    done: set[str] = set()
    with ImapMailbox(settings, max_bytes) as box:
        while True:
            uids = [uid for uid in box.unseen(batch_size) if uid not in done]
            if not uids:
                break
            for uid in uids:
                done.add(uid)
                fetched = box.fetch(uid)
                if fetched is None:  # expunged meanwhile by another client
                    continue
                status, reason = receive_one(fetched.mail, now)
                summary.count(status, reason)
                box.mark_seen(uid)  # only now: a crash before this re-reads it
    return summary
