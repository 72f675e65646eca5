"""A case's SLA clock: it runs while staff owe work, and stops while the case waits.

A case ``waiting`` on the customer is open, but its clock is stopped since
``waiting_since``; when it leaves ``waiting`` (staff move it, or the customer answers),
the stop is over: its length is added to ``paused_seconds`` and the due time moves by it,
so the case is due as long after its signal as the SLA says, in working time. Working time
is wall time minus the pauses (:func:`working_seconds`).

Overdue means open, clock running, past due: a waiting case is never overdue. Every
overdue count and filter uses :func:`overdue_clause` (SQL) or :func:`is_overdue` (a loaded
case), so the inbox, the dashboard and the teams' counts agree.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, and_

from voice.admin.models import OPEN_STATES, Case

WAITING = "waiting"
#: The open states whose clock runs.
RUNNING_STATES = tuple(state for state in OPEN_STATES if state != WAITING)


def overdue_clause(now: datetime) -> ColumnElement[bool]:
    """SQL: the case is overdue at ``now`` (open, its clock running, past its due time)."""
    return and_(Case.state.in_(RUNNING_STATES), Case.due_at < now)


def is_overdue(case: Case, now: datetime) -> bool:
    """The same rule as :func:`overdue_clause`, on a loaded case."""
    return case.state in RUNNING_STATES and case.due_at < now


def stop(case: Case, now: datetime) -> None:
    """The case starts waiting: its clock stops at ``now``."""
    case.waiting_since = now


def resume(case: Case, now: datetime) -> int:
    """The case stops waiting: the pause is added to ``paused_seconds`` and the due time
    moves by it. Returns the pause in whole seconds (0 when the clock was not stopped)."""
    since = case.waiting_since
    case.waiting_since = None
    if since is None:
        return 0
    paused = max(0, int((now - since).total_seconds()))
    case.paused_seconds = (case.paused_seconds or 0) + paused
    case.due_at = case.due_at + timedelta(seconds=paused)
    return paused


def working_seconds(case: Case, until: datetime) -> int:
    """Seconds of the case's clock from its opening to ``until``, the pauses left out
    (the one going on too)."""
    paused = case.paused_seconds or 0
    if case.waiting_since is not None and until > case.waiting_since:
        paused += int((until - case.waiting_since).total_seconds())
    return max(0, int((until - case.created_at).total_seconds()) - paused)
