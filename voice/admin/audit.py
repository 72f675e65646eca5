"""The audit log: every staff action, who and when.

The staff side writes its own actions (role changes, deactivation, team, rule and
case changes, updates) with :func:`record`, inside the transaction of the action.
The domains' staff actions arrive as signals, in the domain's transaction:
``idea_status_changed``, ``idea_merged``, ``market_resolved``, ``market_voided``,
and ``staff_acted`` for anything else. A ``staff_acted`` whose action one of the
dedicated signals already covers (:data:`COVERED_ACTIONS`) is not written twice.
voice/admin/hooks.py connects the subscribers below (the app factory calls it).

A staff note quoted in an entry is written as plain text, and the log page shows every
detail as plain text (:class:`LogLine`): no Markdown marks on the page.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import joinedload

from voice.admin.models import AuditEntry
from voice.admin.query_args import day, whole_number
from voice.extensions import db
from voice.paging import Page, paginate
from voice.text import markdown_text, one_line

COVERED_ACTIONS = {"idea.status", "idea.merge", "market.resolve", "market.void"}
MAX_DETAIL = 2000


def record(actor: Any, action: str, target_type: str = "", target_id: int | None = None,
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


def on_staff_acted(actor: Any, action: str = "", target_type: str = "",
                   target_id: int | None = None, detail: str = "", **_extra: Any) -> None:
    if action in COVERED_ACTIONS:
        return
    record(actor, action or "staff.action", target_type, target_id, detail)


def _noted(detail: str, note: str) -> str:
    """``detail``, then the staff's note as one line of plain text (the note is Markdown;
    after the detail's words its marks would no longer read as marks)."""
    note = one_line(markdown_text(note))
    return f"{detail}: {note}" if note else detail


def on_status_changed(idea: Any, old_status: str | None = None, new_status: str | None = None,
                      note: str = "", actor: Any = None, **_extra: Any) -> None:
    record(actor, "idea.status", "idea", idea.id, _noted(f"{old_status} → {new_status}", note))


def on_merged(survivor: Any, duplicate: Any = None, actor: Any = None, **_extra: Any) -> None:
    record(actor, "idea.merge", "idea", getattr(duplicate, "id", None),
           f"merged into idea #{survivor.id}")


def on_market_resolved(market: Any, outcome: Any = None, note: str = "", actor: Any = None,
                       **_extra: Any) -> None:
    label = getattr(outcome, "label", "?")
    record(actor, "market.resolve", "market", market.id, _noted(f"resolved as {label}", note))


def on_market_voided(market: Any, note: str = "", actor: Any = None, **_extra: Any) -> None:
    record(actor, "market.void", "market", market.id, _noted("voided", note))


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


@dataclass(frozen=True)
class AuditFilters:
    action: str = ""
    actor_id: int | None = None
    target_type: str = ""
    target_id: int | None = None
    since: datetime | None = None
    until: datetime | None = None  # exclusive


def parse_filters(args: Mapping[str, str]) -> AuditFilters:
    """The log's filters from the page's query arguments. ``since`` and ``until`` are
    days, both included; Invalid ``invalid_filter`` when one is not a date."""
    until = day(args, "until")
    return AuditFilters(
        action=(args.get("action") or "").strip()[:40],
        actor_id=whole_number(args.get("actor")),
        target_type=(args.get("target_type") or "").strip()[:30],
        target_id=whole_number(args.get("target_id")),
        since=day(args, "since"),
        until=until + timedelta(days=1) if until else None,
    )


@dataclass(frozen=True)
class LogLine:
    """An entry as the log page shows it: the detail as plain text, since the notes and
    replies it quotes are Markdown (no ``**``, ``#`` or ``[x](y)`` on the page); the
    stored entry keeps what was written."""

    created_at: datetime
    actor: Any
    action: str
    target_type: str
    target_id: int | None
    detail: str

    @classmethod
    def of(cls, entry: AuditEntry) -> LogLine:
        return cls(entry.created_at, entry.actor, entry.action, entry.target_type,
                   entry.target_id, one_line(markdown_text(entry.detail)))


def entries_matching(filters: AuditFilters, page: int = 1, per_page: int = 50) -> Page:
    """The log page's lines (:class:`LogLine`), newest first."""
    found = entries(**asdict(filters), page=page, per_page=per_page)
    return replace(found, items=[LogLine.of(entry) for entry in found.items])
