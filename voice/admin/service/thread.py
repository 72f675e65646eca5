"""The entries of a case's thread, written inside the caller's transaction.

Every message, either way, goes through :func:`add_message`, which also keeps the
case's last-message columns (the inbox's preview) up to date; :func:`add_event` records a
step of the case's history (a state move, a reopening) in the same thread. Staff's
messages reach the customer through :func:`tell_customer`: in-app, and by mail carrying
the signed reply address, so the customer's answer by mail finds this case.
"""

from __future__ import annotations

from datetime import datetime

from voice import mail
from voice.accounts.models import User
from voice.admin.models import MESSAGE_CHANNELS, Case, CaseNote
from voice.errors import Invalid
from voice.extensions import db
from voice.loop.service import notify
from voice.text import one_line, plain_excerpt

#: The longest message either way; a bigger request is refused before it is read
#: (``MAX_CONTENT_LENGTH``, 2 MB: a 413).
MAX_MESSAGE = 20_000
PREVIEW = 200


def conversation_path(case_id: int) -> str:
    """The customer's page of the conversation (conversation_views.py), for notices."""
    return f"/me/conversations/{case_id}"


def staff_case_path(case_id: int) -> str:
    return f"/admin/cases/{case_id}"


def clean_message(body: object, limit: int = MAX_MESSAGE) -> str:
    """The message trimmed; Invalid ``invalid_message`` (field ``body``) when it is empty,
    not text, or longer than ``limit`` characters."""
    if not isinstance(body, str) or not body.strip():
        raise Invalid("Write your message first.", code="invalid_message", field="body")
    body = body.strip()
    if len(body) > limit:
        raise Invalid(f"A message has at most {limit:,} characters.",
                      code="invalid_message", field="body")
    return body


def check_channel(via: str) -> str:
    if via not in MESSAGE_CHANNELS:
        raise Invalid(f"A message comes by {', '.join(MESSAGE_CHANNELS)}.",
                      code="invalid_channel", field="via")
    return via


def add_message(case: Case, author_id: int | None, kind: str, body: str, *, via: str,
                now: datetime) -> CaseNote:
    """A message of ``kind`` (``reply`` from staff, ``customer`` from the customer) on the
    locked ``case``, and the case's last message set to it."""
    note = CaseNote(case_id=case.id, author_id=author_id, kind=kind, body=body, via=via,
                    created_at=now)
    db.session.add(note)
    remember_last_message(case, body, by_customer=kind == "customer", now=now)
    db.session.flush()
    return note


def remember_last_message(case: Case, body: str, *, by_customer: bool,
                          now: datetime) -> None:
    """The inbox's preview: when, one line of the text, and whether the customer wrote it."""
    case.last_message_at = now
    case.last_message_preview = one_line(plain_excerpt(body, PREVIEW))[:PREVIEW]
    case.last_message_by_customer = by_customer


def add_event(case: Case, actor_id: int | None, text: str, now: datetime) -> CaseNote:
    """A step of the case's history, shown in its thread to staff."""
    note = CaseNote(case_id=case.id, author_id=actor_id, kind="event", body=text[:2000],
                    via="web", created_at=now)
    db.session.add(note)
    return note


def about(case: Case) -> str:
    """What the case is about, in the customer's words ("your idea “…”")."""
    what = {"idea": "your idea", "comment": "your comment",
            "survey_response": "your survey answer", "market": "the market"}
    base = what.get(case.source_type, "your feedback")
    title = one_line(case.title)
    return f"{base} “{title[:80]}”" if title else base


def tell_customer(case: Case, body: str) -> None:
    """The customer hears of staff's message: in-app, and by mail whose Reply-To and
    Message-ID carry the signed reply token of this case (voice.mail.reply_address)."""
    customer = db.session.get(User, case.customer_id) if case.customer_id else None
    if customer is None:
        return
    reply_to, message_id = mail.reply_address(case.id, customer.id)
    notify([customer], kind="case_reply", subject=f"A reply about {about(case)}"[:200],
           body=body, link=conversation_path(case.id), reply_to=reply_to,
           message_id=message_id)


def tell_staff(case: Case, customer: User, body: str, owners: list[User]) -> None:
    """The case's assignee, or else its team's owners, hear the customer answered."""
    assignee = db.session.get(User, case.assignee_id) if case.assignee_id else None
    people = [assignee] if assignee is not None and assignee.active else owners
    notify(people, kind="case_customer_message",
           subject=f"{customer.display_name} answered on case #{case.id}"[:200],
           body=body, link=staff_case_path(case.id))
