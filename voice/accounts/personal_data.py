"""What accounts holds of a person: the profile, the login sessions and the API tokens.

Receivers of voice.signals' personal-data signals (connected in voice.accounts.hooks).
The user row itself is not erased here: voice.accounts.data anonymises it last, once
every domain has erased its part, because other domains' rows still point to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from voice.accounts.models import ApiToken, LoginSession, User
from voice.clock import isoformat
from voice.extensions import db
from voice.units import points

#: The tables with a user foreign key that this domain answers for (and the users table).
TABLES = ("users", "login_sessions", "api_tokens")


def export(user_id: int) -> dict[str, Any]:
    """The sections ``profile``, ``login_sessions`` and ``api_tokens`` of the download
    (when each session began and each token was made; no key or token itself)."""
    user = db.session.get(User, user_id)
    if user is None:
        return {}
    sessions = db.session.scalars(
        select(LoginSession).where(LoginSession.user_id == user_id).order_by(LoginSession.id)
    ).all()
    tokens = db.session.scalars(
        select(ApiToken).where(ApiToken.user_id == user_id).order_by(ApiToken.id)
    ).all()
    return {
        "profile": {
            "id": user.id, "email": user.email, "display_name": user.display_name,
            "role": user.role, "balance": points(user.balance), "active": user.active,
            "created_at": isoformat(user.created_at),
        },
        "login_sessions": [{"id": s.id, "created_at": isoformat(s.created_at)}
                           for s in sessions],
        "api_tokens": [{"id": t.id, "created_at": isoformat(t.created_at),
                        "last_used_at": isoformat(t.last_used_at)} for t in tokens],
    }


def erase(user_id: int) -> None:
    """Delete the user's login sessions and API tokens (in the caller's transaction)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id)
                       .execution_options(synchronize_session=False))
