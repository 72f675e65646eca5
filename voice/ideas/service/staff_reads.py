"""The ideas' tables as the staff side (voice/admin) reads them, so it queries none itself.

Each read is one or two statements and returns plain frozen rows (an update's people
are the exception: the loop needs the users themselves to tell them). What the staff
side builds from them (routing signals, the case page's source, the dashboard's top
ideas, the ideas an update delivers) is its own business.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, String, func, literal, select, union, union_all

from voice.accounts.models import User
from voice.activity import Activity
from voice.extensions import db
from voice.ideas.models import Comment, Idea, IdeaSubscription, Vote
from voice.permissions import STAFF_ROLES


@dataclass(frozen=True)
class IdeaRow:
    id: int
    title: str
    description: str
    area_id: int | None
    author_id: int | None
    created_at: datetime
    status: str
    vote_count: int
    comment_count: int
    merged_into_id: int | None


@dataclass(frozen=True)
class IdeaBrief:
    """What routing needs of a comment's or a market's idea."""

    id: int
    title: str
    area_id: int | None


@dataclass(frozen=True)
class CommentRow:
    id: int
    idea_id: int
    body: str
    author_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class CommentOnIdea:
    comment: CommentRow
    idea: IdeaRow


@dataclass(frozen=True)
class IdeaSource:
    """An idea as a case page shows its source."""

    idea: IdeaRow
    author_name: str | None


@dataclass(frozen=True)
class CommentSource:
    comment: CommentRow
    idea: IdeaRow
    author_name: str | None


@dataclass(frozen=True)
class VotedIdea:
    """One of the most voted ideas, with its votes of this week and the week before."""

    id: int
    title: str
    status: str
    votes: int
    votes_this_week: int
    votes_last_week: int


@dataclass(frozen=True)
class VoteMoment:
    idea_id: int
    created_at: datetime


@dataclass(frozen=True)
class IdeaActivityCounts:
    """What one person did in the ideas: ideas submitted, votes held, comments written."""

    ideas: int
    votes: int
    comments: int


def _idea_row(idea: Idea) -> IdeaRow:
    return IdeaRow(id=idea.id, title=idea.title, description=idea.description or "",
                   area_id=idea.area_id, author_id=idea.author_id, created_at=idea.created_at,
                   status=idea.status, vote_count=idea.vote_count,
                   comment_count=idea.comment_count, merged_into_id=idea.merged_into_id)


def _comment_row(comment: Comment) -> CommentRow:
    return CommentRow(id=comment.id, idea_id=comment.idea_id, body=comment.body or "",
                      author_id=comment.author_id, created_at=comment.created_at)


def idea_brief(idea_id: int | None) -> IdeaBrief | None:
    """An idea's title and area (None for no idea). Through the session's identity map,
    reading no counter: no statement when the caller's transaction has loaded the idea
    already (routing runs inside the ideas' and the markets' transactions)."""
    idea = None if idea_id is None else db.session.get(Idea, idea_id)
    return None if idea is None else IdeaBrief(idea.id, idea.title, idea.area_id)


def ideas_by_id(idea_ids: Iterable[int]) -> dict[int, IdeaRow]:
    """The ideas of ``idea_ids`` that exist, by id (one statement)."""
    ids = sorted(set(idea_ids))
    if not ids:
        return {}
    return {idea.id: _idea_row(idea)
            for idea in db.session.scalars(select(Idea).where(Idea.id.in_(ids)))}


def ideas_created_between(since: datetime, until: datetime, limit: int) -> list[IdeaRow]:
    """The ideas submitted in the window (both ends included), newest first."""
    return [_idea_row(idea) for idea in db.session.scalars(
        select(Idea).where(Idea.created_at >= since, Idea.created_at <= until)
        .order_by(Idea.created_at.desc()).limit(limit))]


def votes_of_ideas_voted_between(since: datetime, until: datetime,
                                 ) -> tuple[dict[int, IdeaRow], list[VoteMoment]]:
    """The ideas that got a vote in the window, and every vote of those ideas up to
    ``until`` ordered by idea, time and id (so a vote's place in its idea's list is the
    idea's vote count at that vote). Votes withdrawn since are gone."""
    voted = select(Vote.idea_id).where(Vote.created_at >= since, Vote.created_at <= until)
    ideas = {idea.id: _idea_row(idea) for idea in db.session.scalars(
        select(Idea).where(Idea.id.in_(voted.distinct())))}
    if not ideas:
        return ideas, []
    rows = db.session.execute(
        select(Vote.idea_id, Vote.created_at)
        .where(Vote.idea_id.in_(list(ideas)), Vote.created_at <= until)
        .order_by(Vote.idea_id, Vote.created_at, Vote.id))
    return ideas, [VoteMoment(idea_id, created_at) for idea_id, created_at in rows]


def customer_comments_between(since: datetime, until: datetime,
                              limit: int) -> list[CommentOnIdea]:
    """The public comments of customers (not staff, not official or internal) in the
    window, newest first, each with its idea."""
    rows = db.session.execute(
        select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.created_at >= since, Comment.created_at <= until,
               Comment.internal.is_(False), Comment.official.is_(False),
               (User.role.is_(None)) | (User.role.not_in(STAFF_ROLES)))
        .order_by(Comment.created_at.desc()).limit(limit))
    return [CommentOnIdea(_comment_row(comment), _idea_row(idea)) for comment, idea in rows]


def idea_source(idea_id: int) -> IdeaSource | None:
    row = db.session.execute(
        select(Idea, User.display_name).outerjoin(User, User.id == Idea.author_id)
        .where(Idea.id == idea_id)).first()
    if row is None:
        return None
    idea, author_name = row
    return IdeaSource(_idea_row(idea), author_name)


def comment_source(comment_id: int) -> CommentSource | None:
    row = db.session.execute(
        select(Comment, Idea, User.display_name).join(Idea, Idea.id == Comment.idea_id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.id == comment_id)).first()
    if row is None:
        return None
    comment, idea, author_name = row
    return CommentSource(_comment_row(comment), _idea_row(idea), author_name)


def most_voted(now: datetime, limit: int) -> list[VotedIdea]:
    """The ideas with the most votes (merged ones left out), with their votes of the
    last seven days and of the seven before. One statement: the recent votes are
    counted for the top ideas only (a CTE takes them first), not grouped over every
    vote of the fortnight."""
    week_ago, two_weeks_ago = now - timedelta(days=7), now - timedelta(days=14)
    top = (select(Idea.id, Idea.title, Idea.status, Idea.vote_count)
           .where(Idea.merged_into_id.is_(None))
           .order_by(Idea.vote_count.desc(), Idea.id).limit(limit).cte("top"))
    rows = db.session.execute(
        select(top.c.id, top.c.title, top.c.status, top.c.vote_count,
               func.count(Vote.id).filter(Vote.created_at >= week_ago),
               func.count(Vote.id).filter(Vote.created_at < week_ago))
        .outerjoin(Vote, (Vote.idea_id == top.c.id) & (Vote.created_at >= two_weeks_ago)
                   & (Vote.created_at <= now))
        .group_by(top.c.id, top.c.title, top.c.status, top.c.vote_count)
        .order_by(top.c.vote_count.desc(), top.c.id)
    ).all()
    return [VotedIdea(id=i, title=t, status=s, votes=v, votes_this_week=tw, votes_last_week=lw)
            for i, t, s, v, tw, lw in rows]


def voters_and_followers(idea_ids: Iterable[int]) -> list[User]:
    """Everybody who voted for or actively follows any of the ideas, once each, by id."""
    ids = sorted(set(idea_ids))
    voters = select(Vote.user_id.label("user_id")).where(Vote.idea_id.in_(ids))
    followers = select(IdeaSubscription.user_id.label("user_id")).where(
        IdeaSubscription.idea_id.in_(ids), IdeaSubscription.active.is_(True))
    people = union(voters, followers).subquery()
    return list(db.session.scalars(
        select(User).where(User.id.in_(select(people.c.user_id))).order_by(User.id)))


# --- one person's activity (the staff's customer page) -------------------------------------

#: The characters of a comment the timeline shows.
ACTIVITY_DETAIL = 200


def activity_counts(user_id: int) -> IdeaActivityCounts:
    """How many ideas, votes and comments ``user_id`` has (one statement)."""
    def counted(model, column):
        return select(func.count()).select_from(model).where(column == user_id).scalar_subquery()

    ideas, votes, comments = db.session.execute(select(
        counted(Idea, Idea.author_id), counted(Vote, Vote.user_id),
        counted(Comment, Comment.author_id))).one()
    return IdeaActivityCounts(ideas=ideas or 0, votes=votes or 0, comments=comments or 0)


def _newest(stmt: Select, at, row_id, limit: int) -> Select:
    """One branch of the timeline: its ``limit`` newest rows, as a subquery to unite."""
    return select(stmt.order_by(at.desc(), row_id.desc()).limit(limit).subquery())


def activity_of(user_id: int, limit: int) -> list[Activity]:
    """The ``limit`` newest ideas, votes and comments of ``user_id``, newest first (one
    statement: each branch takes its own ``limit`` newest by the author's or voter's index,
    so the cost follows ``limit``, not the person's history)."""
    empty = literal("", String)
    ideas = select(literal("idea", String).label("kind"), Idea.created_at.label("at"),
                   Idea.id.label("id"), Idea.id.label("target_id"),
                   Idea.title.label("title"), empty.label("detail")
                   ).where(Idea.author_id == user_id)
    votes = (select(literal("vote", String), Vote.created_at, Vote.id, Idea.id, Idea.title,
                    empty).join(Idea, Idea.id == Vote.idea_id).where(Vote.user_id == user_id))
    comments = (select(literal("comment", String), Comment.created_at, Comment.id, Idea.id,
                       Idea.title, func.substr(Comment.body, 1, ACTIVITY_DETAIL))
                .join(Idea, Idea.id == Comment.idea_id).where(Comment.author_id == user_id))
    every = union_all(_newest(ideas, Idea.created_at, Idea.id, limit),
                      _newest(votes, Vote.created_at, Vote.id, limit),
                      _newest(comments, Comment.created_at, Comment.id, limit)).subquery()
    rows = db.session.execute(select(every).order_by(
        every.c.at.desc(), every.c.kind.desc(), every.c.id.desc()).limit(limit))
    return [Activity(kind=kind, at=at, id=row_id, target_id=target, title=title or "",
                     detail=detail or "") for kind, at, row_id, target, title, detail in rows]
