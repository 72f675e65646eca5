"""What the ideas domain holds of a person: ideas, comments, votes and subscriptions.

Receivers of voice.signals' personal-data signals (connected in voice.ideas.hooks).
Closing the account keeps the ideas, comments and votes (under the anonymised user,
"A former customer", so counts and discussions stay whole) and the status changes staff
made; it deletes the subscriptions, which only served to reach the person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from voice.areas.models import Area
from voice.clock import isoformat
from voice.extensions import db
from voice.ideas.models import Comment, Idea, IdeaSubscription, Vote

#: The tables with a user foreign key that this domain answers for.
TABLES = ("ideas", "idea_votes", "idea_comments", "idea_status_changes", "idea_subscriptions")


def export(user_id: int) -> dict[str, Any]:
    """The sections ``ideas``, ``comments``, ``votes`` and ``idea_subscriptions``."""
    session = db.session
    ideas = session.execute(
        select(Idea, Area.slug).outerjoin(Area, Area.id == Idea.area_id)
        .where(Idea.author_id == user_id).order_by(Idea.id)
    ).all()
    comments = session.execute(
        select(Comment, Idea.title).join(Idea, Idea.id == Comment.idea_id)
        .where(Comment.author_id == user_id).order_by(Comment.id)
    ).all()
    votes = session.execute(
        select(Vote, Idea.title).join(Idea, Idea.id == Vote.idea_id)
        .where(Vote.user_id == user_id).order_by(Vote.id)
    ).all()
    subscriptions = session.scalars(
        select(IdeaSubscription.idea_id).where(IdeaSubscription.user_id == user_id,
                                               IdeaSubscription.active.is_(True))
        .order_by(IdeaSubscription.idea_id)
    ).all()
    return {
        "ideas": [{"id": i.id, "title": i.title, "description": i.description,
                   "area": slug, "status": i.status, "vote_count": i.vote_count,
                   "created_at": isoformat(i.created_at)} for i, slug in ideas],
        "comments": [{"id": c.id, "idea_id": c.idea_id, "idea_title": title, "body": c.body,
                      "internal": c.internal, "hidden": c.hidden,
                      "created_at": isoformat(c.created_at)} for c, title in comments],
        "votes": [{"idea_id": v.idea_id, "idea_title": title,
                   "created_at": isoformat(v.created_at)} for v, title in votes],
        "idea_subscriptions": list(subscriptions),
    }


def erase(user_id: int) -> None:
    """Delete the user's idea subscriptions (in the caller's transaction)."""
    db.session.execute(delete(IdeaSubscription).where(IdeaSubscription.user_id == user_id)
                       .execution_options(synchronize_session=False))
