""""Shipped in": the updates that delivered each idea, for the ideas pages (issue 15).

The ideas domain sits below admin and never imports it: its detail page sends
``signals.idea_updates_requested`` with the idea ids, and :func:`updates_for_ideas`
(connected in voice/admin/hooks.py) answers with the published updates of each, newest
first, in one statement however many ideas are asked about.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from voice.admin.models import Update, UpdateIdea
from voice.extensions import db
from voice.pages import update as update_path


@dataclass(frozen=True)
class ShippedIn:
    update_id: int
    title: str
    published_at: datetime

    @property
    def link(self) -> str:
        return update_path(self.update_id)


def updates_for_ideas(sender: Iterable[int], **_: object) -> dict[int, list[ShippedIn]]:
    """idea id -> the updates that delivered it, newest first (ideas without one are left
    out)."""
    ids = sorted({int(i) for i in sender})
    if not ids:
        return {}
    rows = db.session.execute(
        select(UpdateIdea.idea_id, Update.id, Update.title, Update.published_at)
        .join(Update, Update.id == UpdateIdea.update_id)
        .where(UpdateIdea.idea_id.in_(ids))
        .order_by(Update.published_at.desc(), Update.id.desc())).all()
    shipped: dict[int, list[ShippedIn]] = {}
    for idea_id, update_id, title, published_at in rows:
        shipped.setdefault(idea_id, []).append(ShippedIn(update_id, title, published_at))
    return shipped
