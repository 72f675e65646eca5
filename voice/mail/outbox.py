"""Writing mail: render it, add it to the outbox in the caller's transaction.

The outbox knows addresses, not users: the caller (accounts for the password reset,
the loop for notices) passes the address, the name to greet and, for a mail that can
be turned off, its category and unsubscribe address. Delivery is
``flask --app voice mail send`` (voice.mail.delivery).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import current_app

from voice.clock import utcnow
from voice.extensions import db
from voice.mail.models import OutboxMail

#: Where the mail templates live (``<name>.txt`` and ``<name>.html``, on one layout).
TEMPLATE_FOLDER = "loop/mail"
#: Mail about the account itself (password reset): always sent, no unsubscribe link.
ACCOUNT_CATEGORY = ""
SUBJECT_LIMIT = 200


def site_url(endpoint: str, **values: Any) -> str:
    """An absolute address on BASE_URL, built without a request (for mail)."""
    path = current_app.url_map.bind("localhost").build(endpoint, values)
    return current_app.config["BASE_URL"].rstrip("/") + path


def absolute(link: str) -> str:
    """A site path made absolute on BASE_URL; absolute http(s) links stay as they are."""
    if not link:
        return ""
    if link.startswith(("http://", "https://")):
        return link
    return current_app.config["BASE_URL"].rstrip("/") + "/" + link.lstrip("/")


def clip_line(text: str, limit: int = SUBJECT_LIMIT) -> str:
    """Text on one line, cut to ``limit`` characters with an ellipsis (a subject)."""
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def _paragraphs(text: str) -> list[list[str]]:
    """Plain text as paragraphs of lines, for the HTML body (escaped by the template)."""
    blocks = [block.strip() for block in (text or "").replace("\r\n", "\n").split("\n\n")]
    return [block.split("\n") for block in blocks if block]


def render_mail(template: str, context: Mapping[str, Any]) -> tuple[str, str]:
    """The plain-text and HTML bodies of ``templates/loop/mail/<template>.{txt,html}``.

    Rendered straight from the Jinja environment (no request, no context
    processors); the HTML templates autoescape, so user text is never markup.
    """
    env = current_app.jinja_env
    values = {"paragraphs": _paragraphs, **context}
    text = env.get_template(f"{TEMPLATE_FOLDER}/{template}.txt").render(values).strip() + "\n"
    html = env.get_template(f"{TEMPLATE_FOLDER}/{template}.html").render(values)
    return text, html


def queue_mail(
    to_address: str,
    *,
    name: str,
    kind: str,
    subject: str,
    template: str,
    context: Mapping[str, Any] | None = None,
    user_id: int | None = None,
    category: str = ACCOUNT_CATEGORY,
    unsubscribe_url: str = "",
    reply_to: str = "",
    message_id: str = "",
) -> OutboxMail:
    """Add one rendered mail to the outbox in the caller's transaction (never commits).

    ``name`` greets the reader; ``user_id`` (optional) names whose mail it is, so it
    is erased with the account. A mail with a ``category`` should carry the
    ``unsubscribe_url`` for it; account mail (category "") carries none. A
    conversation's mail carries ``reply_to`` and ``message_id`` from
    ``voice.mail.reply_address`` (delivery sets the Reply-To and Message-ID headers).
    """
    subject = clip_line(subject)
    text, html = render_mail(template, {
        "subject": subject,
        "name": name,
        "to_address": to_address,
        "unsubscribe_url": unsubscribe_url,
        "home_url": absolute("/"),
        **(context or {}),
    })
    mail = OutboxMail(
        user_id=user_id, kind=kind, category=category, to_address=to_address,
        subject=subject, body_text=text, body_html=html, unsubscribe_url=unsubscribe_url,
        reply_to=reply_to, message_id=message_id, status="pending", attempts=0,
        next_attempt_at=utcnow(),
    )
    db.session.add(mail)
    return mail
