"""Telling people things: in-app notifications, and mail through the outbox.

``notify`` adds rows to the caller's transaction; it never commits, so a notice
exists exactly when the event that caused it does. The mail it writes is
rendered there and then (plain text and HTML, from ``templates/loop/mail/``) and
delivered later by ``flask --app voice mail send`` (voice.loop.mailer).

Each notify ``kind`` belongs to a preference category (:func:`category_for`);
a user who turned a category off still gets the in-app notification, but no
mail. Unknown kinds fall in ``other``, which is on unless turned off.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.loop.models import MailPreference, Notification, OutboxMail
from voice.paging import Page, paginate


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    description: str


#: The kinds of mail a user can turn on or off, in the order the preferences page shows.
CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("idea_status", "Idea status changes",
                 "An idea you submitted, voted for or follow changes status."),
        Category("case_reply", "Replies to your feedback",
                 "Staff answer or close something you told us."),
        Category("market_result", "Market results",
                 "A market you traded in is resolved or voided."),
        Category("updates", "\u201cYou asked, we did\u201d updates",
                 "We shipped a change that customers like you asked for."),
        Category("idea_comment", "Comments on ideas you follow",
                 "Someone comments on an idea you submitted or follow."),
        Category("other", "Other news from Voice",
                 "Anything else Voice tells you about your activity."),
    )
}

#: Exact kinds the domains use; anything else is matched by prefix, then ``other``.
KIND_CATEGORIES: dict[str, str] = {
    "idea_status": "idea_status",
    "idea_status_changed": "idea_status",
    "idea_merged": "idea_status",
    "case_reply": "case_reply",
    "case_replied": "case_reply",
    "case_closed": "case_reply",
    "market_resolved": "market_result",
    "market_voided": "market_result",
    "market_result": "market_result",
    "update": "updates",
    "update_published": "updates",
    "you_asked_we_did": "updates",
    "comment": "idea_comment",
    "idea_comment": "idea_comment",
    "comment_created": "idea_comment",
}
KIND_PREFIXES: tuple[tuple[str, str], ...] = (
    ("idea_status", "idea_status"),
    ("idea_comment", "idea_comment"),
    ("comment", "idea_comment"),
    ("case", "case_reply"),
    ("market", "market_result"),
    ("update", "updates"),
)

#: Mail about the account itself (password reset): always sent, no unsubscribe link.
ACCOUNT_CATEGORY = ""

UNSUBSCRIBE_SALT = "voice-unsubscribe"


def category_for(kind: str) -> str:
    """The preference category a notify ``kind`` belongs to (``other`` when unknown)."""
    if kind in KIND_CATEGORIES:
        return KIND_CATEGORIES[kind]
    for prefix, category in KIND_PREFIXES:
        if kind.startswith(prefix):
            return category
    return "other"


# --- links ----------------------------------------------------------------------------


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


def _unsubscribe_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE_SALT)


def unsubscribe_token(user_id: int, category: str) -> str:
    """A signed token naming one user and one category; it does not expire."""
    return _unsubscribe_serializer().dumps({"u": user_id, "c": category})


def read_unsubscribe_token(token: str) -> tuple[int, str]:
    """The (user id, category) a token names; Invalid ``invalid_token`` if tampered with."""
    try:
        data = _unsubscribe_serializer().loads(token)
        user_id, category = int(data["u"]), str(data["c"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise Invalid("This unsubscribe link is not valid. Open the whole link from the mail, "
                      "or change your mail preferences after signing in.",
                      code="invalid_token") from None
    if category not in CATEGORIES:
        raise Invalid("This unsubscribe link is not valid.", code="invalid_token")
    return user_id, category


# --- rendering and queueing mail --------------------------------------------------------


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
    text = env.get_template(f"loop/mail/{template}.txt").render(values).strip() + "\n"
    html = env.get_template(f"loop/mail/{template}.html").render(values)
    return text, html


def _one_line(text: str, limit: int) -> str:
    line = " ".join((text or "").split())
    return line if len(line) <= limit else line[: limit - 1].rstrip() + "\u2026"


def queue_mail(
    user: User,
    *,
    kind: str,
    subject: str,
    template: str,
    context: Mapping[str, Any] | None = None,
    category: str = ACCOUNT_CATEGORY,
) -> OutboxMail:
    """Add one rendered mail to the outbox in the caller's transaction (never commits).

    With a ``category`` the mail carries the unsubscribe link for it; account
    mail (category "") carries none, since it cannot be turned off.
    """
    subject = _one_line(subject, 200)
    unsubscribe_url = ""
    if category:
        unsubscribe_url = site_url("loop.unsubscribe", token=unsubscribe_token(user.id, category))
    text, html = render_mail(template, {
        "subject": subject,
        "name": user.display_name,
        "to_address": user.email,
        "category": CATEGORIES.get(category),
        "unsubscribe_url": unsubscribe_url,
        "preferences_url": site_url("loop.preferences"),
        "home_url": absolute("/"),
        **(context or {}),
    })
    mail = OutboxMail(
        user_id=user.id, kind=kind, category=category, to_address=user.email,
        subject=subject, body_text=text, body_html=html, unsubscribe_url=unsubscribe_url,
        status="pending", attempts=0, next_attempt_at=utcnow(),
    )
    db.session.add(mail)
    return mail


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


def notify(
    users: Iterable[User],
    *,
    kind: str,
    subject: str,
    body: str = "",
    link: str = "",
    mail: bool = True,
) -> list[Notification]:
    """Notify each user once: in-app always, by mail unless ``mail`` is False or the
    user turned off the kind's category. Adds rows to the caller's transaction."""
    recipients: list[User] = []
    seen: set[int] = set()
    for user in users:
        if user is None or user.id in seen or not user.active:
            continue
        seen.add(user.id)
        recipients.append(user)
    subject = _one_line(subject, 200)
    link = (link or "")[:500]
    notices = []
    for user in recipients:
        notice = Notification(user_id=user.id, kind=kind, subject=subject, body=body, link=link)
        db.session.add(notice)
        notices.append(notice)
    if mail and recipients:
        category = category_for(kind)
        muted = mail_disabled(seen, category)
        context = {"body": body, "link_url": absolute(link)}
        for user in recipients:
            if user.id not in muted:
                queue_mail(user, kind=kind, subject=subject, template="notification",
                           context=context, category=category)
    return notices


# --- preferences ------------------------------------------------------------------------


def preferences_for(user: User) -> dict[str, bool]:
    """Every category with the user's choice (on unless turned off), in page order."""
    stored = dict(db.session.execute(
        select(MailPreference.category, MailPreference.enabled).where(
            MailPreference.user_id == user.id
        )
    ).all())
    return {name: bool(stored.get(name, True)) for name in CATEGORIES}


def _upsert_preference(user_id: int, category: str, enabled: bool) -> None:
    insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
    now = utcnow()
    stmt = insert(MailPreference).values(
        user_id=user_id, category=category, enabled=enabled, updated_at=now
    )
    stmt = stmt.on_conflict_do_update(
        index_elements=["user_id", "category"], set_={"enabled": enabled, "updated_at": now}
    )
    db.session.execute(stmt)


def set_preferences(user: User, choices: Mapping[str, bool]) -> dict[str, bool]:
    """Store the user's choices; categories left out keep theirs. Invalid for unknown ones."""
    unknown = sorted(set(choices) - set(CATEGORIES))
    if unknown:
        raise Invalid(f"Unknown mail categories: {', '.join(unknown)}.",
                      code="invalid_category", field="categories")
    for name, value in choices.items():
        if not isinstance(value, bool):
            raise Invalid(f"The choice for {name} must be true or false.",
                          code="invalid_category", field=name)
    with write_transaction():
        for name, value in choices.items():
            _upsert_preference(user.id, name, value)
    return preferences_for(user)


@dataclass(frozen=True)
class Unsubscribed:
    email: str
    category: Category


def check_unsubscribe(token: str) -> Unsubscribed:
    """What a valid unsubscribe link would turn off; Invalid when the link is not valid."""
    user_id, category = read_unsubscribe_token(token)
    user = db.session.get(User, user_id)
    if user is None:
        raise Invalid("This unsubscribe link is not valid.", code="invalid_token")
    return Unsubscribed(email=user.email, category=CATEGORIES[category])


def unsubscribe(token: str) -> Unsubscribed:
    """Turn off the category a signed link names, for the user it names (no sign-in)."""
    user_id, category = read_unsubscribe_token(token)
    with write_transaction():
        user = db.session.get(User, user_id)
        if user is None:
            raise Invalid("This unsubscribe link is not valid.", code="invalid_token")
        _upsert_preference(user.id, category, False)
        email = user.email
    return Unsubscribed(email=email, category=CATEGORIES[category])


# --- notifications ----------------------------------------------------------------------


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


def mark_all_read(user: User) -> int:
    """Mark every unread notification of the user read; returns how many there were."""
    with write_transaction():
        result = db.session.execute(
            update(Notification)
            .where(Notification.user_id == user.id, Notification.read_at.is_(None))
            .values(read_at=utcnow())
        )
    return result.rowcount or 0
