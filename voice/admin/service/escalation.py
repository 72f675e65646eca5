"""An SLA that escalates: an overdue case tells its team's owners, once (issue 14).

:func:`escalate_overdue` finds the open cases past their due time that are not waiting on
the customer (``waiting`` stops the SLA clock) and were not escalated yet. Each one is
claimed by one conditional UPDATE (``SET escalated_at = :now WHERE id = :id AND
escalated_at IS NULL`` and still open, not waiting, past due): only the worker whose
UPDATE changed the row (rowcount 1) tells the owners, in the same transaction, in-app
and by mail (kind ``case_escalated``, category ``team_cases``). Two workers running at
once (``flask --app voice cases escalate --loop`` on two machines) therefore tell each
owner exactly once: on PostgreSQL the second UPDATE waits for the first's row lock and
then finds ``escalated_at`` set; on SQLite the immediate transactions queue.

A team without owners escalates to the admins, so an overdue case is never silent.

When a case's due time moves later (a resume from ``waiting``, a new due date, a
reopen), ``escalated_at`` is cleared by :func:`due_moved`, which voice/admin/hooks.py
attaches to every change of ``Case.due_at`` made through the ORM: once overdue again,
the case escalates again.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult, event, select, update

from voice.accounts.models import User
from voice.admin import audit, clock
from voice.admin.models import Case, Team, TeamOwner
from voice.admin.service.thread import add_event, staff_case_path
from voice.clock import utcnow
from voice.database import write_transaction
from voice.extensions import db
from voice.loop.service import notify

#: Cases claimed per run at most (the oldest due first); the next run takes the rest.
BATCH = 200
KIND = "case_escalated"


def _overdue(now: datetime) -> Any:
    """The condition of a case that should escalate at ``now``: overdue (open, its clock
    running, past due: voice/admin/clock.py) and not escalated yet."""
    return clock.overdue_clause(now) & Case.escalated_at.is_(None)


def due_cases(now: datetime, limit: int = BATCH) -> list[int]:
    """The ids of the cases to escalate at ``now``, the longest overdue first."""
    return list(db.session.scalars(
        select(Case.id).where(_overdue(now)).order_by(Case.due_at, Case.id).limit(limit)))


def claim(case_id: int, now: datetime) -> bool:
    """Mark the case escalated at ``now`` if nobody did yet: True for the one winner."""
    result = cast("CursorResult[Any]", db.session.execute(
        update(Case).where(Case.id == case_id, _overdue(now)).values(escalated_at=now)
        .execution_options(synchronize_session=False)))
    return result.rowcount == 1


def recipients(team_id: int) -> list[User]:
    """The team's active owners; the active admins when it has none."""
    owners = list(db.session.scalars(
        select(User).join(TeamOwner, TeamOwner.user_id == User.id)
        .where(TeamOwner.team_id == team_id, User.active.is_(True)).order_by(User.id)))
    if owners:
        return owners
    return list(db.session.scalars(
        select(User).where(User.role == "admin", User.active.is_(True)).order_by(User.id)))


def _tell(case_id: int, now: datetime) -> None:
    """The winner's part: the owners told, an event in the case's history, the audit log."""
    case, team_name = db.session.execute(
        select(Case, Team.name).join(Team, Team.id == Case.team_id).where(Case.id == case_id)
    ).one()
    late = now - case.due_at
    hours = int(late.total_seconds() // 3600)
    detail = f"overdue since {case.due_at:%Y-%m-%d %H:%M} UTC ({hours} h)"
    people = recipients(case.team_id)
    notify(people, kind=KIND, subject=f"Overdue case #{case.id} of {team_name}: {case.title}",
           body=f"The case “{case.title}” was due {case.due_at:%d %b %Y %H:%M} UTC and "
                "nobody has closed it yet.", link=staff_case_path(case.id))
    add_event(case, None, f"Escalated to the team's owners: {detail}.", now)
    audit.record(None, "case.escalate", "case", case.id,
                 f"{detail}; told {', '.join(u.email for u in people) or 'nobody'}")


def escalate_one(case_id: int, now: datetime) -> bool:
    """Claim and tell in one transaction; False when another worker had it first (or the
    case is no longer overdue)."""
    with write_transaction():
        if not claim(case_id, now):
            return False
        _tell(case_id, now)
        return True


def escalate_overdue(now: datetime | None = None, limit: int = BATCH) -> int:
    """Escalate every case overdue at ``now`` (default: the present) that was not yet;
    the number this call escalated (a case another worker took is not counted)."""
    now = now or utcnow()
    return sum(escalate_one(case_id, now) for case_id in due_cases(now, limit))


# --- a due time moved later: escalate again when overdue again ------------------------------


def due_moved(case: Case, value: datetime | None, old: Any, _initiator: Any) -> None:
    """``Case.due_at`` set listener: a later due time clears ``escalated_at``."""
    if isinstance(old, datetime) and value is not None and value > old:
        case.escalated_at = None


def listen() -> None:
    """Attach :func:`due_moved` to ``Case.due_at``; idempotent."""
    if not event.contains(Case.due_at, "set", due_moved):
        # active_history: the old value is loaded when it was not, so it can be compared.
        event.listen(Case.due_at, "set", due_moved, active_history=True)
