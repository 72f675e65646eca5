"""Models of the ideas domain.

The core columns of ``Idea`` are fixed here because other domains refer to them
(markets link to ``ideas.id``; routing reads ``area_id``, ``author_id``,
``vote_count``); the ideas engineer adds the rest.

Invariants the service keeps:

* ``Idea.vote_count`` equals the number of ``Vote`` rows whose ``idea_id`` is the idea,
  and ``Idea.comment_count`` the number of its public, visible comments.
* ``Idea.hot_score`` is ``ranking.hot_score(vote_count, comment_count, created_at)``.
* ``IdeaTally`` holds, for each (status, area), how many ideas are not merged, so the
  list's total never needs a ``COUNT(*)`` over the whole table.
* ``IdeaTerm`` holds the search index: one row per (term, idea) with the term's weight.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voice.accounts.models import User
from voice.areas.models import Area
from voice.clock import utcnow
from voice.extensions import Model

STATUSES = ("open", "under_review", "planned", "in_progress", "done", "declined")
STATUS_LABELS = {
    "open": "Open",
    "under_review": "Under review",
    "planned": "Planned",
    "in_progress": "In progress",
    "done": "Done",
    "declined": "Declined",
}
#: Statuses on which nobody may vote any more (a merged idea is closed too).
CLOSED_STATUSES = ("done", "declined")


class Idea(Model):
    __tablename__ = "ideas"
    __table_args__ = (
        # The three sorts of the list, each readable backwards from an index.
        Index("ix_ideas_hot", "hot_score", "id"),
        Index("ix_ideas_top", "vote_count", "id"),
        Index("ix_ideas_new", "created_at", "id"),
        # The same within a status (the roadmap's planned / in progress / done lists).
        Index("ix_ideas_status_hot", "status", "hot_score", "id"),
        Index("ix_ideas_status_top", "status", "vote_count", "id"),
        Index("ix_ideas_status_new", "status", "created_at", "id"),
    )

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

    # Added by the ideas domain.
    hot_score: Mapped[float] = mapped_column(Float, default=0.0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    merged_at: Mapped[datetime | None]

    # Loaded explicitly (joinedload) where shown; lazy loading raises, so no page
    # or template can issue a query per row by accident.
    author: Mapped[User | None] = relationship(lazy="raise")
    area: Mapped[Area | None] = relationship(lazy="raise")

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    @property
    def voting_open(self) -> bool:
        return not self.is_merged and self.status not in CLOSED_STATUSES

    @property
    def status_label(self) -> str:
        return STATUS_LABELS.get(self.status, self.status)

    def __repr__(self) -> str:
        return f"<Idea {self.id} {self.title!r} {self.status}>"


class Vote(Model):
    """One vote of one user on one idea."""

    __tablename__ = "idea_votes"
    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A vote staff added for a customer (from a sales call, say), and who added it.
    on_behalf: Mapped[bool] = mapped_column(default=False)
    added_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Set when a merge moved this vote: the idea it was cast on. Unmerging that idea
    # moves exactly these votes back.
    merged_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL"), index=True
    )


class Comment(Model):
    __tablename__ = "idea_comments"
    __table_args__ = (Index("ix_idea_comments_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    official: Mapped[bool] = mapped_column(default=False)  # a staff member's public reply
    internal: Mapped[bool] = mapped_column(default=False)  # staff-only note
    hidden: Mapped[bool] = mapped_column(default=False)  # hidden by staff (abuse)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(foreign_keys=[author_id], lazy="raise")

    @property
    def public(self) -> bool:
        return not self.internal and not self.hidden


class StatusChange(Model):
    __tablename__ = "idea_status_changes"
    __table_args__ = (Index("ix_idea_status_changes_idea_created", "idea_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    from_status: Mapped[str] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[User | None] = relationship(lazy="raise")


class IdeaSubscription(Model):
    """Who hears about an idea. ``active`` False: the user unsubscribed (and stays so)."""

    __tablename__ = "idea_subscriptions"
    __table_args__ = (UniqueConstraint("idea_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    active: Mapped[bool] = mapped_column(default=True)
    # Set when a merge added this subscription; unmerging removes exactly these.
    merged_from_id: Mapped[int | None] = mapped_column(
        ForeignKey("ideas.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdeaTerm(Model):
    """The search index: ``weight`` is the term's share of the idea's (unit) text vector."""

    __tablename__ = "idea_terms"

    # Byte order on PostgreSQL too, so the prefix range below matches Python's ordering.
    term: Mapped[str] = mapped_column(
        String(40).with_variant(String(40, collation="C"), "postgresql"), primary_key=True
    )
    idea_id: Mapped[int] = mapped_column(
        ForeignKey("ideas.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    weight: Mapped[float] = mapped_column(Float)


class IdeaTally(Model):
    """How many unmerged ideas have this status in this area (area_key 0: no area)."""

    __tablename__ = "idea_tallies"
    __table_args__ = (UniqueConstraint("status", "area_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    status: Mapped[str] = mapped_column(String(20))
    area_key: Mapped[int] = mapped_column(default=0)
    count: Mapped[int] = mapped_column(default=0)
