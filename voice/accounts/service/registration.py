"""Creating accounts, and the writes that change one: profile, role, active or not.

``create_user`` sends ``user_registered`` inside its transaction (markets grants the
starting balance there), so an account exists exactly with its grant.
"""

from __future__ import annotations

from voice import signals
from voice.accounts.models import User
from voice.accounts.service.checks import check_display_name, check_role, normalise_email
from voice.accounts.service.passwords import check_password_rules, end_sessions, hash_password
from voice.accounts.service.queries import get_user, user_by_email
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db

EMAIL_TAKEN = "That email is already registered."


def check_email_free(email: str) -> str:
    """The email normalised; Invalid ``email_taken`` when an account has it (the form's
    check, so a taken address shows with every other error; ``create_user`` checks again
    under its lock and answers Conflict)."""
    email = normalise_email(email)
    if user_by_email(email) is not None:
        raise Invalid(EMAIL_TAKEN, code="email_taken", field="email")
    return email


def create_user(email: str, password: str, display_name: str, role: str = "customer") -> User:
    """Create an account; Conflict ``email_taken`` if the email is in use."""
    email = normalise_email(email)
    check_password_rules(password)
    display_name = check_display_name(display_name)
    check_role(role)
    with write_transaction():
        if user_by_email(email) is not None:
            raise Conflict(EMAIL_TAKEN, code="email_taken", field="email")
        user = User(
            email=email,
            display_name=display_name,
            password_hash=hash_password(password),
            role=role,
        )
        db.session.add(user)
        db.session.flush()
        signals.user_registered.send(user)
    return user


def register(email: str, password: str, display_name: str) -> User:
    """Self-service registration: always a customer."""
    return create_user(email, password, display_name, role="customer")


def update_profile(user: User, display_name: str) -> User:
    display_name = check_display_name(display_name)
    with write_transaction():
        user = get_user(user.id)
        user.display_name = display_name
    return user


def set_role(email: str, role: str) -> User:
    check_role(role)
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
            end_sessions(user)
    return user
