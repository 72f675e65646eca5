"""Telling people things: in-app notifications, and their mail through the outbox.

``notify`` adds rows to the caller's transaction; it never commits, so a notice exists
exactly when the event that caused it does. The mail it writes goes to the outbox
(voice.mail), rendered there and then (plain text and HTML, from ``templates/loop/mail/``),
and is delivered later by ``flask --app voice mail send``. A user who turned the kind's
category off still gets the in-app notification, but no mail.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from voice import mail as outbox
from voice.accounts.models import User
from voice.extensions import db
from voice.loop.models import Notification
from voice.loop.service.categories import CATEGORIES, category_for
from voice.loop.service.preferences import unsubscribe_token
from voice.loop.service.queries import mail_disabled
from voice.mail import OutboxMail

LINK_MAX = 500


def queue_notice_mail(
    user: User,
    *,
    kind: str,
    subject: str,
    category: str,
    context: Mapping[str, Any] | None = None,
    template: str = "notification",
    reply_to: str = "",
    message_id: str = "",
) -> OutboxMail:
    """Add one mail of ``category`` for ``user`` to the outbox, with its unsubscribe link
    (the caller's transaction; never commits). ``reply_to`` and ``message_id`` (a
    conversation's signed reply address, ``voice.mail.reply_address``) become the mail's
    Reply-To and Message-ID headers."""
    unsubscribe_url = outbox.site_url("loop.unsubscribe",
                                      token=unsubscribe_token(user.id, category))
    return outbox.queue_mail(
        user.email, name=user.display_name, user_id=user.id, kind=kind, subject=subject,
        template=template, category=category, unsubscribe_url=unsubscribe_url,
        reply_to=reply_to, message_id=message_id,
        context={"category": CATEGORIES.get(category),
                 "preferences_url": outbox.site_url("loop.preferences"), **(context or {})},
    )


def _recipients(users: Iterable[User]) -> list[User]:
    """Each active user once, in the order given."""
    recipients: list[User] = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        recipients.append(user)
    return recipients


def notify(
    users: Iterable[User],
    *,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    mail: bool = True,
    reply_to: str = "",
    message_id: str = "",
) -> list[Notification]:
    """Notify each user once: in-app always, by mail unless ``mail`` is False or the
    user turned off the kind's category. Adds rows to the caller's transaction.

    ``reply_to`` and ``message_id`` are set on the mail (a conversation's reply address,
    made for one recipient: give them when notifying one user)."""
    recipients = _recipients(users)
    subject = outbox.clip_line(subject)
    link = (link or "")[:LINK_MAX]
    notices = []
    for user in recipients:
        notice = Notification(user_id=user.id, kind=kind, subject=subject, body=body, link=link)
        db.session.add(notice)
        notices.append(notice)
    if mail and recipients:
        category = category_for(kind)
        muted = mail_disabled([user.id for user in recipients], category)
        context = {"body": body, "link_url": outbox.absolute(link)}
        for user in recipients:
            if user.id not in muted:
                queue_notice_mail(user, kind=kind, subject=subject, category=category,
                                  context=context, reply_to=reply_to, message_id=message_id)
    return notices
