"""The mail outbox and its SMTP delivery, below accounts: it takes an address, knows no user.

The facade: ``queue_mail`` (render and add a mail in the caller's transaction),
``site_url`` and ``absolute`` (addresses for mail), the ``OutboxMail`` model;
``reply_address`` (the signed Reply-To and Message-ID of a conversation's mail) and
``read_reply`` / ``match_reply`` (which case and user a reply answers, or why none).
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
from voice.mail.reply_tokens import ReplyMatch, match_reply, read_reply, reply_address

__all__ = [
    "ACCOUNT_CATEGORY",
    "MAIL_STATUSES",
    "OutboxMail",
    "ReplyMatch",
    "absolute",
    "clip_line",
    "match_reply",
    "queue_mail",
    "read_reply",
    "render_mail",
    "reply_address",
    "site_url",
]
