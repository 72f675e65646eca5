"""A user marks their notifications read: one, or all of them."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import CursorResult, update

from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import NotFound
from voice.extensions import db
from voice.loop.models import Notification


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; another user's is 'not found'."""
    with write_transaction():
        notice = db.session.get(Notification, notification_id)
        if notice is None or notice.user_id != user.id:
            raise NotFound("No such notification.")
        if notice.read_at is None:
            notice.read_at = utcnow()
    return notice


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many there were."""
    with write_transaction():
        result = cast("CursorResult[Any]", db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        ))
    return result.rowcount or 0
