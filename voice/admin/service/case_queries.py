"""Reading cases: the inbox's filters, the list, one case with what the page shows of it.

The inbox at volume (issue 14): every filter is read through ``voice.query_args`` (a bad
value is a 400 with a sentence, on the page and in the API alike); the list's page is one
statement with its team, assignee and customer joined, plus its count, however many cases
there are (tests/test_inbox.py pins it). Overdue never counts a waiting case
(``voice.admin.clock.overdue_clause``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import joinedload

from voice.accounts.models import User
from voice.accounts.service import staff_members
from voice.admin import sources
from voice.admin.clock import WAITING, overdue_clause
from voice.admin.models import (
    CASE_STATES,
    CLOSED_STATES,
    OPEN_STATES,
    SOURCE_TYPES,
    Case,
    CaseNote,
    Team,
)
from voice.admin.service.queries import all_teams
from voice.clock import utcnow
from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.paging import Page, paginate
from voice.query_args import choice, day, whole_number


@dataclass
class CaseFilters:
    state: str = ""  # a state, "open" (any open state), "done" (closed or won't do), "" all
    team_id: int | None = None
    source_type: str = ""
    overdue: bool = False
    assignee_id: int | None = None
    replied: bool | None = None
    waiting: bool | None = None  # True: only cases waiting on the customer; False: none
    q: str = ""
    created_since: datetime | None = None
    created_until: datetime | None = None


STATE_FILTERS = ("", "open", "done", *CASE_STATES)
#: What a switch of the inbox's query takes (``overdue``, ``waiting``, ``replied``).
FLAG_VALUES = ("1", "0", "true", "false", "yes", "no", "on", "off")
FLAG_ON = ("1", "true", "yes", "on")
#: The longest text search kept.
MAX_SEARCH = 100


def _integer(args: Mapping[str, str], key: str) -> int | None:
    return whole_number(args, key)


def _flag(args: Mapping[str, str], key: str) -> bool | None:
    """A switch: None when absent, else whether it is on; Invalid for another value."""
    value = choice(args, key, FLAG_VALUES)
    return None if value is None else value in FLAG_ON


def parse_case_filters(args: Mapping[str, str]) -> CaseFilters:
    """Read filters from query arguments; Invalid on unknown values."""
    state = (args.get("state") or "").strip()
    if state not in STATE_FILTERS:
        raise Invalid(f"A state is one of {', '.join(s for s in STATE_FILTERS if s)}.",
                      code="invalid_state", field="state")
    source = (args.get("source") or "").strip()
    if source and source not in SOURCE_TYPES:
        raise Invalid(f"A source is one of {', '.join(SOURCE_TYPES)}.", code="invalid_source",
                      field="source")
    return CaseFilters(
        state=state,
        team_id=_integer(args, "team"),
        source_type=source,
        overdue=bool(_flag(args, "overdue")),
        assignee_id=_integer(args, "assignee"),
        replied=_flag(args, "replied"),
        waiting=_flag(args, "waiting"),
        q=(args.get("q") or "").strip()[:MAX_SEARCH],
        created_since=day(args, "since"),
        created_until=day(args, "until"),
    )


def _state_condition(state: str) -> ColumnElement[bool] | None:
    if state == "open":
        return Case.state.in_(OPEN_STATES)
    if state == "done":
        return Case.state.in_(CLOSED_STATES)
    return Case.state == state if state else None


def _replied_condition(replied: bool | None) -> ColumnElement[bool] | None:
    if replied is None:
        return None
    return Case.replied_at.is_not(None) if replied else Case.replied_at.is_(None)


def _text_condition(q: str) -> ColumnElement[bool] | None:
    if not q:
        return None
    pattern = f"%{q.lower()}%"
    return or_(func.lower(Case.title).like(pattern), func.lower(Case.excerpt).like(pattern),
               func.lower(Case.last_message_preview).like(pattern))


def _waiting_condition(waiting: bool | None) -> ColumnElement[bool] | None:
    if waiting is None:
        return None
    return Case.state == WAITING if waiting else Case.state != WAITING


def case_conditions(filters: CaseFilters, now: datetime) -> list[ColumnElement[bool]]:
    """The WHERE conditions of the filters that are set."""
    since, until = filters.created_since, filters.created_until
    found = [
        _state_condition(filters.state),
        None if filters.team_id is None else Case.team_id == filters.team_id,
        Case.source_type == filters.source_type if filters.source_type else None,
        overdue_clause(now) if filters.overdue else None,
        _waiting_condition(filters.waiting),
        None if filters.assignee_id is None else Case.assignee_id == filters.assignee_id,
        _replied_condition(filters.replied),
        _text_condition(filters.q),
        None if since is None else Case.created_at >= since,
        None if until is None else Case.created_at < until,
    ]
    return [condition for condition in found if condition is not None]


def list_cases(filters: CaseFilters, page: int = 1, per_page: int = 20,
               now: datetime | None = None) -> Page:
    """Cases matching the filters: open cases first, then by due time (one statement for
    the page, its team, assignee and customer joined; one for the total)."""
    stmt = (select(Case).options(joinedload(Case.team), joinedload(Case.assignee),
                                 joinedload(Case.customer))
            .where(*case_conditions(filters, now or utcnow()))
            .order_by(Case.state.in_(OPEN_STATES).desc(), Case.due_at, Case.id))
    return paginate(stmt, page, per_page)


def get_case(case_id: int) -> Case:
    case = db.session.scalar(select(Case).options(
        joinedload(Case.team), joinedload(Case.assignee), joinedload(Case.customer),
    ).where(Case.id == case_id))
    if case is None:
        raise NotFound("No such case.", code="not_found")
    return case


@dataclass
class CaseDetail:
    case: Case
    notes: list[CaseNote]
    source: dict[str, Any]
    staff: list[User]
    teams: list[Team]


def case_detail(case_id: int) -> CaseDetail:
    """A case with its notes, what its source says, and the choices of the case form."""
    case = get_case(case_id)
    notes = list(db.session.scalars(
        select(CaseNote).options(joinedload(CaseNote.author))
        .where(CaseNote.case_id == case.id).order_by(CaseNote.created_at, CaseNote.id)))
    return CaseDetail(case=case, notes=notes, source=sources.describe(case),
                      staff=staff_members(), teams=all_teams())
