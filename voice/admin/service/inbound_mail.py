"""Mail kept aside, for staff: the list, the count in the navigation, attach, dismiss.

A mail the receiver (voice.admin.inbound) could not match waits here with its reason.
Staff attach it to a case, where it becomes the customer's message when its sender is
the case's customer (and it has text), else an internal note quoting it; or dismiss it.
Either is one transaction with the mail's row locked, so two staff acting at once
handle it once (the second is told it was already handled). The mail itself is never
deleted.

The navigation's count is read at most every ``INBOUND_COUNT_SECONDS`` (30) per worker,
and forgotten when this worker changes it: staff pages do not pay a COUNT each.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select

from voice.accounts.models import User
from voice.accounts.service import normalise_email
from voice.admin import audit
from voice.admin.models import Case, InboundMail
from voice.admin.service.cases import MAX_NOTE, add_note
from voice.admin.service.conversation import post_customer_message
from voice.admin.service.thread import MAX_MESSAGE
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.paging import Page, paginate
from voice.permissions import require_staff

COUNT_KEY = "voice.inbound_count"
DEFAULT_COUNT_SECONDS = 30.0


@dataclass(frozen=True)
class KeptAside:
    """One mail of the list, with the sender's account when the address is a user's."""

    mail: InboundMail
    sender_id: int | None


def _address(text: str) -> str | None:
    try:
        return normalise_email(text)
    except Invalid:
        return None


def _senders(addresses: set[str]) -> dict[str, int]:
    """The user id of each address that is a user's, in one query."""
    if not addresses:
        return {}
    return dict(db.session.execute(
        select(User.email, User.id).where(User.email.in_(sorted(addresses)))).all())


def kept_aside_mails(page: int = 1, per_page: int = 20) -> Page:
    """The mails kept aside, newest first, each a :class:`KeptAside` (three queries)."""
    stmt = (select(InboundMail).where(InboundMail.status == "kept_aside")
            .order_by(InboundMail.received_at.desc(), InboundMail.id.desc()))
    found = paginate(stmt, page, per_page)
    addresses = {mail.id: _address(mail.from_address) for mail in found.items}
    senders = _senders({a for a in addresses.values() if a})
    found.items = [KeptAside(mail, senders.get(addresses[mail.id] or ""))
                   for mail in found.items]
    return found


def kept_aside_count() -> int:
    return db.session.scalar(select(func.count(InboundMail.id))
                             .where(InboundMail.status == "kept_aside")) or 0


def kept_aside_badge() -> int:
    """The count for the staff navigation, read again after ``INBOUND_COUNT_SECONDS``."""
    seconds = float(current_app.config.get("INBOUND_COUNT_SECONDS", DEFAULT_COUNT_SECONDS))
    cached = current_app.extensions.get(COUNT_KEY)
    if cached is not None and cached[1] > time.monotonic():
        return int(cached[0])
    count = kept_aside_count()
    current_app.extensions[COUNT_KEY] = (count, time.monotonic() + seconds)
    return count


def forget_kept_aside_count() -> None:
    """This worker changed what is kept aside: the next page reads the count again."""
    current_app.extensions.pop(COUNT_KEY, None)


def _locked(inbound_id: int) -> InboundMail:
    mail = db.session.scalar(select(InboundMail).where(InboundMail.id == inbound_id)
                             .with_for_update())
    if mail is None:
        raise NotFound("No such mail.", code="not_found")
    if mail.status != "kept_aside":
        raise Conflict("This mail was already handled by someone else.",
                       code="already_handled")
    return mail


def _quote(mail: InboundMail) -> str:
    """The internal note that carries a mail nobody could post as the customer's."""
    head = (f"Mail from {mail.from_address or 'an unknown sender'}, received "
            f"{mail.received_at:%Y-%m-%d %H:%M} UTC, subject “{mail.subject}” "
            f"(kept aside: {mail.reason}):\n\n")
    lines = (mail.body or "(no text)").splitlines() or ["(no text)"]
    quoted = "\n".join(f"> {line}" for line in lines)
    note = head + quoted
    return note if len(note) <= MAX_NOTE else note[:MAX_NOTE - 1] + "…"


def _as_customer(mail: InboundMail, case: Case) -> User | None:
    """The case's customer, when this mail is theirs and can be their message."""
    address = _address(mail.from_address)
    if address is None or case.customer_id is None:
        return None
    customer = db.session.get(User, case.customer_id)
    body = (mail.body or "").strip()
    if customer is None or customer.email != address or not body or len(body) > MAX_MESSAGE:
        return None
    return customer


def _handled(actor: User, mail: InboundMail, status: str, now: datetime) -> None:
    mail.status = status
    mail.handled_by_id = actor.id
    mail.handled_at = now


def attach_inbound(actor: User, inbound_id: int, case_id: int,
                   now: datetime | None = None) -> str:
    """Attach a kept-aside mail to a case; "message" (posted as the customer's) or
    "note" (an internal note quoting it). Errors: 404 ``not_found`` (mail or case),
    409 ``already_handled``."""
    require_staff(actor)
    now = now or utcnow()
    with write_transaction():
        mail = _locked(inbound_id)
        case = db.session.get(Case, case_id)
        if case is None:
            raise NotFound(f"There is no case #{case_id}.", code="not_found", field="case_id")
        customer = _as_customer(mail, case)
        if customer is not None:
            post_customer_message(customer, case.id, mail.body, via="mail", now=now)
            how = "message"
        else:
            add_note(actor, case.id, _quote(mail))
            how = "note"
        mail.case_id = case.id
        _handled(actor, mail, "attached", now)
        audit.record(actor, "inbound.attach", "inbound_mail", mail.id,
                     f"to case #{case.id} as a {how}")
    forget_kept_aside_count()
    return how


def dismiss_inbound(actor: User, inbound_id: int, now: datetime | None = None) -> None:
    """Dismiss a kept-aside mail (it stays stored). Errors: 404, 409 ``already_handled``."""
    require_staff(actor)
    now = now or utcnow()
    with write_transaction():
        mail = _locked(inbound_id)
        _handled(actor, mail, "dismissed", now)
        audit.record(actor, "inbound.dismiss", "inbound_mail", mail.id,
                     f"from {mail.from_address}"[:200])
    forget_kept_aside_count()
