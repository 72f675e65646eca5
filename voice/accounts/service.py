"""Accounts: registration, authentication, profiles, roles and API tokens."""

from __future__ import annotations

import hashlib
import secrets
from functools import cache

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Select, bindparam, func, select
from werkzeug.security import check_password_hash, generate_password_hash

from voice import signals
from voice.accounts.models import ROLES, ApiToken, User
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound, Unauthorized
from voice.extensions import db

MIN_PASSWORD = 8
MAX_PASSWORD = 200
# Checked against when an email is unknown, so a miss costs as long as a hit.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def normalise_email(email: str) -> str:
    """A valid email, lower-cased; Invalid otherwise."""
    try:
        result = validate_email((email or "").strip(), check_deliverability=False)
    except EmailNotValidError:
        raise Invalid("Enter a valid email address.", field="email") from None
    return result.normalized.lower()


def check_password_rules(password: str, field: str = "password") -> None:
    if not MIN_PASSWORD <= len(password or "") <= MAX_PASSWORD:
        raise Invalid(
            f"A password has {MIN_PASSWORD} to {MAX_PASSWORD} characters.", field=field
        )


def check_display_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= 80:
        raise Invalid("A display name has 1 to 80 characters.", field="display_name")
    return name


def user_by_email(email: str) -> User | None:
    return db.session.scalar(select(User).where(func.lower(User.email) == email.lower()))


def create_user(email: str, password: str, display_name: str, role: str = "customer") -> User:
    """Create an account; Conflict ``email_taken`` if the email is in use."""
    email = normalise_email(email)
    check_password_rules(password)
    display_name = check_display_name(display_name)
    if role not in ROLES:
        raise Invalid(f"A role is one of {', '.join(ROLES)}.", field="role")
    with write_transaction():
        if user_by_email(email) is not None:
            raise Conflict("That email is already registered.", code="email_taken", field="email")
        user = User(
            email=email,
            display_name=display_name,
            password_hash=generate_password_hash(password, method="scrypt"),
            role=role,
        )
        db.session.add(user)
        db.session.flush()
        signals.user_registered.send(user)
    return user


def register(email: str, password: str, display_name: str) -> User:
    """Self-service registration: always a customer."""
    return create_user(email, password, display_name, role="customer")


def authenticate(email: str, password: str) -> User | None:
    """The active user with these credentials, or None (same work either way)."""
    try:
        email = normalise_email(email)
    except Invalid:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    user = user_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def update_profile(user: User, display_name: str) -> User:
    display_name = check_display_name(display_name)
    with write_transaction():
        user = db.session.get(User, user.id)
        user.display_name = display_name
    return user


def change_password(user: User, current_password: str, new_password: str) -> User:
    """Change the password; other sessions and every API token stop working."""
    if not check_password_hash(user.password_hash, current_password or ""):
        raise Invalid("Your current password is not right.", field="current_password")
    check_password_rules(new_password, field="new_password")
    with write_transaction():
        user = db.session.get(User, user.id)
        user.password_hash = generate_password_hash(new_password, method="scrypt")
        _end_sessions(user)
    return user


def set_password(user_id: int, new_password: str) -> User:
    """Set a password without the old one (password reset, CLI)."""
    check_password_rules(new_password)
    with write_transaction():
        user = get_user(user_id)
        user.password_hash = generate_password_hash(new_password, method="scrypt")
        _end_sessions(user)
    return user


def _end_sessions(user: User) -> None:
    user.session_version += 1
    for token in list(user.tokens):
        db.session.delete(token)


def get_user(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    return user


def set_role(email: str, role: str) -> User:
    if role not in ROLES:
        raise Invalid(f"A role is one of {', '.join(ROLES)}.", field="role")
    with write_transaction():
        user = user_by_email(normalise_email(email))
        if user is None:
            raise NotFound(f"No user with the email {email}.")
        user.role = role
    return user


def set_active(user_id: int, active: bool) -> User:
    """Deactivate (or reactivate) a user; deactivation ends sessions and tokens."""
    with write_transaction():
        user = get_user(user_id)
        user.active = active
        if not active:
            _end_sessions(user)
    return user


def load_session_user(session_id: str) -> User | None:
    """The user behind a Flask-Login session id ``<id>:<session_version>``."""
    user_id, _, version = session_id.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    user = db.session.get(User, int(user_id))
    if user is None or user.session_version != int(version):
        return None
    return user


def _digest(raw_token: str) -> str:
    return hashlib.sha256(raw_token.encode()).hexdigest()


def issue_token(email: str, password: str) -> str:
    """A new bearer token for valid credentials; Unauthorized otherwise."""
    user = authenticate(email, password)
    if user is None:
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    raw = secrets.token_urlsafe(32)
    with write_transaction():
        db.session.add(ApiToken(user_id=user.id, token_hash=_digest(raw)))
    return raw


@cache
def _token_user_statement() -> Select:
    # Built once: building the select and its cache key on every API call cost about as
    # much as running it (bench.profile vote).
    return (select(User)
            .join(ApiToken, ApiToken.user_id == User.id)
            .where(ApiToken.token_hash == bindparam("token_hash"), User.active.is_(True)))


def user_for_token(raw_token: str) -> User | None:
    """The active user a bearer token belongs to: one query, on every API call."""
    return db.session.scalar(_token_user_statement(), {"token_hash": _digest(raw_token)})


def revoke_token(raw_token: str) -> None:
    with write_transaction():
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == _digest(raw_token))
        )
        if token is not None:
            db.session.delete(token)


def count_users() -> int:
    return db.session.scalar(select(func.count(User.id)))


# --- password reset by mail -----------------------------------------------------------

RESET_SALT = "voice-password-reset"
RESET_MAX_AGE = 3600  # seconds; app.config["PASSWORD_RESET_MAX_AGE"] overrides it


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
    from voice.loop.service import queue_mail, site_url

    email = normalise_email(email)
    with write_transaction():
        user = user_by_email(email)
        if user is None or not user.active:
            return
        queue_mail(
            user,
            kind="password_reset",
            subject="Set a new password for Voice",
            template="password_reset",
            context={
                "reset_url": site_url("accounts.reset_password",
                                      token=password_reset_token(user)),
                "valid_minutes": _reset_max_age() // 60,
            },
        )


_BAD_LINK = ("This password reset link is not valid or was already used. "
             "Ask for a new one below.")
_OLD_LINK = "This password reset link has expired. Ask for a new one below."


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
