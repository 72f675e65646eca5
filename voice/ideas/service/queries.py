"""Reading the board: a page of ideas, search and similar ideas, an idea's page, its
comments, and a customer's part on the board."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import aliased, joinedload

from voice.accounts.models import User
from voice.areas.service import resolve_area
from voice.clock import utcnow
from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.ideas import ranking, search, sql
from voice.ideas.models import Comment, Idea, IdeaSubscription, StatusChange, Vote
from voice.ideas.service.checks import MERGE_CHAIN_LIMIT, check_status
from voice.paging import MAX_PER_PAGE, Page


@dataclass
class IdeaPage(Page):
    """A page of ideas, plus which of them the viewer voted for."""

    voted: set[int] = field(default_factory=set)


def _with_people(stmt: Select) -> Select:
    return stmt.options(joinedload(Idea.author), joinedload(Idea.area))


def voted_ids(viewer: User | None, idea_ids: list[int]) -> set[int]:
    """Which of these ideas the viewer voted for (none for an anonymous viewer)."""
    if viewer is None or not idea_ids:
        return set()
    return set(db.session.scalars(
        select(Vote.idea_id).where(Vote.user_id == viewer.id, Vote.idea_id.in_(idea_ids))
    ))


def _check_filters(viewer: User | None, sort: str | None, status: str | None,
                   area: str | None, q: str, mine: bool, voted: bool) -> tuple[str, int | None]:
    """The board's filters checked, in the order the refusals are given: (sort, area id)."""
    sort = sort or (sql.SEARCH_SORT if q else "trending")
    if sort not in sql.SORTS and not (q and sort == sql.SEARCH_SORT):
        raise Invalid(f"Sort by one of {', '.join(sql.SORTS)}.", code="invalid_sort",
                      field="sort")
    if status:
        check_status(status)
    area_row = resolve_area(area)
    if (mine or voted) and viewer is None:
        raise Invalid("Sign in to see your ideas and votes.", code="sign_in_required")
    return sort, area_row.id if area_row else None


def list_ideas(viewer: User | None = None, sort: str | None = None, status: str | None = None,
               area: str | None = None, q: str | None = None, mine: bool = False,
               voted: bool = False, page: int = 1, per_page: int = 20,
               now: datetime | None = None) -> IdeaPage:
    """One page of the board, in one statement (``sql.board_statements``). The total comes
    from the tallies unless the list is personal, searched or trending, so the first page
    costs a few index reads however large the board is. Trending (``voice.ideas.ranking``)
    is read at ``now`` (the clock's by default): the ideas in the window, done and
    declined ones left out unless ``status`` asks for them, by gravity."""
    q = (q or "").strip()[:200]
    sort, area_id = _check_filters(viewer, sort, status, area, q, mine, voted)
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("Bad paging.", code="invalid_paging")
    shape = sql.BoardShape(sort=sort, by_status=bool(status), by_area=area_id is not None,
                           mine=mine, voted=voted, viewer=viewer is not None,
                           dialect=sql.dialect())
    if q:
        matched = search.matches(q, require_all=True)
        if matched is None:
            return IdeaPage(items=[], page=page, per_page=per_page, total=0)
        stmt, total = sql.board_statements(shape, matched)
    else:
        stmt, total = sql.cached_board_statements(shape)
    params: dict[str, Any] = {"status": status, "area_id": area_id,
                              "viewer_id": viewer.id if viewer is not None else None,
                              "page_size": per_page, "skip": (page - 1) * per_page}
    if sort == "trending":
        moment = now or utcnow()
        params.update(now=moment, window_floor=ranking.window_floor(moment))
    rows = db.session.execute(stmt, params).all()
    count = rows[0].total if rows else db.session.scalar(total, params)
    return IdeaPage(items=[row[0] for row in rows], page=page, per_page=per_page,
                    total=int(count or 0),
                    voted={row[0].id for row in rows if viewer is not None and row.voted})


def similar_ideas(q: str, limit: int = 5) -> list[Idea]:
    """The ideas most like ``q`` (any shared word counts; best first), merged ones left out."""
    limit = max(1, min(int(limit), 20))
    matched = search.matches(q or "", require_all=False)
    if matched is None:
        return []
    stmt = _with_people(
        select(Idea).join(matched, matched.c.idea_id == Idea.id)
        .where(Idea.merged_into_id.is_(None))
        .order_by(matched.c.score.desc(), Idea.vote_count.desc(), Idea.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


def get_idea(idea_id: int) -> Idea:
    """The idea with its author and area loaded; NotFound if there is none."""
    idea = db.session.scalar(_with_people(select(Idea).where(Idea.id == idea_id)))
    if idea is None:
        raise NotFound("No such idea.", code="not_found")
    return idea


def survivor_of(idea: Idea) -> Idea:
    """Where a merged idea went in the end (the idea itself when it is not merged): follow
    ``merged_into`` to the idea that is not merged."""
    seen = {idea.id}
    while idea.merged_into_id is not None and len(seen) < MERGE_CHAIN_LIMIT:
        target = db.session.get(Idea, idea.merged_into_id)
        if target is None:  # cannot be: merged_into_id is a foreign key
            break
        idea = target
        if idea.id in seen:  # a cycle (no merge makes one) ends the walk
            break
        seen.add(idea.id)
    return idea


def get_comment(comment_id: int) -> Comment:
    """The comment with its author loaded; NotFound if there is none."""
    comment = db.session.scalar(select(Comment).options(joinedload(Comment.author))
                                .where(Comment.id == comment_id))
    if comment is None:
        raise NotFound("No such comment.", code="not_found")
    return comment


def _visible_comments(viewer: User | None, idea_id: int) -> Select:
    stmt = (select(Comment).options(joinedload(Comment.author))
            .where(Comment.idea_id == idea_id))
    if viewer is None or not viewer.is_staff:
        stmt = stmt.where(Comment.internal.is_(False), Comment.hidden.is_(False))
    return stmt


def comments_page(viewer: User | None, idea_id: int, page: int = 1,
                  per_page: int = 50) -> Page:
    """The comments the viewer may see, oldest first (staff also see notes and hidden ones)."""
    if db.session.get(Idea, idea_id) is None:
        raise NotFound("No such idea.", code="not_found")
    stmt = _visible_comments(viewer, idea_id).order_by(Comment.created_at, Comment.id)
    total = db.session.scalar(
        select(func.count()).select_from(stmt.with_only_columns(Comment.id).subquery())
    ) or 0
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


@dataclass
class IdeaDetail:
    """Everything the idea's page shows, loaded up front."""

    idea: Idea
    voted: bool
    subscribed: bool
    history: list[StatusChange]
    comments: Page
    duplicates: list[Idea]
    merged_into: Idea | None
    proxy_votes: list[tuple[User, User | None]]  # (customer, staff member who added it)


def _viewer_flags(viewer: User | None, idea_id: int) -> tuple[bool, bool]:
    """(voted, subscribed) for the viewer (both False for an anonymous one)."""
    if viewer is None:
        return False, False
    voted = db.session.scalar(
        select(Vote.id).where(Vote.idea_id == idea_id, Vote.user_id == viewer.id)
    ) is not None
    subscribed = db.session.scalar(select(IdeaSubscription.id).where(
        IdeaSubscription.idea_id == idea_id, IdeaSubscription.user_id == viewer.id,
        IdeaSubscription.active.is_(True))) is not None
    return voted, subscribed


def _proxy_votes(idea_id: int) -> list[tuple[User, User | None]]:
    adder = aliased(User)
    return [(customer, staff) for customer, staff in db.session.execute(
        select(User, adder).join(Vote, Vote.user_id == User.id)
        .outerjoin(adder, adder.id == Vote.added_by_id)
        .where(Vote.idea_id == idea_id, Vote.on_behalf.is_(True)).order_by(Vote.id)
    )]


def idea_detail(viewer: User | None, idea_id: int, comment_page: int = 1) -> IdeaDetail:
    """The idea's page: the idea, the viewer's vote and subscription, its history,
    comments, duplicates merged into it, where it went if merged, and proxy votes."""
    idea = get_idea(idea_id)
    voted, subscribed = _viewer_flags(viewer, idea.id)
    history = list(db.session.scalars(
        select(StatusChange).options(joinedload(StatusChange.actor))
        .where(StatusChange.idea_id == idea.id)
        .order_by(StatusChange.created_at, StatusChange.id)
    ))
    duplicates = list(db.session.scalars(
        select(Idea).where(Idea.merged_into_id == idea.id).order_by(Idea.id)
    ))
    return IdeaDetail(
        idea=idea, voted=voted, subscribed=subscribed, history=history,
        comments=comments_page(viewer, idea.id, comment_page), duplicates=duplicates,
        merged_into=survivor_of(idea) if idea.is_merged else None,
        proxy_votes=_proxy_votes(idea.id),
    )


@dataclass
class Activity:
    """A customer's part on the board: what they posted, voted on and commented on."""

    posted: list[Idea]
    voted: list[Idea]
    commented: list[Idea]
    survivors: dict[int, Idea]  # merged idea id -> where it went


def activity_for(user: User, limit: int = 100) -> Activity:
    """The ideas the user posted, voted for and commented on (latest first, ``limit``
    each), with where each merged one went."""
    def ideas(condition: ColumnElement[Any]) -> list[Idea]:
        return list(db.session.scalars(
            _with_people(select(Idea).where(condition))
            .order_by(Idea.updated_at.desc(), Idea.id.desc()).limit(limit)
        ).unique())

    posted = ideas(Idea.author_id == user.id)
    voted = ideas(Idea.id.in_(select(Vote.idea_id).where(Vote.user_id == user.id)))
    commented = ideas(Idea.id.in_(
        select(Comment.idea_id).where(Comment.author_id == user.id, Comment.internal.is_(False))
    ))
    survivors: dict[int, Idea] = {}
    for idea in [*posted, *voted, *commented]:
        if idea.is_merged and idea.id not in survivors:
            survivors[idea.id] = survivor_of(idea)
    return Activity(posted=posted, voted=voted, commented=commented, survivors=survivors)
