"""Models of the ideas domain.

The core columns of ``Idea`` are fixed here because other domains refer to them
(markets link to ``ideas.id``; routing reads ``area_id``, ``author_id``,
``vote_count``); the ideas engineer adds the rest.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voice.clock import utcnow
from voice.extensions import db

STATUSES = ("open", "under_review", "planned", "in_progress", "done", "declined")


class Idea(db.Model):
    __tablename__ = "ideas"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id"), index=True)
    status: Mapped[str] = mapped_column(String(20), default="open", index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    vote_count: Mapped[int] = mapped_column(default=0)
    comment_count: Mapped[int] = mapped_column(default=0)
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("ideas.id"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
