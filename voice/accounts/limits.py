"""Rate limits shared by the pages and the API, counted per client address.

Signing in (the login page, ``POST /api/v1/tokens``, setting a new password) is one
counter; signing up (the register page, ``POST /api/v1/accounts``) another. Reset
mails are limited per client address and per email address asked for (any address,
known or not, so the limit itself reveals nothing), counted on the address as it is
stored (``normalise_email``: IDNA domain, NFC, lower case), so ``victim@exämple.com``, its
punycode, a combining diaeresis and upper case share one counter.
"""

from __future__ import annotations

import unicodedata

from flask import request

from voice.accounts.service.checks import normalise_email
from voice.errors import Invalid
from voice.extensions import address_key, limiter

AUTH_LIMIT = "10 per minute;100 per hour"
RESET_LIMIT = "5 per minute;20 per hour"
RESET_EMAIL_LIMIT = "3 per hour"


def reset_email_key() -> str:
    """The counter of the email a reset is asked for: the address as it is stored, or,
    for text that is no address (refused, no mail sent), that text NFC and lower case."""
    typed = (request.form.get("email") or "")[:1000]
    try:
        email = normalise_email(typed)
    except Invalid:
        email = unicodedata.normalize("NFC", typed.strip()).lower()
    return "reset:" + email[:254]


signin_limit = limiter.shared_limit(AUTH_LIMIT, scope="account-signin", methods=["POST"],
                                    key_func=address_key)
signup_limit = limiter.shared_limit(AUTH_LIMIT, scope="account-signup", methods=["POST"],
                                    key_func=address_key)
reset_limit = limiter.shared_limit(RESET_LIMIT, scope="account-reset", methods=["POST"],
                                   key_func=address_key)
reset_email_limit = limiter.shared_limit(RESET_EMAIL_LIMIT, scope="account-reset-email",
                                         methods=["POST"], key_func=reset_email_key)
