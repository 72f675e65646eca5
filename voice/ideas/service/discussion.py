"""Discussing an idea: comments, staff hiding them, and who follows the idea."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from voice import signals
from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Forbidden, NotFound
from voice.extensions import db
from voice.ideas import sql
from voice.ideas.models import Comment, IdeaSubscription
from voice.ideas.service.checks import COMMENT_MAX, STAFF_ONLY, clean_text, idea_path
from voice.ideas.service.counters import bump, lock_idea
from voice.loop.service import notify
from voice.permissions import require_staff
from voice.text import plain_excerpt


def subscribe(idea_id: int, user_id: int, merged_from_id: int | None = None) -> bool:
    """Subscribe unless the user already has a subscription row, even an inactive one:
    whoever unsubscribed stays unsubscribed when they vote or comment. True if added."""
    added = db.session.scalar(sql.insert_subscription(sql.dialect()), {
        "new_idea": idea_id, "new_user": user_id, "new_merged_from": merged_from_id})
    return added is not None


def subscribers(idea_id: int, exclude: int | None = None) -> list[User]:
    """The idea's active subscribers, in id order (``exclude``: whoever acted)."""
    stmt = (select(User).join(IdeaSubscription, IdeaSubscription.user_id == User.id)
            .where(IdeaSubscription.idea_id == idea_id, IdeaSubscription.active.is_(True))
            .order_by(User.id))
    if exclude is not None:
        stmt = stmt.where(User.id != exclude)
    return list(db.session.scalars(stmt))


def add_comment(author: User, idea_id: int, body: str, internal: bool = False, *,
                now: datetime | None = None) -> Comment:
    """A comment (Markdown). Staff comments are official; internal notes are staff-only.
    ``now`` (default: the present) is when it was written."""
    body = clean_text(body, limit=COMMENT_MAX, field="body", what="comment")
    if internal and not author.is_staff:
        raise Forbidden("Only staff may write internal notes.", code="forbidden")
    with write_transaction():
        idea = lock_idea(idea_id)
        if idea.is_merged:
            raise Conflict("This idea was merged into another one; comment there.",
                           code="idea_merged")
        comment = Comment(idea_id=idea.id, author_id=author.id, body=body, internal=internal,
                          official=author.is_staff and not internal,
                          created_at=now or utcnow())
        db.session.add(comment)
        db.session.flush()
        if not internal:
            bump(idea, comments=1)
            subscribe(idea.id, author.id)
            notify(subscribers(idea.id, exclude=author.id), kind="idea_comment",
                   subject=f'{author.display_name} commented on "{idea.title}"'[:200],
                   body=plain_excerpt(body, 300),
                   link=f"{idea_path(idea.id)}#comment-{comment.id}")
            signals.comment_created.send(comment)
    return comment


def set_comment_hidden(actor: User, comment_id: int, hidden: bool) -> Comment:
    """Staff hide an abusive comment (or show it again)."""
    require_staff(actor, STAFF_ONLY)
    with write_transaction():
        comment = db.session.get(Comment, comment_id)
        if comment is None:
            raise NotFound("No such comment.", code="not_found")
        idea = lock_idea(comment.idea_id)
        db.session.refresh(comment)
        if comment.hidden != hidden:
            comment.hidden = hidden
            if not comment.internal:
                bump(idea, comments=-1 if hidden else 1)
            comment.hidden_by_id = actor.id if hidden else None
            signals.staff_acted.send(actor, action="idea.comment_hide" if hidden
                                     else "idea.comment_show", target_type="comment",
                                     target_id=comment.id, detail=f"on idea #{idea.id}")
    return comment


def set_subscribed(user: User, idea_id: int, subscribed: bool) -> bool:
    """Follow the idea (or stop): the user's subscription row, made or changed."""
    with write_transaction():
        idea = lock_idea(idea_id)
        row = db.session.scalar(select(IdeaSubscription).where(
            IdeaSubscription.idea_id == idea.id, IdeaSubscription.user_id == user.id))
        if row is None:
            db.session.add(IdeaSubscription(idea_id=idea.id, user_id=user.id, active=subscribed))
        else:
            row.active = subscribed
    return subscribed
