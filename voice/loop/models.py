"""In-app notifications, the mail outbox and each user's mail preferences."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voice.clock import utcnow
from voice.extensions import db

#: What an OutboxMail row can be: pending -> sending -> sent (over SMTP) or logged (no
#: SMTP configured: written to the log instead); back to pending with a later
#: next_attempt_at after a failed attempt; failed after the last attempt.
MAIL_STATUSES = ("pending", "sending", "sent", "logged", "failed")


class Notification(db.Model):
    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_unread", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(500), default="")
    read_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    @property
    def read(self) -> bool:
        return self.read_at is not None


class OutboxMail(db.Model):
    """A mail written in the same transaction as its event; a worker sends it.

    The bodies are rendered when the row is written, so the row is the whole
    mail. A sender claims a row by moving it to ``sending`` with its claim id in
    ``claimed_by`` (one atomic UPDATE); a claim older than the timeout is taken
    over by the next sender, so a crashed sender loses nothing.
    """

    __tablename__ = "outbox_mails"
    __table_args__ = (Index("ix_outbox_mails_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    # The preference category (voice.loop.service.CATEGORIES); "" for account mail.
    category: Mapped[str] = mapped_column(String(40), default="")
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(String(200))
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text, default="")
    # The signed one-click unsubscribe address (List-Unsubscribe); "" for account mail.
    unsubscribe_url: Mapped[str] = mapped_column(String(500), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str | None] = mapped_column(String(80), index=True)
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]


class MailPreference(db.Model):
    """One user's choice for one category of mail; no row means the default (on)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
