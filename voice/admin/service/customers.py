"""The customer, whole: who they are, what they did, and one timeline of it (issue 14).

Each domain answers for its own tables through its ``staff_reads`` (``activity_counts``
and ``activity_of``); the staff side adds its own cases and their messages and merges.

The statements are constant: a page of the merged timeline needs at most
``page * per_page`` newest rows of each domain (whatever the others hold, the rows of
that page are among them), so the page asks each domain once for that many, and the
total is the sum of the counts the summary reads anyway. The first page of a customer
with 10,000 interactions costs what one with 10 costs (tests/test_customer_page.py).

A deep page is capped, not walked: the timeline reaches back :data:`TIMELINE_DEPTH`
interactions (page 100 at 20 a page); past it the page is refused with a sentence
(``invalid_paging``), so no request reads more than ``TIMELINE_DEPTH`` rows a domain.
The summary still counts everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import String, case, func, literal, select, union_all

from voice.accounts.models import User
from voice.accounts.service import attributes_of, get_user
from voice.activity import Activity, newest
from voice.admin.models import OPEN_STATES, STATE_LABELS, Case, CaseNote
from voice.errors import Invalid
from voice.extensions import db
from voice.ideas.service import staff_reads as idea_reads
from voice.markets.service import staff_reads as market_reads
from voice.paging import Page
from voice.permissions import require_staff
from voice.surveys.service import staff_reads as survey_reads
from voice.text import plain_excerpt

#: How far back the timeline pages go (rows of each domain one page may read at most).
TIMELINE_DEPTH = 2000
#: The characters of a message the timeline shows.
MESSAGE_DETAIL = 200
#: The case notes that are messages of the conversation (not internal notes or events).
MESSAGE_KINDS = ("reply", "customer")
#: The interactions whose detail is the start of a Markdown text, shown as plain text.
WRITTEN_KINDS = ("comment", "reply", "message")


@dataclass(frozen=True)
class CaseActivityCounts:
    cases: int
    open_cases: int
    messages: int


@dataclass(frozen=True)
class Summary:
    """The figures of the customer page and of the API's ``summary``."""

    ideas: int
    votes: int
    comments: int
    responses: int
    trades: int
    positions: int
    cases: int
    open_cases: int
    messages: int
    last_nps: int | None

    @property
    def interactions(self) -> int:
        """Every row the timeline holds."""
        return (self.ideas + self.votes + self.comments + self.responses + self.trades
                + self.cases + self.messages)


@dataclass
class Timeline(Page):
    """A page of the timeline (of :class:`Activity` items); ``total`` counts every
    interaction, ``reachable`` the ones the pages reach (at most :data:`TIMELINE_DEPTH`)."""

    @property
    def reachable(self) -> int:
        return min(self.total, TIMELINE_DEPTH)

    @property
    def pages(self) -> int:
        return max(1, -(-self.reachable // self.per_page))


@dataclass(frozen=True)
class CustomerView:
    user: User
    summary: Summary
    timeline: Timeline
    # What the host product tells about the customer (plan, region...; issue 15).
    attributes: dict[str, Any] = field(default_factory=dict)


def check_timeline_page(page: int, per_page: int) -> None:
    """Invalid ``invalid_paging`` for a page that starts past :data:`TIMELINE_DEPTH`."""
    if (page - 1) * per_page >= TIMELINE_DEPTH:
        last = -(-TIMELINE_DEPTH // per_page)
        raise Invalid(f"The timeline reaches back {TIMELINE_DEPTH:,} interactions: at "
                      f"{per_page} a page, its last page is {last}.", code="invalid_paging",
                      field="page")


def case_activity_counts(user_id: int) -> CaseActivityCounts:
    """The cases about ``user_id``, the open ones, and their messages (one statement)."""
    about = Case.customer_id == user_id
    cases = select(func.count()).select_from(Case).where(about).scalar_subquery()
    open_cases = select(func.count()).select_from(Case).where(
        about, Case.state.in_(OPEN_STATES)).scalar_subquery()
    messages = (select(func.count()).select_from(CaseNote).join(Case, Case.id == CaseNote.case_id)
                .where(about, CaseNote.kind.in_(MESSAGE_KINDS)).scalar_subquery())
    made, still_open, written = db.session.execute(select(cases, open_cases, messages)).one()
    return CaseActivityCounts(cases=made or 0, open_cases=still_open or 0,
                              messages=written or 0)


def case_activity(user_id: int, limit: int) -> list[Activity]:
    """The ``limit`` newest cases about ``user_id`` and messages on them, newest first
    (one statement). A staff reply is a ``reply``, the customer's own a ``message``."""
    opened = (select(literal("case", String).label("kind"), Case.created_at.label("at"),
                     Case.id.label("id"), Case.id.label("target_id"),
                     Case.title.label("title"), Case.state.label("detail"))
              .where(Case.customer_id == user_id)
              .order_by(Case.created_at.desc(), Case.id.desc()).limit(limit).subquery())
    kind = case((CaseNote.kind == "customer", literal("message", String)),
                else_=literal("reply", String))
    messages = (select(kind, CaseNote.created_at, CaseNote.id, Case.id, Case.title,
                       func.substr(CaseNote.body, 1, MESSAGE_DETAIL))
                .join(Case, Case.id == CaseNote.case_id)
                .where(Case.customer_id == user_id, CaseNote.kind.in_(MESSAGE_KINDS))
                .order_by(CaseNote.created_at.desc(), CaseNote.id.desc()).limit(limit)
                .subquery())
    every = union_all(select(opened), select(messages)).subquery()
    rows = db.session.execute(select(every).order_by(
        every.c.at.desc(), every.c.kind.desc(), every.c.id.desc()).limit(limit))
    return [Activity(kind=kind, at=at, id=row_id, target_id=target, title=title or "",
                     detail=STATE_LABELS.get(detail, detail) if kind == "case" else detail or "")
            for kind, at, row_id, target, title, detail in rows]


def customer_summary(user_id: int) -> Summary:
    """The counts of every domain about ``user_id`` (four statements)."""
    ideas = idea_reads.activity_counts(user_id)
    surveys = survey_reads.activity_counts(user_id)
    markets = market_reads.activity_counts(user_id)
    cases = case_activity_counts(user_id)
    return Summary(ideas=ideas.ideas, votes=ideas.votes, comments=ideas.comments,
                   responses=surveys.responses, trades=markets.trades,
                   positions=markets.positions, cases=cases.cases,
                   open_cases=cases.open_cases, messages=cases.messages,
                   last_nps=surveys.last_nps)


def customer_timeline(user_id: int, total: int, page: int = 1,
                      per_page: int = 20) -> Timeline:
    """A page of the merged timeline (four statements, whatever the page within the
    depth); ``total`` is the summary's count of interactions."""
    check_timeline_page(page, per_page)
    wanted = min(page * per_page, TIMELINE_DEPTH)
    merged = newest((idea_reads.activity_of(user_id, wanted),
                     survey_reads.activity_of(user_id, wanted),
                     market_reads.activity_of(user_id, wanted),
                     case_activity(user_id, wanted)), wanted)
    items = [replace(item, detail=plain_excerpt(item.detail, MESSAGE_DETAIL))
             if item.kind in WRITTEN_KINDS else item
             for item in merged[(page - 1) * per_page:wanted]]
    return Timeline(items=items, page=page, per_page=per_page, total=total)


def customer_view(actor: User, user_id: int, page: int = 1, per_page: int = 20,
                  ) -> CustomerView:
    """What the staff see of a person: the user, the summary, a page of the timeline, and
    the attributes the host product told (``identify``).

    Errors: 403 for a customer, 404 ``not_found`` for no such user, 400
    ``invalid_paging`` for a page past the timeline's depth (checked first: nothing read).
    """
    require_staff(actor)
    check_timeline_page(page, per_page)
    user = get_user(user_id)
    summary = customer_summary(user.id)
    timeline = customer_timeline(user.id, summary.interactions, page, per_page)
    return CustomerView(user=user, summary=summary, timeline=timeline,
                        attributes=attributes_of(user.id))
