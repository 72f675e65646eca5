"""The one writer of an idea's counters, its trending score and the tallies.

``Idea.vote_count``, ``Idea.comment_count``, ``Idea.hot_score`` and ``IdeaTally`` change
only here (``voice.ideas.models`` names the invariants). Each step runs inside the caller's
``write_transaction``, on an idea the caller locked with :func:`lock_idea`, through the
statements of ``voice.ideas.sql``; only :func:`rebuild_tallies` opens its own transaction.
"""

from __future__ import annotations

from sqlalchemy import delete, func, select
from sqlalchemy.orm.attributes import set_committed_value

from voice.database import write_transaction
from voice.errors import NotFound
from voice.extensions import db
from voice.ideas import ranking, sql
from voice.ideas.models import Idea, IdeaTally


def lock_idea(idea_id: int) -> Idea:
    """The idea, its row locked until the transaction ends; NotFound if there is none."""
    idea = db.session.scalar(sql.lock_idea(), {"idea_key": idea_id})
    if idea is None:
        raise NotFound("No such idea.", code="not_found")
    return idea


def tally(status: str, area_id: int | None, delta: int) -> None:
    """Add ``delta`` to the count of unmerged ideas with this status and area."""
    db.session.execute(sql.add_to_tally(sql.dialect()), {
        "tally_status": status, "tally_area": area_id or 0, "tally_delta": delta})


def set_counts(idea: Idea, votes: int, comments: int) -> None:
    """Store the idea's counters and its trending score, without marking it dirty."""
    set_committed_value(idea, "vote_count", votes)
    set_committed_value(idea, "comment_count", comments)
    score = ranking.hot_score(votes, comments, idea.created_at)
    db.session.execute(sql.set_hot_score(), {"idea_key": idea.id, "new_score": score})
    set_committed_value(idea, "hot_score", score)


def bump(idea: Idea, *, votes: int = 0, comments: int = 0) -> int:
    """Atomically add to the idea's counters and store its new score; returns the vote count.

    The caller holds the idea's row lock (:func:`lock_idea`), so the locked row's counts
    plus the deltas are the new counts: the score is computed from them in Python and set by
    the same ``UPDATE`` (one statement, not two). The counters still change atomically and
    come back by ``RETURNING``; were they ever not the expected ones, the score is set
    again from what came back, so ``hot_score`` always matches the stored counts.
    """
    expected = (idea.vote_count + votes, idea.comment_count + comments)
    score = ranking.hot_score(*expected, idea.created_at)
    new_votes, new_comments = db.session.execute(sql.bump_counters(), {
        "idea_key": idea.id, "add_votes": votes, "add_comments": comments, "new_score": score,
    }).one()
    if (new_votes, new_comments) != expected:
        set_counts(idea, new_votes, new_comments)
        return int(new_votes)
    set_committed_value(idea, "vote_count", new_votes)
    set_committed_value(idea, "comment_count", new_comments)
    set_committed_value(idea, "hot_score", score)
    return int(new_votes)


def recount(ideas: list[Idea]) -> None:
    """Set each idea's vote_count from its vote rows (after votes moved in bulk)."""
    for idea in ideas:
        votes, comments = db.session.execute(sql.recount_votes(), {"idea_key": idea.id}).one()
        set_counts(idea, votes, comments)


def rebuild_tallies() -> None:
    """Recount the tallies from the ideas (after bulk loads; the service keeps them exact)."""
    with write_transaction():
        db.session.execute(delete(IdeaTally))
        rows = db.session.execute(
            select(Idea.status, Idea.area_id, func.count())
            .where(Idea.merged_into_id.is_(None))
            .group_by(Idea.status, Idea.area_id)
        ).all()
        for status, area_id, count in rows:
            db.session.add(IdeaTally(status=status, area_key=area_id or 0, count=count))
