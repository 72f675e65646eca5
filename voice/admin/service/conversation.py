"""The conversation of a case: staff and the customer writing to each other (issue 14).

Writes, each in one ``write_transaction`` with the case's row locked:

- :func:`post_staff_message`: a ``reply`` (through ``cases.send_reply``, the path
  ``change_case(reply=...)`` takes too), optionally moving the case (``waiting`` ...);
- :func:`post_customer_message`: a ``customer`` message. A waiting case goes back to
  in progress (its SLA clock resumes), a closed one reopens (an event and an audit
  entry); the assignee, or else the team's owners, are told.

Reads: :func:`my_cases` / :func:`my_case` (the customer's side: only the messages, never
the internal notes or the history) and :func:`case_thread` (staff: all of it).
A customer sees a case about their own idea, comment or identified response; the list
holds those in which somebody has written.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import joinedload

from voice.accounts.models import User
from voice.admin.models import CLOSED_STATES, Case, CaseNote, TeamOwner
from voice.admin.service import thread
from voice.admin.service.case_queries import get_case
from voice.admin.service.cases import (
    check_reply,
    check_state,
    locked_case,
    move_state,
    send_reply,
    target_state,
)
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import NotFound
from voice.extensions import db
from voice.paging import Page
from voice.permissions import require_staff

#: The kinds of thread entries the customer sees: the messages either way.
MESSAGE_KINDS = ("reply", "customer")
#: Staff only: internal notes and the case's history.
STAFF_ONLY_KINDS = ("note", "event")
#: A case's state as the customer reads it.
CUSTOMER_STATE_LABELS = {
    "new": "Received",
    "acknowledged": "Received",
    "in_progress": "We are on it",
    "waiting": "Waiting for your answer",
    "closed": "Closed",
    "wont_do": "Closed",
}
NOT_YOURS = "No such conversation."


@dataclass
class Conversation:
    """A case as its customer sees it: the case and its messages, oldest first."""

    case: Case
    messages: list[CaseNote] = field(default_factory=list)

    @property
    def subject(self) -> str:
        text = thread.about(self.case)
        return text[:1].upper() + text[1:]

    @property
    def state_label(self) -> str:
        return CUSTOMER_STATE_LABELS.get(self.case.state, self.case.state)

    @property
    def awaits_customer(self) -> bool:
        """Staff wrote last: the customer has something to read (or answer)."""
        return self.case.last_message_at is not None and not self.case.last_message_by_customer


@dataclass
class StaffThread:
    """A case with every entry of its thread, oldest first."""

    case: Case
    entries: list[CaseNote]

    @property
    def messages(self) -> list[CaseNote]:
        return [entry for entry in self.entries if entry.kind in MESSAGE_KINDS]

    @property
    def notes(self) -> list[CaseNote]:
        return [entry for entry in self.entries if entry.kind in STAFF_ONLY_KINDS]


# --- writing ------------------------------------------------------------------------------


def post_staff_message(actor: User, case_id: int, body: str, *, state: str | None = None,
                       via: str = "web", now: datetime | None = None) -> CaseNote:
    """Staff write to the case's customer (in-app and by mail with the signed reply
    address); ``state`` optionally moves the case (``waiting``: on the customer).

    Errors: 400 ``invalid_message`` (empty or longer than ``MAX_MESSAGE``), 400
    ``invalid_state``, 409 ``invalid_transition``, 400 ``no_customer``, 404 ``not_found``.
    """
    require_staff(actor)
    body = thread.clean_message(body)
    thread.check_channel(via)
    check_state(state)
    with write_transaction():
        case = locked_case(case_id)
        now = now or utcnow()
        target = target_state(case, state)
        check_reply(case, target, body)
        note = send_reply(actor, case, body, now, via=via)
        if target is not None:
            move_state(actor, case, target, now)
        case.updated_at = now
    return note


def post_customer_message(customer: User, case_id: int, body: str, *, via: str = "web",
                          now: datetime | None = None) -> CaseNote:
    """The customer answers on their case. A waiting case goes back to in progress (the
    SLA clock resumes: the due time moves by the wait), a closed or won't-do one reopens
    to in progress; the assignee, or else the team's owners, are told.

    Errors: 400 ``invalid_message``, 404 ``not_found`` unless the case is about
    ``customer``.
    """
    body = thread.clean_message(body)
    thread.check_channel(via)
    with write_transaction():
        case = locked_case(case_id)
        if case.customer_id is None or case.customer_id != customer.id:
            raise NotFound(NOT_YOURS, code="not_found")
        now = now or utcnow()  # read after the lock: the thread's order is the commit order
        author = db.session.get(User, customer.id)
        note = thread.add_message(case, customer.id, "customer", body, via=via, now=now)
        if case.state == "waiting" or case.state in CLOSED_STATES:
            move_state(author, case, "in_progress", now)
        case.updated_at = now
        thread.tell_staff(case, author or customer, body, _team_owners(case.team_id))
    return note


def _team_owners(team_id: int) -> list[User]:
    return list(db.session.scalars(
        select(User).join(TeamOwner, TeamOwner.user_id == User.id)
        .where(TeamOwner.team_id == team_id, User.active.is_(True)).order_by(User.id)))


# --- reading ------------------------------------------------------------------------------


def _mine(user: User):
    """The cases listed for ``user``: about them, with at least one message or reply."""
    return (Case.customer_id == user.id,
            or_(Case.last_message_at.is_not(None), Case.replied_at.is_not(None)))


def _messages_of(case_ids: list[int]) -> dict[int, list[CaseNote]]:
    """The customer-visible messages of these cases, oldest first, in one query."""
    found: dict[int, list[CaseNote]] = defaultdict(list)
    if not case_ids:
        return found
    for note in db.session.scalars(
            select(CaseNote).options(joinedload(CaseNote.author))
            .where(CaseNote.case_id.in_(case_ids), CaseNote.kind.in_(MESSAGE_KINDS))
            .order_by(CaseNote.case_id, CaseNote.created_at, CaseNote.id)):
        found[note.case_id].append(note)
    return found


def my_cases(user: User, page: int = 1, per_page: int = 20) -> Page:
    """The caller's conversations (:class:`Conversation`), the latest message first, in
    three queries whatever their number (the total, the page, the messages)."""
    conditions = _mine(user)
    total = db.session.scalar(select(func.count(Case.id)).where(*conditions)) or 0
    latest = func.coalesce(Case.last_message_at, Case.replied_at, Case.created_at)
    cases = list(db.session.scalars(
        select(Case).where(*conditions).order_by(latest.desc(), Case.id.desc())
        .limit(per_page).offset((page - 1) * per_page)))
    messages = _messages_of([case.id for case in cases])
    items = [Conversation(case, messages.get(case.id, [])) for case in cases]
    return Page(items=items, page=page, per_page=per_page, total=total)


def my_case(user: User, case_id: int) -> Conversation:
    """One of the caller's cases with its messages; NotFound ``not_found`` for a case that
    is not about them (whoever's it is, the answer is the same)."""
    case = db.session.scalar(select(Case).where(Case.id == case_id,
                                                Case.customer_id == user.id))
    if case is None:
        raise NotFound(NOT_YOURS, code="not_found")
    return Conversation(case, _messages_of([case.id]).get(case.id, []))


def case_thread(case_id: int) -> StaffThread:
    """A case (team, assignee, customer loaded) and its whole thread, for staff."""
    case = get_case(case_id)
    entries = list(db.session.scalars(
        select(CaseNote).options(joinedload(CaseNote.author))
        .where(CaseNote.case_id == case.id).order_by(CaseNote.created_at, CaseNote.id)))
    return StaffThread(case, entries)
