""""You asked, we did": staff publish an update linked to the ideas it delivers.

Publishing, in one transaction: the update and its links are written; each linked
idea that is not done yet moves to done through the ideas service's
``change_status`` (so its history, its status notices and the audit entry happen as
for any status change); then every voter and active subscriber of the linked ideas
is told once (``notify`` kind ``update_published``, in-app and mail, with a link to
the update's public page), however many of the ideas they voted for. The reads (the
list and one update) are in voice/admin/service/queries.py.
"""

from __future__ import annotations

from datetime import datetime

from voice import pages
from voice.accounts.models import User
from voice.admin import audit
from voice.admin.models import Update, UpdateIdea
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.ideas import service as ideas
from voice.ideas.service import staff_reads as idea_reads
from voice.loop.service import notify
from voice.permissions import require_staff
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


def _check_update(title: str, body: str, idea_ids: list[int]) -> tuple[str, str]:
    """The title and body, cleaned; Invalid when the update cannot be published."""
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
    return title, body


def _linked_ideas(idea_ids: list[int]) -> dict[int, idea_reads.IdeaRow]:
    """The ideas by id; NotFound for a missing one, Conflict for a merged one."""
    found = idea_reads.ideas_by_id(idea_ids)
    missing = [i for i in idea_ids if i not in found]
    if missing:
        raise NotFound(f"No idea #{missing[0]}.", field="idea_ids", code="unknown_idea")
    merged = [i for i in idea_ids if found[i].merged_into_id is not None]
    if merged:
        raise Conflict(f"Idea #{merged[0]} was merged; link the idea it went to.",
                       field="idea_ids", code="idea_merged")
    return found


def publish_update(actor: User, title: str, body: str, idea_ids: list[int], *,
                   now: datetime | None = None) -> Update:
    require_staff(actor)
    title, body = _check_update(title, body, idea_ids)
    with write_transaction():
        linked = _linked_ideas(idea_ids)
        update = Update(title=title, body=body, author_id=actor.id, published_at=now or utcnow())
        db.session.add(update)
        db.session.flush()
        for idea_id in idea_ids:
            db.session.add(UpdateIdea(update_id=update.id, idea_id=idea_id))
            if linked[idea_id].status != "done":
                ideas.change_status(actor, idea_id, "done", f"Delivered: {title}", now=now)
        notices = notify(idea_reads.voters_and_followers(idea_ids), kind="update_published",
                         subject=f"You asked, we did: {title}"[:200],
                         body=plain_excerpt(body, 500), link=pages.update(update.id))
        update.notified_count = len(notices)
        audit.record(actor, "update.publish", "update", update.id,
                     f"{title} (ideas {', '.join(f'#{i}' for i in idea_ids)}; "
                     f"{len(notices)} told)")
    return update
