"""The public roadmap: what is planned, what is in progress and what was done lately.

Three columns, one per status of :data:`ROADMAP_STATUSES`, for every product area or for
one. Each card is an idea (merged ones never show) with the time it moved to its status:
the latest ``StatusChange`` into that status (a note posted on the same status is not a
move), or its creation time for an idea that never moved. "Done" keeps the ideas done in
the last :data:`DONE_WINDOW`.

A column holds at most ``per_column`` cards (default :data:`PER_COLUMN`), the most voted
first (Done: the latest done first), and says how many it has in all, so a long "Done"
cannot make the page endless: the board lists the rest. Everything is read in one
statement (a window over the three statuses gives each card its rank and each column its
total), plus the area's look-up and the viewer's votes: the cost does not grow with the
number of ideas.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, case, func, or_, select
from sqlalchemy.orm import joinedload

from voice.accounts.models import User
from voice.areas.models import Area
from voice.areas.service import resolve_area
from voice.clock import utcnow
from voice.errors import Invalid
from voice.extensions import db
from voice.ideas.models import STATUS_LABELS, Idea, StatusChange
from voice.ideas.service.queries import voted_ids

ROADMAP_STATUSES = ("planned", "in_progress", "done")
DONE_WINDOW = timedelta(days=90)
PER_COLUMN = 30
MAX_PER_COLUMN = 100


@dataclass(frozen=True)
class RoadmapCard:
    idea: Idea  # with its author and area loaded
    moved_at: datetime  # when it moved to its status


@dataclass
class RoadmapColumn:
    status: str
    cards: list[RoadmapCard]
    total: int  # cards in the column in all (``cards`` holds at most ``per_column``)

    @property
    def label(self) -> str:
        return STATUS_LABELS[self.status]

    @property
    def more(self) -> int:
        """How many cards of the column are not shown."""
        return self.total - len(self.cards)


@dataclass
class Roadmap:
    columns: list[RoadmapColumn]
    area: Area | None
    voted: set[int]  # ids of the shown ideas the viewer voted for
    done_since: datetime

    @property
    def idea_ids(self) -> list[int]:
        return [card.idea.id for column in self.columns for card in column.cards]


def _moved_at() -> Select:
    """When the idea (of the enclosing query) last moved into its present status."""
    return (select(func.max(StatusChange.created_at))
            .where(StatusChange.idea_id == Idea.id, StatusChange.to_status == Idea.status,
                   StatusChange.from_status != StatusChange.to_status)
            .correlate(Idea))


def roadmap_statement(area_id: int | None, done_since: datetime, per_column: int) -> Select:
    """The cards of the three columns, each row ``(Idea, moved_at, total)``, in column
    order (most voted first; Done: latest first)."""
    moved = func.coalesce(_moved_at().scalar_subquery(), Idea.created_at)
    shown = (select(Idea.id.label("idea_id"), Idea.status, Idea.vote_count,
                    moved.label("moved_at"))
             .where(Idea.status.in_(ROADMAP_STATUSES), Idea.merged_into_id.is_(None)))
    if area_id is not None:
        shown = shown.where(Idea.area_id == area_id)
    cards = shown.subquery("cards")
    recent = (select(cards).where(or_(cards.c.status != "done", cards.c.moved_at >= done_since))
              .subquery("recent"))
    latest_done = case((recent.c.status == "done", recent.c.moved_at), else_=None)
    ranked = select(
        recent.c.idea_id, recent.c.moved_at,
        func.row_number().over(
            partition_by=recent.c.status,
            order_by=(latest_done.desc(), recent.c.vote_count.desc(), recent.c.idea_id.desc()),
        ).label("rank"),
        func.count().over(partition_by=recent.c.status).label("total"),
    ).subquery("ranked")
    return (select(Idea, ranked.c.moved_at, ranked.c.total)
            .join(ranked, ranked.c.idea_id == Idea.id)
            .where(ranked.c.rank <= per_column)
            .options(joinedload(Idea.author), joinedload(Idea.area))
            .order_by(ranked.c.rank))


def _as_time(value: datetime | str) -> datetime:
    """A time read back from the database (SQLite may hand a computed one back as text)."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


def public_roadmap(viewer: User | None = None, area: str | None = None, *,
            per_column: int | None = None, now: datetime | None = None) -> Roadmap:
    """The roadmap of every area, or of the area of slug ``area`` (``unknown_area`` for
    another slug), read at ``now`` (the clock's by default); ``per_column`` cards at most
    in a column (default :data:`PER_COLUMN`)."""
    per_column = PER_COLUMN if per_column is None else per_column
    if not 1 <= per_column <= MAX_PER_COLUMN:
        raise Invalid(f"A column holds 1 to {MAX_PER_COLUMN} ideas.", code="invalid_paging")
    area_row = resolve_area(area)
    done_since = (now or utcnow()) - DONE_WINDOW
    columns = {status: RoadmapColumn(status, [], 0) for status in ROADMAP_STATUSES}
    rows = db.session.execute(
        roadmap_statement(area_row.id if area_row else None, done_since, per_column)
    ).all()
    for idea, moved_at, total in rows:
        column = columns[idea.status]
        column.cards.append(RoadmapCard(idea, _as_time(moved_at)))
        column.total = int(total)
    shown = [idea.id for idea, _moved, _total in rows]
    return Roadmap(columns=list(columns.values()), area=area_row,
                   voted=voted_ids(viewer, shown), done_since=done_since)
