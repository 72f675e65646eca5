"""Passwords: their rules, signing in, changing and setting one, and reset by mail.

A new password ends every login session (``sessions.end_all_sessions``) and revokes every
API token (:func:`end_sessions`), in the same transaction. A reset link is a signed, timed
token bound to the current password's hash and session version, so a used link is dead.
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from werkzeug.security import check_password_hash, generate_password_hash

from voice.accounts.models import User
from voice.accounts.service.checks import normalise_email
from voice.accounts.service.queries import get_user, user_by_email
from voice.accounts.service.sessions import end_all_sessions
from voice.database import write_transaction
from voice.errors import Invalid, Unauthorized
from voice.extensions import db
from voice.mail import queue_mail, site_url

MIN_PASSWORD = 8
MAX_PASSWORD = 200
# Checked against when an email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")

RESET_SALT = "voice-password-reset"
RESET_MAX_AGE = 3600  # seconds; app.config["PASSWORD_RESET_MAX_AGE"] overrides it

DISABLED_MESSAGE = ("This account is disabled. Ask the Voice team if you think it "
                    "should not be.")

_BAD_LINK = ("This password reset link is not valid or was already used. "
             "Ask for a new one below.")
_OLD_LINK = "This password reset link has expired. Ask for a new one below."


def check_password_rules(password: str, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise Invalid(
            f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.", field=field
        )


def hash_password(password: str) -> str:
    """What is stored of a password (scrypt)."""
    return generate_password_hash(password, method="scrypt")


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way).

    Unauthorized ``bad_credentials`` with :data:`DISABLED_MESSAGE` when the password is
    right but the account is deactivated: only someone who knows the password learns
    that the account exists and why it cannot sign in."""
    try:
        email = normalise_email(email)
    except Invalid:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    user = user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or ""):
        return None
    if not user.active:
        raise Unauthorized(DISABLED_MESSAGE, code="bad_credentials", field="password")
    return user


def end_sessions(user: User) -> None:
    """Sign the user out everywhere: every login session and every API token goes, and
    the session version moves on so a mailed reset link dies (in the caller's
    transaction)."""
    user.session_version += 1
    end_all_sessions(user.id)
    for token in list(user.tokens):
        db.session.delete(token)


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Change the password; other sessions and every API token stop working."""
    if not check_password_hash(user.password_hash, current_password or ""):
        raise Invalid("Your current password is not right.", field="current_password")
    check_password_rules(new_password, field="new_password")
    with write_transaction():
        user = get_user(user.id)
        user.password_hash = hash_password(new_password)
        end_sessions(user)
    return user


def set_password(user_id: int, new_password: str) -> User:
    """Set a password without the old one (password reset, CLI)."""
    check_password_rules(new_password)
    with write_transaction():
        user = get_user(user_id)
        user.password_hash = hash_password(new_password)
        end_sessions(user)
    return user


# --- password reset by mail -----------------------------------------------------------


def _reset_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=RESET_SALT)


def _reset_max_age() -> int:
    return int(current_app.config.get("PASSWORD_RESET_MAX_AGE", RESET_MAX_AGE))


def _password_fingerprint(user: User) -> str:
    """Changes whenever the password or the session version does: a used link is dead."""
    material = f"{user.password_hash}:{user.session_version}".encode()
    return hashlib.sha256(material).hexdigest()[:24]


def password_reset_token(user: User) -> str:
    """A signed, timed token for this user, bound to the current password."""
    return _reset_serializer().dumps({"u": user.id, "p": _password_fingerprint(user)})


def request_password_reset(email: str) -> None:
    """Queue a reset mail if an active account has this email; the same outcome otherwise.

    The caller shows one answer either way, so nobody learns which addresses
    have an account. Invalid only for text that is not an email address.
    """
    email = normalise_email(email)
    with write_transaction():
        user = user_by_email(email)
        if user is None or not user.active:
            return
        queue_mail(
            user.email,
            name=user.display_name,
            user_id=user.id,
            kind="password_reset",
            subject="Set a new password for Voice",
            template="password_reset",
            context={
                "reset_url": site_url("accounts.reset_password",
                                      token=password_reset_token(user)),
                "valid_minutes": _reset_max_age() // 60,
            },
        )


def _user_for_reset_token(token: str, *, lock: bool = False) -> User:
    try:
        data = _reset_serializer().loads(token, max_age=_reset_max_age())
        user_id, fingerprint = int(data["u"]), str(data["p"])
    except SignatureExpired:
        raise Invalid(_OLD_LINK, code="expired_token") from None
    except (BadSignature, KeyError, TypeError, ValueError):
        raise Invalid(_BAD_LINK, code="invalid_token") from None
    stmt = select(User).where(User.id == user_id).execution_options(populate_existing=True)
    if lock:
        stmt = stmt.with_for_update()
    user = db.session.scalar(stmt)
    if user is None or not user.active or not secrets.compare_digest(
        fingerprint, _password_fingerprint(user)
    ):
        raise Invalid(_BAD_LINK, code="invalid_token")
    return user


def check_password_reset_token(token: str) -> User:
    """The user a reset link is for; Invalid (``expired_token``/``invalid_token``) otherwise."""
    return _user_for_reset_token(token)


def reset_password(token: str, new_password: str) -> User:
    """Set a new password from a reset link; the link then stops working, every
    session ends and every API token is revoked (set_password)."""
    check_password_rules(new_password)
    with write_transaction():
        user = _user_for_reset_token(token, lock=True)
        return set_password(user.id, new_password)
