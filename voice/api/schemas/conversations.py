"""The loop, both ways: a case's messages, the customer's cases, staff's view of a thread."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import StrictStr

from voice.admin.models import CASE_STATES, CaseNote
from voice.admin.models import Case as CaseRow
from voice.admin.serialize import case_json
from voice.admin.service import Conversation, StaffThread
from voice.api.schemas.admin import Case, Source, State
from voice.api.schemas.common import (
    ClosedRequest,
    Code,
    Page,
    ResponseModel,
    Time,
    enum,
)
from voice.permissions import STAFF_ROLES

# --- requests -----------------------------------------------------------------------------

BODY = Code("invalid_message", "body must be the message, as a string.")


class NewMessage(ClosedRequest):
    """The customer's answer (Markdown); the service checks it is not empty or too long."""

    body: Annotated[StrictStr, BODY]


class NewStaffMessage(ClosedRequest):
    """Staff's message to the customer; ``state`` optionally moves the case with it."""

    body: Annotated[StrictStr, BODY]
    state: Annotated[Annotated[StrictStr, enum(*CASE_STATES)] | None,
                     Code("invalid_state", "state must be a string.")] = None


# --- answers ------------------------------------------------------------------------------


class Author(ResponseModel):
    id: int
    display_name: str
    staff: bool


class Message(ResponseModel):
    """One entry of a thread. ``kind``: ``reply`` (staff to the customer), ``customer``
    (the customer's), or, to staff only, ``note`` (internal) and ``event`` (history)."""

    id: int
    author: Author | None
    body: str
    created_at: Time
    kind: Annotated[str, enum("reply", "customer", "note", "event")]
    via: Annotated[str, enum("web", "api", "mail")]

    @classmethod
    def of(cls, note: CaseNote, author: Any = None) -> Message:
        """``author``: when the relationship is not loaded (a message just written)."""
        author = author if author is not None else note.__dict__.get("author")
        return cls(
            id=note.id, body=note.body, created_at=note.created_at, kind=note.kind, via=note.via,
            author=None if author is None else Author(
                id=author.id, display_name=author.display_name,
                staff=author.role in STAFF_ROLES))


class MyCase(ResponseModel):
    """A case as its customer sees it: the messages either way, never the notes."""

    id: int
    subject: str
    state: State
    state_label: str
    source: Source
    messages: list[Message]
    created_at: Time
    updated_at: Time

    @classmethod
    def of(cls, conversation: Conversation) -> MyCase:
        case = conversation.case
        return cls(id=case.id, subject=conversation.subject, state=case.state,
                   state_label=conversation.state_label,
                   source=Source(type=case.source_type, id=case.source_id),
                   messages=[Message.of(note) for note in conversation.messages],
                   created_at=case.created_at, updated_at=case.updated_at)


class MyCaseList(Page[MyCase]):
    """The caller's conversations, the latest message first."""


class CaseThread(Case):
    """A case (staff) with its thread: ``messages`` either way and the internal ``notes``
    (with the case's history events), each oldest first, and its SLA clock."""

    messages: list[Message]
    notes: list[Message]
    waiting_since: Time | None
    paused_seconds: int
    last_message_at: Time | None

    @classmethod
    def of(cls, found: StaffThread) -> CaseThread:
        case: CaseRow = found.case
        return cls.model_validate({
            **case_json(case), "messages": [Message.of(n) for n in found.messages],
            "notes": [Message.of(n) for n in found.notes], "waiting_since": case.waiting_since,
            "paused_seconds": case.paused_seconds or 0, "last_message_at": case.last_message_at,
        })
