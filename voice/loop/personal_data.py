"""What the loop holds of a person: their notifications and mail preferences.

Receivers of voice.signals' personal-data signals (connected in voice.loop.hooks).
Closing the account deletes both: they only ever served to reach the person.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from voice.clock import isoformat
from voice.extensions import db
from voice.loop.models import MailPreference, Notification

#: The tables with a user foreign key that this domain answers for.
TABLES = ("notifications", "mail_preferences")


def export(user_id: int) -> dict[str, Any]:
    """The sections ``notifications`` and ``mail_preferences`` of the download."""
    notifications = db.session.scalars(
        select(Notification).where(Notification.user_id == user_id)
        .order_by(Notification.id)
    ).all()
    preferences = db.session.scalars(
        select(MailPreference).where(MailPreference.user_id == user_id)
        .order_by(MailPreference.category)
    ).all()
    return {
        "notifications": [{"id": n.id, "kind": n.kind, "subject": n.subject, "body": n.body,
                           "link": n.link, "read": n.read_at is not None,
                           "created_at": isoformat(n.created_at)} for n in notifications],
        "mail_preferences": {p.category: p.enabled for p in preferences},
    }


def erase(user_id: int) -> None:
    """Delete the user's notifications and mail preferences (in the caller's transaction)."""
    for model, column in ((Notification, Notification.user_id),
                          (MailPreference, MailPreference.user_id)):
        db.session.execute(delete(model).where(column == user_id)
                           .execution_options(synchronize_session=False))
