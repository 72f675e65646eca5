"""Submitting an idea and editing it."""

from __future__ import annotations

from datetime import datetime

from voice import signals
from voice.accounts.models import User
from voice.areas.service import resolve_area
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Forbidden
from voice.extensions import db
from voice.ideas import ranking, search
from voice.ideas.models import Idea
from voice.ideas.service.checks import clean_description, clean_title
from voice.ideas.service.counters import lock_idea, tally
from voice.ideas.service.discussion import subscribe


def submit_idea(author: User, title: str, description: str, area_slug: str | None = None,
                *, now: datetime | None = None) -> Idea:
    """A new open idea by ``author``, indexed for search, the author subscribed.

    ``now`` (default: the present) is when it was submitted; the demo backdates ideas."""
    title = clean_title(title)
    description = clean_description(description)
    with write_transaction():
        area = resolve_area(area_slug)
        now = now or utcnow()
        idea = Idea(
            title=title, description=description, area_id=area.id if area else None,
            status="open", author_id=author.id, vote_count=0, comment_count=0,
            created_at=now, updated_at=now, hot_score=ranking.hot_score(0, 0, now),
        )
        db.session.add(idea)
        db.session.flush()
        search.index_idea(idea)
        tally("open", idea.area_id, 1)
        subscribe(idea.id, author.id)
        signals.idea_created.send(idea)
    return idea


def edit_idea(actor: User, idea_id: int, title: str, description: str) -> Idea:
    """The author (while the idea is open) or staff change the title and description."""
    title = clean_title(title)
    description = clean_description(description)
    with write_transaction():
        idea = lock_idea(idea_id)
        if not actor.is_staff and (idea.author_id != actor.id or idea.status != "open"):
            raise Forbidden("Only staff, or the author while the idea is open, may edit it.")
        idea.title, idea.description, idea.updated_at = title, description, utcnow()
        db.session.flush()
        search.index_idea(idea)
    return idea
