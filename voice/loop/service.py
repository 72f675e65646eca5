"""Telling people things: in-app notifications, and mail through the outbox.

``notify`` adds rows to the caller's transaction; it never commits, so a notice
exists exactly when the event that caused it does.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select, update

from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import NotFound
from voice.extensions import db
from voice.loop.models import Notification, OutboxMail
from voice.paging import Page, paginate


def notify(
    users: Iterable[User],
    *,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    mail: bool = True,
) -> list[Notification]:
    """Notify each user once (in-app, and by mail unless ``mail`` is False)."""
    notices = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        notice = Notification(user_id=user.id, kind=kind, subject=subject, body=body, link=link)
        db.session.add(notice)
        notices.append(notice)
        if mail:
            db.session.add(
                OutboxMail(
                    user_id=user.id,
                    kind=kind,
                    to_address=user.email,
                    subject=subject,
                    body_text=f"{body}\n\n{link}".strip(),
                )
            )
    return notices


def unread_count(user: User) -> int:
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    )


def notifications_for(user: User, page: int = 1, per_page: int = 20) -> Page:
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(stmt, page, per_page)


def mark_read(user: User, notification_id: int) -> Notification:
    """Mark one of the user's notifications read; another user's is 'not found'."""
    with write_transaction():
        notice = db.session.get(Notification, notification_id)
        if notice is None or notice.user_id != user.id:
            raise NotFound("No such notification.")
        if notice.read_at is None:
            notice.read_at = utcnow()
    return notice


def mark_all_read(user: User) -> None:
    with write_transaction():
        db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
