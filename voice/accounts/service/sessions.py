"""Login sessions: one row per signed-in browser, so the server can end a session.

A sign-in starts a row (:func:`start_session`) whose random key only the session cookie
holds (``User.get_id``: ``<user id>:<key>``; the row keeps the key's SHA-256). Signing out
deletes that row (:func:`end_session`); a new password, a deactivation and closing the
account delete every row of the user (:func:`end_all_sessions`, in the caller's
transaction). The lookup on every signed-in request is ``queries.load_session_user``.
"""

from __future__ import annotations

import secrets

from sqlalchemy import delete

from voice.accounts.models import LoginSession, User
from voice.accounts.service.queries import session_lifetime, token_digest
from voice.clock import utcnow
from voice.database import write_transaction
from voice.extensions import db

KEY_BYTES = 32


def start_session(user: User) -> User:
    """A new login session for ``user`` (hand the result to ``flask_login.login_user``).

    The user's sessions past their lifetime are swept in the same transaction, so the
    table holds about one row per live browser."""
    key = secrets.token_urlsafe(KEY_BYTES)
    with write_transaction():
        db.session.execute(
            delete(LoginSession)
            .where(LoginSession.user_id == user.id,
                   LoginSession.created_at < utcnow() - session_lifetime())
            .execution_options(synchronize_session=False))
        db.session.add(LoginSession(user_id=user.id, key_hash=token_digest(key)))
    user.login_key = key
    return user


def end_session(user: User) -> None:
    """End the login session ``user`` was loaded with (nothing for a bearer-token user)."""
    if not user.login_key:
        return
    with write_transaction():
        db.session.execute(
            delete(LoginSession).where(LoginSession.key_hash == token_digest(user.login_key))
            .execution_options(synchronize_session=False))
    user.login_key = None


def end_all_sessions(user_id: int) -> None:
    """Delete every login session of the user (in the caller's transaction)."""
    db.session.execute(delete(LoginSession).where(LoginSession.user_id == user_id)
                       .execution_options(synchronize_session=False))
