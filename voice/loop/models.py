"""In-app notifications and each user's mail preferences.

The outbox (``OutboxMail``) lives below accounts, in voice.mail; it is re-exported here
only because tests written before the move import it from this module
(test_account_data, test_admin_cases, test_admin_updates, test_rate_limits, test_xss).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from voice.clock import utcnow
from voice.extensions import Model
from voice.mail.models import OutboxMail

__all__ = ["MailPreference", "Notification", "OutboxMail"]


class Notification(Model):
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


class MailPreference(Model):
    """One user's choice for one category of mail; no row means the default (on)."""

    __tablename__ = "mail_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
