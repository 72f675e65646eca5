"""The caller of an API request and the contract's error body."""

from __future__ import annotations

from flask_login import current_user

from voice.accounts.models import User
from voice.errors import Unauthorized


def caller() -> User:
    """The signed-in user; Unauthorized when there is none."""
    if not current_user.is_authenticated:
        raise Unauthorized("Send a valid bearer token.", code="unauthorized")
    return current_user._get_current_object()


def viewer() -> User | None:
    """The signed-in user, or None for an anonymous call."""
    return current_user._get_current_object() if current_user.is_authenticated else None
