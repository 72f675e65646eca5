"""Cases: opened by routing, then worked by staff (state, assignee, team, due time,
internal notes, the reply the customer gets). Every change writes its audit entry in
the same transaction; every state move is also an ``event`` of the case's thread.

A reply goes through the thread's one message path (``thread.add_message``, the same
as ``conversation.post_staff_message``); ``waiting`` stops the SLA clock and leaving it
starts it again (voice/admin/clock.py).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voice.accounts.models import User
from voice.admin import audit, clock, rules, webhooks
from voice.admin.models import (
    CASE_STATES,
    CLOSED_STATES,
    STATE_LABELS,
    Case,
    CaseNote,
    RoutingRule,
)
from voice.admin.service import thread
from voice.admin.service.queries import get_team
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.permissions import STAFF_ROLES, require_staff

MAX_REPLY = thread.MAX_MESSAGE
MAX_NOTE = 5000

#: Which state may follow which. A closed case reopens (back to in progress, issue 13);
#: won't-do is final. ``waiting`` (on the customer, issue 14) goes back to in progress
#: (by staff, or when the customer answers) or closes.
TRANSITIONS = {
    "new": {"acknowledged", "in_progress", "waiting", "closed", "wont_do"},
    "acknowledged": {"in_progress", "waiting", "closed", "wont_do"},
    "in_progress": {"waiting", "closed", "wont_do"},
    "waiting": {"in_progress", "closed", "wont_do"},
    "closed": {"in_progress"},
    "wont_do": set(),
}

_UNSET: Any = object()


# --- opening ----------------------------------------------------------------------------


def open_case(signal: rules.Signal, decision: rules.Decision, rule_name: str = "",
              *, title: str = "", link: str = "") -> Case | None:
    """Open the case of a routing decision, in the caller's transaction.

    None when this source already has a case of this rule (an event is routed once).
    """
    source_type = signal.source_type
    exists = db.session.scalar(select(Case.id).where(
        Case.source_type == source_type, Case.source_id == signal.source_id,
        Case.rule_id == decision.rule_id))
    if exists is not None:
        return None
    case = Case(
        source_type=source_type,
        source_id=signal.source_id,
        rule_id=decision.rule_id,
        rule_name=rule_name[:120],
        reason=decision.reason[:200],
        team_id=decision.team_id,
        customer_id=signal.customer_id,
        state="new",
        priority=decision.priority,
        title=(title or signal.title or f"{source_type} #{signal.source_id}")[:200],
        excerpt=(signal.text or "")[:2000],
        link=link[:300],
        area_id=signal.area_id,
        due_at=decision.due_at,
        created_at=signal.occurred_at,
        updated_at=signal.occurred_at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        return None  # a concurrent transaction opened it first
    webhooks.enqueue_case(case)
    return case


# --- working them -------------------------------------------------------------------------


def check_state(state: str | None) -> None:
    if state is not None and state not in CASE_STATES:
        raise Invalid(f"A state is one of {', '.join(CASE_STATES)}.", code="invalid_state",
                      field="state")


def _clean(text: str | None, limit: int, field: str, what: str) -> str | None:
    """The text trimmed (None when empty); Invalid ``invalid_<field>`` when too long."""
    text = (text or "").strip() or None
    if text is not None and len(text) > limit:
        raise Invalid(f"{what} has at most {limit} characters.", code=f"invalid_{field}",
                      field=field)
    return text


def locked_case(case_id: int) -> Case:
    """The case, its row locked for the rest of the transaction; NotFound ``not_found``."""
    case = db.session.scalar(select(Case).where(Case.id == case_id).with_for_update())
    if case is None:
        raise NotFound("No such case.", code="not_found")
    return case


def target_state(case: Case, state: str | None) -> str | None:
    """The state the case moves to (None: it stays); Conflict for a move not allowed."""
    target = state if state is not None and state != case.state else None
    if target is not None and target not in TRANSITIONS[case.state]:
        raise Conflict(
            f"A case that is {case.state_label.lower()} cannot become "
            f"{target.replace('_', ' ')}.", code="invalid_transition", field="state")
    return target


def check_reply(case: Case, target: str | None, reply: str | None) -> None:
    """A reply needs a customer; so does waiting on one; closing an identified customer's
    case needs a reply."""
    if target == clock.WAITING and case.customer_id is None:
        raise Invalid("Only a case with an identified customer can wait on the customer.",
                      code="no_customer", field="state")
    if reply is not None and case.customer_id is None:
        raise Invalid("This case has no identified customer to reply to (an anonymous "
                      "response or a market move): add an internal note instead.",
                      code="no_customer", field="reply")
    if (target in CLOSED_STATES and case.customer_id is not None
            and reply is None and case.replied_at is None):
        raise Conflict("Write the reply the customer will get before closing this case.",
                       code="reply_required", field="reply")


def _assign(actor: User, case: Case, assignee_id: int | None) -> None:
    if assignee_id == case.assignee_id:
        return
    if assignee_id is not None:
        assignee = db.session.get(User, assignee_id)
        if assignee is None or assignee.role not in STAFF_ROLES or not assignee.active:
            raise Invalid("Assign the case to an active staff member.",
                          code="invalid_assignee", field="assignee_id")
    case.assignee_id = assignee_id
    audit.record(actor, "case.assign", "case", case.id,
                 f"assignee #{assignee_id}" if assignee_id else "unassigned")


def _move_team(actor: User, case: Case, team_id: int) -> None:
    if team_id == case.team_id:
        return
    team = get_team(team_id)
    audit.record(actor, "case.team", "case", case.id,
                 f"team #{case.team_id} → #{team.id} ({team.name})")
    case.team_id = team.id


def _set_due(actor: User | None, case: Case, due_at: datetime) -> None:
    if due_at == case.due_at:
        return
    audit.record(actor, "case.due", "case", case.id,
                 f"due {case.due_at:%Y-%m-%d %H:%M} → {due_at:%Y-%m-%d %H:%M}")
    case.due_at = due_at


def _add_note(actor: User, case: Case, note: str, now: datetime) -> None:
    db.session.add(CaseNote(case_id=case.id, author_id=actor.id, kind="note", body=note,
                            created_at=now))
    audit.record(actor, "case.note", "case", case.id, note[:200])


def _reopen(actor: User | None, case: Case, now: datetime) -> None:
    """A closed case back in work: no closing time, and the due time counted again from
    now with its rule's SLA (the case's first SLA span when the rule is gone)."""
    rule = db.session.get(RoutingRule, case.rule_id) if case.rule_id else None
    span = timedelta(hours=rule.sla_hours) if rule is not None else case.due_at - case.created_at
    audit.record(actor, "case.reopen", "case", case.id, f"reopened from {case.state}")
    case.closed_at = None
    _set_due(actor, case, now + span)


def move_state(actor: User | None, case: Case, target: str, now: datetime) -> None:
    """Move the locked case to ``target`` (already allowed): audit entry, thread event,
    the SLA clock stopped on entering ``waiting`` and resumed on leaving it, a closed case
    reopened."""
    audit.record(actor, "case.state", "case", case.id, f"{case.state} → {target}")
    thread.add_event(case, getattr(actor, "id", None),
                     f"{STATE_LABELS[case.state]} → {STATE_LABELS[target]}", now)
    if case.state == clock.WAITING:
        clock.resume(case, now)
    if case.state in CLOSED_STATES and target not in CLOSED_STATES:
        _reopen(actor, case, now)
    if target == clock.WAITING:
        clock.stop(case, now)
    case.state = target
    if case.first_response_at is None:
        case.first_response_at = now
    if target in CLOSED_STATES:
        case.closed_at = now


def change_case(actor: User, case_id: int, *, state: str | None = None,
                assignee_id: Any = _UNSET, reply: str | None = None, note: str | None = None,
                team_id: int | None = None, due_at: datetime | None = None,
                now: datetime | None = None, via: str = "web") -> Case:
    """Change a case: state, assignee (None unassigns), team, due time; send a reply;
    add an internal note. All or nothing, one audit entry per change.

    Errors: 400 ``invalid_state`` (not a state), 409 ``invalid_transition`` (won't-do
    is final, a closed case only reopens to in progress, no way back to "new"), 409
    ``reply_required`` (closing a case of an identified customer who never got a reply),
    400 ``no_customer`` (a reply on a case nobody can receive, or waiting on nobody), 400
    ``invalid_assignee``, 404 ``unknown_team``.
    """
    require_staff(actor)
    now = now or utcnow()
    check_state(state)
    thread.check_channel(via)
    reply = _clean(reply, MAX_REPLY, "reply", "A reply")
    note = _clean(note, MAX_NOTE, "note", "A note")
    with write_transaction():
        case = locked_case(case_id)
        target = target_state(case, state)
        check_reply(case, target, reply)
        if assignee_id is not _UNSET:
            _assign(actor, case, assignee_id)
        if team_id is not None:
            _move_team(actor, case, team_id)
        if due_at is not None:
            _set_due(actor, case, due_at)
        if note is not None:
            _add_note(actor, case, note, now)
        if reply is not None:
            send_reply(actor, case, reply, now, via=via)
        if target is not None:
            move_state(actor, case, target, now)
        case.updated_at = now
    return case


def send_reply(actor: User, case: Case, reply: str, now: datetime, *,
               via: str = "web") -> CaseNote:
    """Staff's message to the customer of the locked case: the thread's ``reply`` entry,
    the case's last reply, the audit entry, and the customer told in-app and by mail."""
    note = thread.add_message(case, actor.id, "reply", reply, via=via, now=now)
    case.reply = reply
    case.replied_at = now
    case.replied_by_id = actor.id
    if case.first_response_at is None:
        case.first_response_at = now
    audit.record(actor, "case.reply", "case", case.id, reply[:200])
    thread.tell_customer(case, reply)
    return note


def add_note(actor: User, case_id: int, body: str) -> Case:
    if not (body or "").strip():
        raise Invalid("Write the note first.", code="invalid_note", field="note")
    return change_case(actor, case_id, note=body)
