"""The staff's CSV of every idea with its counts, streamed in batches."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from sqlalchemy import select

from voice.accounts.models import User
from voice.areas.models import Area
from voice.clock import isoformat
from voice.extensions import db
from voice.ideas.models import Idea
from voice.ideas.service.checks import STAFF_ONLY
from voice.permissions import require_staff
from voice.text import csv_cell

EXPORT_COLUMNS = ("id", "title", "status", "area", "author", "votes", "comments",
                  "created_at", "merged_into")
#: The CSV is sent in pieces of about this many characters.
CHUNK_CHARS = 64_000


def export_rows(batch: int = 1000) -> Iterator[tuple[Any, ...]]:
    """Every idea with its counts, in id order, read in batches (for the CSV export)."""
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Idea.id, Idea.title, Idea.status, Area.name, User.display_name,
                   Idea.vote_count, Idea.comment_count, Idea.created_at, Idea.merged_into_id)
            .outerjoin(Area, Area.id == Idea.area_id)
            .outerjoin(User, User.id == Idea.author_id)
            .where(Idea.id > last_id).order_by(Idea.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from (tuple(row) for row in rows)
        last_id = rows[-1][0]


def _cell(value: object) -> object:
    """A value as a cell's text (times in ISO 8601, nothing for None), formulas defused."""
    if value is None:
        return ""
    return csv_cell(isoformat(value) if isinstance(value, datetime) else str(value))


def _chunks() -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(EXPORT_COLUMNS)
    for row in export_rows():
        writer.writerow([_cell(value) for value in row])
        if buffer.tell() > CHUNK_CHARS:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def export_csv(actor: Any) -> Iterator[str]:
    """The CSV of every idea (``EXPORT_COLUMNS``), as pieces of text to stream; staff only.

    The staff check runs now, before the first piece is asked for, so a refusal is an
    error response rather than a broken download.
    """
    require_staff(actor, STAFF_ONLY)
    return _chunks()
