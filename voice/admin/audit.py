"""The audit log: every staff action, who and when.

The staff side writes its own actions (role changes, deactivation, team, rule and
case changes, updates) with :func:`record`, inside the transaction of the action.
The domains' staff actions arrive as signals, in the domain's transaction:
``idea_status_changed``, ``idea_merged``, ``market_resolved``, ``market_voided``,
and ``staff_acted`` for anything else. A ``staff_acted`` whose action one of the
dedicated signals already covers (:data:`COVERED_ACTIONS`) is not written twice.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from voice import signals
from voice.admin.models import AuditEntry
from voice.extensions import db
from voice.paging import Page, paginate

COVERED_ACTIONS = {"idea.status", "idea.merge", "market.resolve", "market.void"}
MAX_DETAIL = 2000


def record(actor, action: str, target_type: str = "", target_id: int | None = None,
           detail: str = "") -> AuditEntry:
    """Add one entry to the caller's transaction (never commits)."""
    entry = AuditEntry(
        actor_id=getattr(actor, "id", actor),
        action=action[:40],
        target_type=(target_type or "")[:30],
        target_id=target_id,
        detail=(detail or "")[:MAX_DETAIL],
    )
    db.session.add(entry)
    return entry


# --- subscribers: the domains' staff actions --------------------------------------------


def _on_staff_acted(actor, action: str = "", target_type: str = "", target_id=None,
                    detail: str = "", **_extra) -> None:
    if action in COVERED_ACTIONS:
        return
    record(actor, action or "staff.action", target_type, target_id, detail)


def _on_status_changed(idea, old_status=None, new_status=None, note="", actor=None,
                       **_extra) -> None:
    detail = f"{old_status} → {new_status}"
    if note:
        detail += f": {note}"
    record(actor, "idea.status", "idea", idea.id, detail)


def _on_merged(survivor, duplicate=None, actor=None, **_extra) -> None:
    record(actor, "idea.merge", "idea", getattr(duplicate, "id", None),
           f"merged into idea #{survivor.id}")


def _on_market_resolved(market, outcome=None, note="", actor=None, **_extra) -> None:
    label = getattr(outcome, "label", "?")
    record(actor, "market.resolve", "market", market.id,
           f"resolved as {label}" + (f": {note}" if note else ""))


def _on_market_voided(market, note="", actor=None, **_extra) -> None:
    record(actor, "market.void", "market", market.id, "voided" + (f": {note}" if note else ""))


def connect() -> None:
    signals.staff_acted.connect(_on_staff_acted, weak=False)
    signals.idea_status_changed.connect(_on_status_changed, weak=False)
    signals.idea_merged.connect(_on_merged, weak=False)
    signals.market_resolved.connect(_on_market_resolved, weak=False)
    signals.market_voided.connect(_on_market_voided, weak=False)


connect()


# --- reading ----------------------------------------------------------------------------


def entries(*, action: str = "", actor_id: int | None = None, target_type: str = "",
            target_id: int | None = None, since: datetime | None = None,
            until: datetime | None = None, page: int = 1, per_page: int = 50) -> Page:
    """The log, newest first; ``action`` matches a prefix ("case" finds "case.state")."""
    stmt = select(AuditEntry).options(joinedload(AuditEntry.actor))
    if action:
        stmt = stmt.where(AuditEntry.action.startswith(action, autoescape=True))
    if actor_id is not None:
        stmt = stmt.where(AuditEntry.actor_id == actor_id)
    if target_type:
        stmt = stmt.where(AuditEntry.target_type == target_type)
    if target_id is not None:
        stmt = stmt.where(AuditEntry.target_id == target_id)
    if since is not None:
        stmt = stmt.where(AuditEntry.created_at >= since)
    if until is not None:
        stmt = stmt.where(AuditEntry.created_at < until)
    stmt = stmt.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
    return paginate(stmt, page, per_page)


def action_names() -> list[str]:
    return list(db.session.scalars(
        select(AuditEntry.action).distinct().order_by(AuditEntry.action)))
