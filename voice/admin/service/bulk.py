"""Working many cases at once from the inbox: assign them, or close them with one reply.

One transaction per case, not all or nothing: each case is assigned or closed wholly or
not at all (``change_case`` inside a ``write_transaction`` of its own, the case row locked
again inside it), and a case that cannot move (closed meanwhile, won't do, gone) is
skipped with its reason, so one stale row of a long list does not undo the others. What
is wrong with the request itself (an assignee who is not staff, a reply too long, too
many cases) is refused before any case moves.

A bulk close sends the reply to each case's customer through the same path as a single
reply (``change_case(..., reply=...)``: a ``reply`` note, the customer told in-app and by
mail); a case with nobody to reply to (an anonymous response, a market move) closes with
the text kept as an internal note. The work is bounded: at most :data:`MAX_BULK` cases a
request, a constant number of statements each (tests/test_inbox.py).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select

from voice.accounts.models import User
from voice.admin.models import CLOSED_STATES, Case
from voice.admin.service.cases import MAX_NOTE, MAX_REPLY, change_case
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.permissions import STAFF_ROLES, require_staff
from voice.query_args import number

#: The most cases one bulk action takes (a page of the inbox holds at most 100).
MAX_BULK = 200
BULK_ACTIONS = ("assign", "close")
#: The longest bulk reply: a case with nobody to reply to keeps it as an internal note,
#: so it fits both.
MAX_BULK_REPLY = min(MAX_REPLY, MAX_NOTE)


@dataclass
class BulkResult:
    """The cases that moved, and those skipped with the reason (case id, sentence)."""

    done: list[int] = field(default_factory=list)
    skipped: list[tuple[int, str]] = field(default_factory=list)


def parse_case_ids(values: Iterable[Any]) -> list[int]:
    """The ticked case ids, each once, in the order given; Invalid ``invalid_cases`` for
    none, for more than :data:`MAX_BULK`, or for a value that is not a case number."""
    ids: list[int] = []
    for value in values:
        case_id = number(str(value).strip(), "case", low=1, code="invalid_cases")
        if case_id not in ids:
            ids.append(case_id)
    if not ids:
        raise Invalid("Tick the cases first.", code="invalid_cases", field="case_ids")
    if len(ids) > MAX_BULK:
        raise Invalid(f"At most {MAX_BULK} cases at once.", code="invalid_cases",
                      field="case_ids")
    return ids


def _check_assignee(assignee_id: int | None) -> None:
    if assignee_id is None:
        return
    assignee = db.session.get(User, assignee_id)
    if assignee is None or assignee.role not in STAFF_ROLES or not assignee.active:
        raise Invalid("Assign the cases to an active staff member.", code="invalid_assignee",
                      field="assignee_id")


def _reply_text(reply: str | None) -> str:
    text = (reply or "").strip()
    if not text:
        raise Invalid("Write the reply each customer will get.", code="invalid_reply",
                      field="reply")
    if len(text) > MAX_BULK_REPLY:
        raise Invalid(f"A reply to many cases has at most {MAX_BULK_REPLY:,} characters.",
                      code="invalid_reply", field="reply")
    return text


def bulk_assign(actor: User, case_ids: Iterable[int], assignee_id: int | None,
                now: datetime | None = None) -> BulkResult:
    """Assign each case to ``assignee_id`` (None unassigns), one transaction each."""
    require_staff(actor)
    _check_assignee(assignee_id)
    now = now or utcnow()
    result = BulkResult()
    for case_id in case_ids:
        try:
            change_case(actor, case_id, assignee_id=assignee_id, now=now)
        except (Conflict, NotFound) as error:
            result.skipped.append((case_id, error.message))
        else:
            result.done.append(case_id)
    return result


def _close_one(actor: User, case_id: int, reply: str, now: datetime) -> str | None:
    """Close one case in its own transaction; the reason when it was skipped."""
    with write_transaction():
        row = db.session.execute(select(Case.state, Case.customer_id)
                                 .where(Case.id == case_id).with_for_update()).first()
        if row is None:
            return "No such case."
        state, customer_id = row
        if state in CLOSED_STATES:
            return "It was closed already."
        if customer_id is None:
            change_case(actor, case_id, state="closed", note=reply, now=now)
        else:
            change_case(actor, case_id, state="closed", reply=reply, now=now)
    return None


def bulk_close(actor: User, case_ids: Iterable[int], reply: str | None,
               now: datetime | None = None) -> BulkResult:
    """Close each case, sending ``reply`` to its customer, one transaction each."""
    require_staff(actor)
    text = _reply_text(reply)
    now = now or utcnow()
    result = BulkResult()
    for case_id in case_ids:
        try:
            skipped = _close_one(actor, case_id, text, now)
        except (Conflict, NotFound) as error:
            skipped = error.message
        if skipped is None:
            result.done.append(case_id)
        else:
            result.skipped.append((case_id, skipped))
    return result
