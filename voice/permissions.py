"""Who may do what: the one home of the role names and the staff check.

Services call :func:`require_staff` (a ``Forbidden`` the pages and the API turn into
403); views use the guards in ``voice.auth``, which read the same role sets.
"""

from __future__ import annotations

from typing import Any

from voice.errors import Forbidden

ROLES = ("customer", "staff", "admin")
STAFF_ROLES = ("staff", "admin")


def is_staff(user: Any) -> bool:
    """True for a signed-in staff member or admin (any object with a ``role``)."""
    return getattr(user, "role", None) in STAFF_ROLES


def is_admin(user: Any) -> bool:
    return getattr(user, "role", None) == "admin"


def require_staff(actor: Any, message: str = "Only staff can do that.") -> None:
    if actor is None or not is_staff(actor):
        raise Forbidden(message)


def require_admin(actor: Any, message: str = "Only admins can do that.") -> None:
    if actor is None or not is_admin(actor):
        raise Forbidden(message)
