"""The loop's reads: a user's notifications and unread count, and their mail choices."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import func, select

from voice.accounts.models import User
from voice.extensions import db
from voice.loop.models import MailPreference, Notification
from voice.loop.service.categories import CATEGORIES
from voice.paging import Page, paginate


def unread_count(user: User) -> int:
    """How many of the user's notifications are unread (the badge on every page)."""
    return db.session.scalar(
        select(func.count(Notification.id)).where(
            Notification.user_id == user.id, Notification.read_at.is_(None)
        )
    ) or 0


def notifications_for(user: User, page: int = 1, per_page: int = 20) -> Page:
    """The user's notifications, newest first, one page of them."""
    stmt = (
        select(Notification)
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )
    return paginate(stmt, page, per_page)


def preferences_for(user: User) -> dict[str, bool]:
    """Every category with the user's choice (on unless turned off), in page order."""
    stored = dict(db.session.execute(
        select(MailPreference.category, MailPreference.enabled).where(
            MailPreference.user_id == user.id
        )
    ).all())
    return {name: bool(stored.get(name, True)) for name in CATEGORIES}


def mail_disabled(user_ids: Iterable[int], category: str) -> set[int]:
    """Which of these users turned ``category`` mail off (one query)."""
    ids = list(user_ids)
    if not ids:
        return set()
    return set(db.session.scalars(
        select(MailPreference.user_id).where(
            MailPreference.category == category,
            MailPreference.enabled.is_(False),
            MailPreference.user_id.in_(ids),
        )
    ))
