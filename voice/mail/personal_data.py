"""What the outbox holds of a person: the mails queued or sent to their address.

Receivers of voice.signals' personal-data signals (connected in voice.mail.hooks).
The download holds no mails (their text is in the notifications the loop exports);
closing the account deletes every mail of that user, sent or not.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete

from voice.extensions import db
from voice.mail.models import OutboxMail

#: The tables with a user foreign key that this package answers for.
TABLES = ("outbox_mails",)


def export(user_id: int) -> dict[str, Any]:
    """No export section: the download never held the outbox."""
    return {}


def erase(user_id: int) -> None:
    """Delete the user's mails, queued or sent (in the caller's transaction)."""
    db.session.execute(delete(OutboxMail).where(OutboxMail.user_id == user_id)
                       .execution_options(synchronize_session=False))
