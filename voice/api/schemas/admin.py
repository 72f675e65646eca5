"""The staff side: cases."""

from __future__ import annotations

from typing import Annotated

from pydantic import StrictStr

from voice.admin.models import CASE_STATES, SOURCE_TYPES
from voice.api.schemas.common import (
    ClosedRequest,
    Code,
    JsonId,
    Page,
    Paging,
    QueryText,
    ResponseModel,
    TimeText,
    enum,
)

State = Annotated[str, enum(*CASE_STATES)]

# --- requests -----------------------------------------------------------------------------


class CaseQuery(Paging):
    """Filters; the admin service reads them (``parse_case_filters``, through
    ``voice.query_args``: a bad value is a 400 ``invalid_filter`` with a sentence)."""

    team: QueryText = None
    state: QueryText = None
    source: Annotated[QueryText, enum(*SOURCE_TYPES)] = None
    overdue: QueryText = None
    assignee: QueryText = None
    replied: QueryText = None
    waiting: QueryText = None  # 1: only cases waiting on the customer; 0: none of them
    q: QueryText = None  # words in the title, the text or the last message
    since: QueryText = None
    until: QueryText = None

    def filters(self) -> dict[str, str]:
        return self.model_dump(exclude={"page", "per_page"}, exclude_none=True)


class CaseChange(ClosedRequest):
    """Move, assign, reply, note or re-team a case; ``assignee_id`` null unassigns."""

    state: Annotated[Annotated[StrictStr, enum(*CASE_STATES)] | None,
                     Code("invalid_state", "state must be a string.")] = None
    assignee_id: Annotated[JsonId | None,
                           Code("invalid_assignee_id", "assignee_id must be a number or null.")
                           ] = None
    reply: Annotated[StrictStr | None, Code("invalid_reply", "reply must be a string.")] = None
    note: Annotated[StrictStr | None, Code("invalid_note", "note must be a string.")] = None
    team_id: Annotated[JsonId | None,
                       Code("invalid_team_id", "team_id must be a number or null.")] = None


# --- answers ------------------------------------------------------------------------------


class Source(ResponseModel):
    type: Annotated[str, enum(*SOURCE_TYPES)]
    id: int


class CaseTeam(ResponseModel):
    id: int
    name: str | None


class Assignee(ResponseModel):
    id: int
    display_name: str | None


class CaseRule(ResponseModel):
    id: int | None
    name: str | None
    reason: str | None


class Case(ResponseModel):
    """A routed signal (admin's ``case_json``, the same shape the webhooks send)."""

    id: int
    source: Source
    team: CaseTeam
    assignee: Assignee | None
    state: State
    priority: str
    title: str
    rule: CaseRule
    due_at: TimeText | None
    created_at: TimeText
    first_response_at: TimeText | None
    closed_at: TimeText | None
    replied: bool
    link: str | None


class CaseList(Page[Case]):
    pass
