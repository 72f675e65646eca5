"""The checks of what a person types about themselves: an email, a display name, a role.

Plain functions that raise ``Invalid`` with the form field to mark; the writes call them
before they open a transaction. The password rules are in ``passwords``.
"""

from __future__ import annotations

import unicodedata

from email_validator import EmailNotValidError, validate_email

from voice.errors import Invalid
from voice.permissions import ROLES

DISPLAY_NAME_MAX = 80


def normalise_email(email: str) -> str:
    """A valid email in the one form Voice stores, looks up and rate-limits it by;
    Invalid otherwise.

    NFC first (a combining diaeresis is the precomposed letter), then email-validator's
    normalising: the domain through IDNA (UTS #46), so punycode ``xn--exmple-cua.com`` and
    ``EXÄMPLE.com`` are ``exämple.com``; then the whole address lower case (Voice has
    always treated the local part case-insensitively too)."""
    text = unicodedata.normalize("NFC", (email or "").strip())
    try:
        result = validate_email(text, check_deliverability=False)
    except EmailNotValidError:
        raise Invalid("Enter a valid email address.", field="email") from None
    return unicodedata.normalize("NFC", result.normalized.lower())


def check_display_name(name: str) -> str:
    """The name with its runs of white space made one space; Invalid unless 1 to 80 long."""
    name = " ".join((name or "").split())
    if not 1 <= len(name) <= DISPLAY_NAME_MAX:
        raise Invalid(f"A display name has 1 to {DISPLAY_NAME_MAX} characters.",
                      field="display_name")
    return name


def check_role(role: str) -> None:
    """Invalid unless ``role`` is one of ``voice.permissions.ROLES``."""
    if role not in ROLES:
        raise Invalid(f"A role is one of {', '.join(ROLES)}.", field="role")
