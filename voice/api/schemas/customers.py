"""The staff's view of one customer: who they are, a summary, a page of the timeline."""

from __future__ import annotations

from typing import Annotated, Any

from voice.activity import KINDS
from voice.api.schemas.accounts import User
from voice.api.schemas.common import Page, Paging, ResponseModel, Time, enum


class CustomerQuery(Paging):
    """The timeline's page (it reaches back ``TIMELINE_DEPTH`` interactions)."""


class Summary(ResponseModel):
    """``last_nps``: the score of the customer's latest identified NPS answer (null:
    none). ``positions``, ``cases`` and ``messages`` are added to the contract's fields."""

    ideas: int
    votes: int
    comments: int
    responses: int
    trades: int
    open_cases: int
    last_nps: int | None
    positions: int
    cases: int
    messages: int


class ActivityObject(ResponseModel):
    type: Annotated[str, enum(*sorted(set(KINDS.values())))]
    id: int


class TimelineItem(ResponseModel):
    """One interaction: ``kind`` (idea, vote, comment, response, trade, case, reply,
    message), when, the row's own id, the object it concerns and the page of it."""

    kind: Annotated[str, enum(*KINDS)]
    at: Time
    id: int
    object: ActivityObject
    title: str
    detail: str
    link: str


class Timeline(Page[TimelineItem]):
    pass


class Customer(ResponseModel):
    user: User
    attributes: dict[str, Any]
    summary: Summary
    timeline: Timeline
