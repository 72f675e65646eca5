"""The ideas domain's tuned statements: a vote's, the counters', and the board's one statement.

One idiom for all of them: each is made by a builder under ``functools.cache``, keyed by
what decides the statement's form (the dialect's name, the shape of a board page) and by
nothing else; every value is a bound parameter the caller passes when it executes the
statement. Why: building a Core statement and working out its compiled-cache key costs
about as much as SQLite takes to run it. Measured: each statement executed with its builder
called every time and with the cached one (medians of 1,000 to 3,000 runs; SQLite file in WAL
mode, CPython 3.11, SQLAlchemy 2.1, 2 shared cores):

    statement                         built per call   reused
    vote INSERT .. ON CONFLICT        ~95 us           ~45 us
    counters-and-score UPDATE         ~145 us          ~40 us
    the board's first page (20 rows)  ~690 us          ~320 us

A vote runs four of these statements, the board one, so reuse halves the database time of
the hottest requests. A search's page holds its words, so it is built per call
(:func:`board_statements` uncached); everything else here is built once per process and
dialect.

What each statement is for is in its builder's docstring. Callers (``voice.ideas.service``)
execute them inside their ``write_transaction``; nothing here opens one.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Delete,
    Insert,
    Select,
    Subquery,
    Update,
    bindparam,
    delete,
    func,
    select,
    update,
)
from sqlalchemy.orm import joinedload

from voice.accounts.models import User
from voice.database import is_postgresql, upsert
from voice.extensions import db
from voice.ideas import ranking
from voice.ideas.models import CLOSED_STATUSES, Idea, IdeaSubscription, IdeaTally, Vote

SORTS = ("trending", "top", "new")
SEARCH_SORT = "relevance"  # the default order of a search: its score

_ideas = Idea.__table__
_votes = Vote.__table__


def dialect() -> str:
    """The name of the engine's dialect ("sqlite", "postgresql"): the builders' key."""
    return db.engine.dialect.name


# --- a vote and the counters ---------------------------------------------------------------


@cache
def lock_idea() -> Select:
    """The idea's row, locked (``FOR UPDATE`` on PostgreSQL) and refreshed in the session.
    Parameter: ``idea_key``."""
    return (select(Idea).where(Idea.id == bindparam("idea_key")).with_for_update()
            .execution_options(populate_existing=True))


@cache
def bump_counters() -> Update:
    """Add to the idea's counters and set its trending score, in one ``UPDATE``; the new
    counters come back by ``RETURNING``. Parameters: ``idea_key``, ``add_votes``,
    ``add_comments``, ``new_score``."""
    return (update(_ideas).where(_ideas.c.id == bindparam("idea_key"))
            .values(vote_count=_ideas.c.vote_count + bindparam("add_votes"),
                    comment_count=_ideas.c.comment_count + bindparam("add_comments"),
                    hot_score=bindparam("new_score"))
            .returning(_ideas.c.vote_count, _ideas.c.comment_count))


@cache
def set_hot_score() -> Update:
    """Store the idea's trending score. Parameters: ``idea_key``, ``new_score``."""
    return (update(_ideas).where(_ideas.c.id == bindparam("idea_key"))
            .values(hot_score=bindparam("new_score")))


@cache
def recount_votes() -> Update:
    """Set the idea's vote count from its vote rows (after votes moved in bulk); both
    counters come back. Parameter: ``idea_key``."""
    counted = (select(func.count(_votes.c.id)).where(_votes.c.idea_id == bindparam("idea_key"))
               .scalar_subquery())
    return (update(_ideas).where(_ideas.c.id == bindparam("idea_key"))
            .values(vote_count=counted)
            .returning(_ideas.c.vote_count, _ideas.c.comment_count))


@cache
def insert_vote(dialect_name: str) -> Insert:
    """The vote unless the voter has one on the idea: ``INSERT .. ON CONFLICT DO NOTHING
    RETURNING id`` (None when it existed), not a look-up and an insert. A plain INSERT
    refused by the unique constraint would abort the whole transaction on PostgreSQL;
    ``DO NOTHING`` leaves it usable. Parameters: ``new_idea``, ``new_user``,
    ``new_on_behalf``, ``new_added_by`` (not the columns' names, which the VALUES clause
    reserves) and ``new_at`` (when it was cast)."""
    return (upsert(_votes, dialect_name)
            .values(idea_id=bindparam("new_idea"), user_id=bindparam("new_user"),
                    on_behalf=bindparam("new_on_behalf"), added_by_id=bindparam("new_added_by"),
                    created_at=bindparam("new_at"))
            .on_conflict_do_nothing(index_elements=["idea_id", "user_id"])
            .returning(_votes.c.id))


@cache
def insert_subscription(dialect_name: str) -> Insert:
    """A subscription unless the user has a row for the idea, even an inactive one
    (``ON CONFLICT DO NOTHING RETURNING id``, as :func:`insert_vote`). Parameters:
    ``new_idea``, ``new_user``, ``new_merged_from``."""
    table = IdeaSubscription.__table__
    return (upsert(table, dialect_name)
            .values(idea_id=bindparam("new_idea"), user_id=bindparam("new_user"),
                    merged_from_id=bindparam("new_merged_from"))
            .on_conflict_do_nothing(index_elements=["idea_id", "user_id"])
            .returning(table.c.id))


@cache
def add_to_tally(dialect_name: str) -> Insert:
    """Add ``delta`` to the count of unmerged ideas with this status and area, creating
    the tally row at ``delta`` if there is none (``ON CONFLICT DO UPDATE``). Parameters:
    ``tally_status``, ``tally_area`` (0 for no area), ``tally_delta``."""
    table = IdeaTally.__table__
    stmt = upsert(table, dialect_name).values(
        status=bindparam("tally_status"), area_key=bindparam("tally_area"),
        count=bindparam("tally_delta"))
    return stmt.on_conflict_do_update(index_elements=["status", "area_key"],
                                      set_={"count": table.c["count"] + stmt.excluded["count"]})


@cache
def remove_vote() -> Delete:
    """Delete the user's vote on the idea. Parameters: ``idea_key``, ``user_key``."""
    return delete(_votes).where(_votes.c.idea_id == bindparam("idea_key"),
                                _votes.c.user_id == bindparam("user_key"))


# --- the board ---------------------------------------------------------------------------


def not_merged(postgresql: bool | None = None) -> ColumnElement[bool]:
    """The condition "not merged", written for each planner (``postgresql``: which one;
    by default the one in use).

    SQLite, without statistics, answers ``merged_into_id IS NULL`` from
    ix_ideas_merged_into_id: it matches every row, then sorts them all for one page. Written
    as ``coalesce(...) = 0`` no index answers it, so SQLite reads the sort's own index
    backwards and stops after a page. PostgreSQL knows from its statistics that nearly every
    row is NULL, while it would guess that the coalesce form keeps 0.5% of the rows and
    prefer a bitmap scan and a sort; so there it stays ``IS NULL``.
    """
    if is_postgresql() if postgresql is None else postgresql:
        return Idea.merged_into_id.is_(None)
    return func.coalesce(Idea.merged_into_id, 0) == 0


@dataclass(frozen=True)
class BoardShape:
    """What decides a board statement's form (its values are bound parameters)."""

    sort: str  # one of SORTS, or SEARCH_SORT (a search's score)
    by_status: bool
    by_area: bool
    mine: bool
    voted: bool
    viewer: bool
    dialect: str


def _hours_old(dialect_name: str) -> ColumnElement[Any]:
    """Hours from the idea's creation to the bound ``now``, in the dialect's date math."""
    now = bindparam("now", type_=DateTime())
    if dialect_name == "postgresql":
        return func.extract("epoch", now - Idea.created_at) / 3600.0
    return (func.julianday(now) - func.julianday(Idea.created_at)) * 24.0


def trending_order(dialect_name: str) -> ColumnElement[Any]:
    """``ranking.trending_score`` in SQL: Fider's gravity at the bound ``now``."""
    weight = 1.0 + Idea.vote_count + ranking.COMMENT_WEIGHT * Idea.comment_count
    return weight / func.power(_hours_old(dialect_name) + ranking.GRAVITY_HOURS,
                               ranking.GRAVITY)


def _board_conditions(shape: BoardShape) -> list[ColumnElement[bool]]:
    conditions = [not_merged(shape.dialect == "postgresql")]
    if shape.sort == "trending":  # the window: a range of ix_ideas_hot, not a scan
        conditions.append(Idea.hot_score >= bindparam("window_floor"))
        if not shape.by_status:  # done and declined ideas are not moving
            conditions.append(Idea.status.not_in(CLOSED_STATUSES))
    if shape.by_status:
        conditions.append(Idea.status == bindparam("status"))
    if shape.by_area:
        conditions.append(Idea.area_id == bindparam("area_id"))
    if shape.mine:
        conditions.append(Idea.author_id == bindparam("viewer_id"))
    if shape.voted:
        conditions.append(Idea.id.in_(
            select(Vote.idea_id).where(Vote.user_id == bindparam("viewer_id"))))
    return conditions


def _board_total(shape: BoardShape, conditions: list[ColumnElement[bool]],
                 matched: Subquery | None) -> Select:
    """The number of ideas on the board: from the tallies unless the list is personal,
    searched or trending (then a count of the matching ids; trending's are the window's)."""
    if matched is not None or shape.mine or shape.voted or shape.sort == "trending":
        ids = select(Idea.id).where(*conditions)
        if matched is not None:
            ids = ids.join(matched, matched.c.idea_id == Idea.id)
        return select(func.count()).select_from(ids.subquery())
    total = select(func.coalesce(func.sum(IdeaTally.count), 0))
    if shape.by_status:
        total = total.where(IdeaTally.status == bindparam("status"))
    if shape.by_area:
        total = total.where(IdeaTally.area_key == bindparam("area_id"))
    return total


def board_statements(shape: BoardShape, matched: Subquery | None = None
                     ) -> tuple[Select, Select]:
    """(the page, its total), with the values left as parameters: ``status``, ``area_id``,
    ``viewer_id``, ``page_size``, ``skip`` and, for trending, ``now`` and
    ``window_floor`` (``voice.ideas.ranking``); ``matched``: a search's (idea_id, score).

    The page is one statement: the ideas with their area and author (id and name only: a
    list shows no more of them), the total as a scalar subquery on every row and, for a
    viewer, whether they voted for each idea. The total alone is for a page with no rows.
    """
    conditions = _board_conditions(shape)
    total = _board_total(shape, conditions, matched)
    columns: list[Any] = [Idea, total.scalar_subquery().correlate(None).label("total")]
    if shape.viewer:  # one probe of the votes' unique index per row
        columns.append(select(Vote.id).where(Vote.idea_id == Idea.id,
                                             Vote.user_id == bindparam("viewer_id"))
                       .exists().label("voted"))
    stmt = select(*columns).where(*conditions).options(
        joinedload(Idea.author).load_only(User.id, User.display_name),
        joinedload(Idea.area),
    )
    if matched is not None:
        stmt = stmt.join(matched, matched.c.idea_id == Idea.id)
    first: Any
    if shape.sort == SEARCH_SORT and matched is not None:
        first = matched.c.score
    elif shape.sort == "trending":
        first = trending_order(shape.dialect)
    else:
        first = {"top": Idea.vote_count, "new": Idea.created_at}[shape.sort]
    stmt = stmt.order_by(first.desc(), Idea.id.desc())
    return stmt.limit(bindparam("page_size")).offset(bindparam("skip")), total


#: The board's statements for a page that is not searched: one pair per shape (a few
#: dozen at most), built on first use.
cached_board_statements = cache(board_statements)
