"""The mail outbox and its SMTP delivery, below accounts: it takes an address, knows no user.

The facade: ``queue_mail`` (render and add a mail in the caller's transaction),
``site_url`` and ``absolute`` (addresses for mail), the ``OutboxMail`` model.
Delivery is in ``voice.mail.delivery`` (``flask --app voice mail send``,
``voice.mail.commands``).
"""

from __future__ import annotations

from voice.mail.models import MAIL_STATUSES, OutboxMail
from voice.mail.outbox import (
    ACCOUNT_CATEGORY,
    absolute,
    clip_line,
    queue_mail,
    render_mail,
    site_url,
)

__all__ = [
    "ACCOUNT_CATEGORY",
    "MAIL_STATUSES",
    "OutboxMail",
    "absolute",
    "clip_line",
    "queue_mail",
    "render_mail",
    "site_url",
]
