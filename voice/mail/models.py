"""The mail outbox: one row per mail, written in the transaction of its event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voice.clock import utcnow
from voice.extensions import Model

#: What an OutboxMail row can be: pending -> sending -> sent (over SMTP) or logged (no
#: SMTP configured: written to the log instead); back to pending with a later
#: next_attempt_at after a failed attempt; failed after the last attempt.
MAIL_STATUSES = ("pending", "sending", "sent", "logged", "failed")


class OutboxMail(Model):
    """A mail written in the same transaction as its event; a worker sends it.

    The bodies are rendered when the row is written, so the row is the whole
    mail. A sender claims a row by moving it to ``sending`` with its claim id in
    ``claimed_by`` (one atomic UPDATE); a claim older than the timeout is taken
    over by the next sender, so a crashed sender loses nothing.

    ``user_id`` only names whose mail it is, so closing an account can erase it
    (voice.mail.personal_data); the outbox itself knows addresses, not users.
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
    # A conversation's mail (issue 14): the signed address a reply goes to, and the
    # Message-ID the reply's In-Reply-To names; "" for every other mail.
    reply_to: Mapped[str] = mapped_column(String(320), default="")
    message_id: Mapped[str] = mapped_column(String(250), default="")
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    claimed_by: Mapped[str | None] = mapped_column(String(80), index=True)
    claimed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
