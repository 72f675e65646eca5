"""Mail preferences: a user's choices, and the unsubscribe link every notice mail carries.

An unsubscribe link is a signed token naming one user and one category; it does not
expire, and following it turns that category off without signing in.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import upsert, write_transaction
from voice.errors import Invalid
from voice.extensions import db
from voice.loop.models import MailPreference
from voice.loop.service.categories import CATEGORIES, Category
from voice.loop.service.queries import preferences_for

UNSUBSCRIBE_SALT = "voice-unsubscribe"


@dataclass(frozen=True)
class Unsubscribed:
    email: str
    category: Category


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


def _upsert_preference(user_id: int, category: str, enabled: bool) -> None:
    now = utcnow()
    stmt = upsert(MailPreference).values(
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
