"""What accounts holds of a person: the profile, the login sessions, the API tokens, and
what a host product told (its identity link and the attributes, issue 15).

Receivers of voice.signals' personal-data signals (connected in voice.accounts.hooks).
The user row itself is not erased here: voice.accounts.data anonymises it last, once
every domain has erased its part, because other domains' rows still point to it.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from voice.accounts.models import ApiToken, ExternalIdentity, LoginSession, User, UserAttribute
from voice.accounts.service.identity import attributes_of
from voice.clock import isoformat
from voice.extensions import db
from voice.units import points

#: The tables with a user foreign key that this domain answers for (and the users table).
TABLES = (
    "users", "login_sessions", "api_tokens", "external_identities", "user_attributes",
)


def export(user_id: int) -> dict[str, Any]:
    """The sections ``profile``, ``login_sessions``, ``api_tokens`` (when each session
    began and each token was made; no key or token itself), ``external_identities`` and
    ``attributes`` of the download."""
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
        "external_identities": external_identities(user_id),
        "attributes": attributes_of(user_id),
    }


def external_identities(user_id: int) -> list[dict[str, Any]]:
    """Who the user is in a host product: the source, the host's user id, since when."""
    rows = db.session.scalars(select(ExternalIdentity).where(
        ExternalIdentity.user_id == user_id).order_by(ExternalIdentity.id))
    return [{"source": row.source, "subject": row.subject,
             "created_at": isoformat(row.created_at)} for row in rows]


def erase(user_id: int) -> None:
    """Delete the user's login sessions, API tokens, identity links and attributes (in the
    caller's transaction): a closed account's ``sub`` names nobody, so the host's next
    identify for it makes a new account."""
    for table in (ExternalIdentity, UserAttribute):
        db.session.execute(delete(table).where(table.user_id == user_id)
                           .execution_options(synchronize_session=False))
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id)
                       .execution_options(synchronize_session=False))
    db.session.execute(delete(ApiToken).where(ApiToken.user_id == user_id)
                       .execution_options(synchronize_session=False))
