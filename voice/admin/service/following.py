"""Cases follow their signals (issue 14): what becomes of the source closes its cases.

- An idea becomes ``done`` or ``declined``: its open cases (source ``idea``) close, and the
  public note of the status change is recorded as their reply (a ``reply`` note and
  ``case.reply``). The customer was already told by the status change itself, so nothing
  is sent again. Without a note, the reply recorded is the sentence the status change sent
  ("“Title” is now done.").
- An idea is merged: its open cases close pointing at the survivor's open case
  (``merged_into_id``, the oldest open one when there are several), with an event in both
  cases' histories; when the survivor has no open case, they close pointing at the
  survivor idea (an event naming it). The customer was told of the merge by the ideas.
- A market is resolved or voided: its open cases (source ``market``, the swing cases)
  close with the resolution note (as their reply when the case has a customer).

Each move writes an ``event`` note in the case's history and an audit entry. The
subscribers (voice/admin/hooks.py) run inside the sender's transaction; the cases are
locked (``FOR UPDATE``) before they change, so a staff member's change to the same case
waits for it or is waited for, never lost. A case waiting on its customer stops waiting
(its pause is added to ``paused_seconds``) as it closes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from voice.admin import audit, clock
from voice.admin.models import OPEN_STATES, Case
from voice.admin.service import thread
from voice.clock import utcnow
from voice.database import write_transaction
from voice.extensions import db
from voice.text import one_line

#: The idea statuses that end its cases.
FINAL_STATUSES = {"done": "done", "declined": "declined"}


def open_cases_of(source_type: str, source_id: int) -> list[Case]:
    """The open cases of one source, locked, oldest first."""
    return list(db.session.scalars(
        select(Case).where(Case.source_type == source_type, Case.source_id == source_id,
                           Case.state.in_(OPEN_STATES))
        .order_by(Case.created_at, Case.id).with_for_update()))


def _event(case: Case, actor_id: int | None, body: str, now: datetime) -> None:
    thread.add_event(case, actor_id, body, now)


def _record_reply(case: Case, actor_id: int | None, reply: str, now: datetime) -> None:
    """The note the customer already got, kept as the case's reply (nothing is sent)."""
    thread.add_message(case, actor_id, "reply", reply, via="web", now=now)
    case.reply, case.replied_at, case.replied_by_id = reply, now, actor_id


def _close(case: Case, now: datetime, merged_into_id: int | None = None) -> None:
    clock.resume(case, now)  # a case waiting on its customer: the pause ends here
    case.state = "closed"
    case.closed_at = case.updated_at = now
    if case.first_response_at is None:
        case.first_response_at = now
    if merged_into_id is not None:
        case.merged_into_id = merged_into_id


def close_with_reply(cases: Sequence[Case], actor: Any, reply: str, event: str,
                     now: datetime) -> list[Case]:
    """Close each case with ``reply`` recorded (cases of a customer) and ``event`` in its
    history; one audit entry each (action ``case.follow``)."""
    actor_id = getattr(actor, "id", None)
    for case in cases:
        if case.customer_id is not None:
            _record_reply(case, actor_id, reply, now)
        _event(case, actor_id, event, now)
        audit.record(actor, "case.follow", "case", case.id, f"{event} {reply}"[:500])
        _close(case, now)
    return list(cases)


# --- the signals' reactions ---------------------------------------------------------------


def idea_finished(idea: Any, status: str, note: str, actor: Any,
                  now: datetime | None = None) -> list[Case]:
    """The idea is ``done`` or ``declined`` (with its public note): its open cases close."""
    if status not in FINAL_STATUSES:
        return []
    now = now or utcnow()
    title = one_line(idea.title)
    reply = (note or "").strip() or f"“{title}” is now {FINAL_STATUSES[status]}."
    with write_transaction():
        return close_with_reply(
            open_cases_of("idea", idea.id), actor, reply,
            f"Closed itself: the idea became {FINAL_STATUSES[status]}, and this note went "
            "to the customer with the status change.", now)


def _survivor_case(survivor_id: int) -> Case | None:
    found = open_cases_of("idea", survivor_id)
    return found[0] if found else None


def idea_merged(survivor: Any, duplicate: Any, actor: Any,
                now: datetime | None = None) -> list[Case]:
    """The duplicate's open cases close, pointing at the survivor's open case (an event in
    both) or, without one, at the survivor idea."""
    now = now or utcnow()
    actor_id = getattr(actor, "id", None)
    with write_transaction():
        moved = open_cases_of("idea", duplicate.id)
        if not moved:
            return []
        into = _survivor_case(survivor.id)
        title = one_line(survivor.title)
        for case in moved:
            if into is not None:
                _event(case, actor_id, f"Merged into case #{into.id}: the idea was merged "
                       f"into idea #{survivor.id} “{title}”.", now)
                _event(into, actor_id, f"Case #{case.id} (idea #{duplicate.id} "
                       f"“{one_line(duplicate.title)}”) was merged into this one.", now)
            else:
                _event(case, actor_id, f"Closed: the idea was merged into idea "
                       f"#{survivor.id} “{title}”, which has no open case.", now)
            where = f"case #{into.id}" if into is not None else f"idea #{survivor.id}"
            audit.record(actor, "case.merge", "case", case.id,
                         f"idea #{duplicate.id} merged into idea #{survivor.id}: "
                         f"closed, pointing at {where}")
            _close(case, now, into.id if into is not None else None)
        return moved


def market_settled(market: Any, what: str, note: str, actor: Any,
                   now: datetime | None = None) -> list[Case]:
    """The market is settled (``what``: "resolved as “Yes”" or "voided"): its open cases
    close with the resolution note."""
    now = now or utcnow()
    reply = (note or "").strip() or f"The market “{one_line(market.question)}” was {what}."
    with write_transaction():
        return close_with_reply(
            open_cases_of("market", market.id), actor, reply,
            f"Closed itself: the market was {what}.", now)


# --- subscribers (connected by voice/admin/hooks.py) -----------------------------------------


def on_status_changed(idea: Any, old_status: str | None = None, new_status: str = "",
                      note: str = "", actor: Any = None, **_extra: Any) -> None:
    idea_finished(idea, new_status, note, actor, now=getattr(idea, "updated_at", None))


def on_merged(survivor: Any, duplicate: Any = None, actor: Any = None, **_extra: Any) -> None:
    if duplicate is not None:
        idea_merged(survivor, duplicate, actor, now=getattr(duplicate, "merged_at", None))


def on_market_resolved(market: Any, outcome: Any = None, note: str = "", actor: Any = None,
                       **_extra: Any) -> None:
    label = one_line(getattr(outcome, "label", "") or "")
    market_settled(market, f"resolved as “{label}”" if label else "resolved", note, actor,
                   now=getattr(market, "resolved_at", None))


def on_market_voided(market: Any, note: str = "", actor: Any = None, **_extra: Any) -> None:
    market_settled(market, "voided", note, actor, now=getattr(market, "resolved_at", None))
