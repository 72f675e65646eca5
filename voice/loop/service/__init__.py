"""The loop: telling people things, in-app and by mail, and their choice of mail.

The facade of the loop domain: ``from voice.loop import service; service.notify(...)``
and ``from voice.loop.service import notify`` both work. Behind it, one file per concern:

- ``categories``: the mail categories a user can turn off, and a notice kind's category;
- ``queries``: a user's notifications, unread count and mail choices;
- ``notifying``: ``notify`` (in-app rows and their mail, in the caller's transaction) and
  ``queue_notice_mail``;
- ``reading``: marking notifications read;
- ``preferences``: storing choices, and the unsubscribe link every notice mail carries.

``notify`` never commits: a notice exists exactly when the event that caused it does. Its
mail goes to the outbox (``voice.mail``) and is delivered later by
``flask --app voice mail send``. A user who turned a category off still gets the in-app
notification, but no mail; unknown kinds fall in ``other``, which is on unless turned off.
"""

from __future__ import annotations

from voice.loop.service.categories import (
    CATEGORIES,
    KIND_CATEGORIES,
    KIND_PREFIXES,
    Category,
    category_for,
)
from voice.loop.service.notifying import notify, queue_notice_mail
from voice.loop.service.preferences import (
    UNSUBSCRIBE_SALT,
    Unsubscribed,
    check_unsubscribe,
    read_unsubscribe_token,
    set_preferences,
    unsubscribe,
    unsubscribe_token,
)
from voice.loop.service.queries import (
    mail_disabled,
    notifications_for,
    preferences_for,
    unread_count,
)
from voice.loop.service.reading import mark_all_read, mark_read

__all__ = [
    "CATEGORIES",
    "KIND_CATEGORIES",
    "KIND_PREFIXES",
    "UNSUBSCRIBE_SALT",
    "Category",
    "Unsubscribed",
    "category_for",
    "check_unsubscribe",
    "mail_disabled",
    "mark_all_read",
    "mark_read",
    "notifications_for",
    "notify",
    "preferences_for",
    "queue_notice_mail",
    "read_unsubscribe_token",
    "set_preferences",
    "unread_count",
    "unsubscribe",
    "unsubscribe_token",
]
