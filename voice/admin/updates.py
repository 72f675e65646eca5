""""You asked, we did": staff publish an update linked to the ideas it delivers.

Publishing, in one transaction: the update and its links are written; each linked
idea that is not done yet moves to done through the ideas service's
``change_status`` (so its history, its status notices and the audit entry happen as
for any status change); then every voter and active subscriber of the linked ideas
is told once (``notify`` kind ``update_published``, in-app and mail, with a link to
the update's public page), however many of the ideas they voted for.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, union

from voice.accounts.models import User
from voice.admin import audit
from voice.admin.models import Update, UpdateIdea
from voice.admin.service import require_staff
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.paging import Page, paginate
from voice.text import plain_excerpt

MAX_BODY = 20_000
MAX_IDEAS = 50


def parse_idea_ids(text: str | list) -> list[int]:
    """Idea numbers from "12, #14 15" (or a list); Invalid when one is not a number."""
    parts = text if isinstance(text, list) else str(text or "").replace(",", " ").split()
    ids: list[int] = []
    for part in parts:
        value = str(part).strip().lstrip("#")
        if not value.isdigit():
            raise Invalid(f"“{part}” is not an idea number.", field="idea_ids",
                          code="invalid_ideas")
        if int(value) not in ids:
            ids.append(int(value))
    return ids


def publish_update(actor: User, title: str, body: str, idea_ids: list[int]) -> Update:
    require_staff(actor)
    from voice.ideas import service as ideas
    from voice.ideas.models import Idea, IdeaSubscription, Vote
    from voice.loop.service import notify

    title = " ".join((title or "").split())
    body = (body or "").strip()
    if not 3 <= len(title) <= 200:
        raise Invalid("A title has 3 to 200 characters.", field="title", code="invalid_update")
    if len(body) > MAX_BODY:
        raise Invalid(f"The text has at most {MAX_BODY:,} characters.", field="body",
                      code="invalid_update")
    if not idea_ids:
        raise Invalid("Link the ideas this update delivers.", field="idea_ids",
                      code="invalid_ideas")
    if len(idea_ids) > MAX_IDEAS:
        raise Invalid(f"Link at most {MAX_IDEAS} ideas.", field="idea_ids", code="invalid_ideas")
    with write_transaction():
        ideas_found = {idea.id: idea for idea in db.session.scalars(
            select(Idea).where(Idea.id.in_(idea_ids)))}
        missing = [i for i in idea_ids if i not in ideas_found]
        if missing:
            raise NotFound(f"No idea #{missing[0]}.", field="idea_ids", code="unknown_idea")
        merged = [i for i in idea_ids if ideas_found[i].merged_into_id is not None]
        if merged:
            raise Conflict(f"Idea #{merged[0]} was merged; link the idea it went to.",
                           field="idea_ids", code="idea_merged")
        update = Update(title=title, body=body, author_id=actor.id, published_at=utcnow())
        db.session.add(update)
        db.session.flush()
        for idea_id in idea_ids:
            db.session.add(UpdateIdea(update_id=update.id, idea_id=idea_id))
            if ideas_found[idea_id].status != "done":
                ideas.change_status(actor, idea_id, "done", f"Delivered: {title}")
        voters = select(Vote.user_id.label("user_id")).where(Vote.idea_id.in_(idea_ids))
        followers = select(IdeaSubscription.user_id.label("user_id")).where(
            IdeaSubscription.idea_id.in_(idea_ids), IdeaSubscription.active.is_(True))
        people = union(voters, followers).subquery()
        users = list(db.session.scalars(
            select(User).where(User.id.in_(select(people.c.user_id))).order_by(User.id)))
        notices = notify(users, kind="update_published",
                         subject=f"You asked, we did: {title}"[:200],
                         body=plain_excerpt(body, 500), link=f"/updates/{update.id}")
        update.notified_count = len(notices)
        audit.record(actor, "update.publish", "update", update.id,
                     f"{title} (ideas {', '.join(f'#{i}' for i in idea_ids)}; "
                     f"{len(notices)} told)")
    return update


@dataclass
class UpdateView:
    update: Update
    ideas: list  # [Idea]
    author: User | None = None


def _with_ideas(updates: list[Update]) -> list[UpdateView]:
    from voice.ideas.models import Idea

    if not updates:
        return []
    ids = [u.id for u in updates]
    linked: dict[int, list] = {i: [] for i in ids}
    for update_id, idea in db.session.execute(
        select(UpdateIdea.update_id, Idea).join(Idea, Idea.id == UpdateIdea.idea_id)
        .where(UpdateIdea.update_id.in_(ids)).order_by(UpdateIdea.id)
    ):
        linked[update_id].append(idea)
    authors = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({u.author_id for u in updates if u.author_id})))}
    return [UpdateView(update=u, ideas=linked[u.id], author=authors.get(u.author_id))
            for u in updates]


def list_updates(page: int = 1, per_page: int = 10) -> tuple[Page, list[UpdateView]]:
    listing = paginate(select(Update).order_by(Update.published_at.desc(), Update.id.desc()),
                       page, per_page)
    return listing, _with_ideas(listing.items)


def get_update(update_id: int) -> UpdateView:
    update = db.session.get(Update, update_id)
    if update is None:
        raise NotFound("No such update.")
    return _with_ideas([update])[0]
