"""Accounts: registration, authentication, profiles, roles, passwords and API tokens.

The facade of the accounts domain: ``from voice.accounts import service;
service.create_user(...)`` and ``from voice.accounts.service import create_user`` both
work. Behind it, one file per concern:

- ``checks``: an email, a display name, a role as a person types them;
- ``queries``: users by id, email, session and token; staff; the user search;
- ``registration``: create an account, and change its profile, role or active state;
- ``passwords``: the password rules, signing in, changing or setting a password, and
  resetting it from a mailed link;
- ``sessions``: start and end login sessions (one row per signed-in browser);
- ``tokens``: issue and revoke API bearer tokens;
- ``identity``: a JWT signed by the host product exchanged for a token (issue 15), and
  the attributes it tells.

The bearer-token lookup (every API call) and the login-session lookup (every signed-in
page) are the tuned statements, in ``voice.accounts.sql``. Downloading one's data and
closing the account are in ``voice.accounts.data`` (the personal-data collector signals).
"""

from __future__ import annotations

from voice.accounts.service.checks import check_display_name, normalise_email
from voice.accounts.service.identity import attributes_of, identify
from voice.accounts.service.passwords import (
    MAX_PASSWORD,
    MIN_PASSWORD,
    RESET_MAX_AGE,
    RESET_SALT,
    authenticate,
    change_password,
    check_password_reset_token,
    check_password_rules,
    password_reset_token,
    request_password_reset,
    reset_password,
    set_password,
)
from voice.accounts.service.queries import (
    count_users,
    get_user,
    load_session_user,
    search_users,
    staff_members,
    user_by_email,
    user_for_token,
)
from voice.accounts.service.registration import (
    check_email_free,
    create_user,
    register,
    set_active,
    set_role,
    update_profile,
)
from voice.accounts.service.sessions import end_all_sessions, end_session, start_session
from voice.accounts.service.tokens import issue_token, revoke_token

__all__ = [
    "MAX_PASSWORD",
    "MIN_PASSWORD",
    "RESET_MAX_AGE",
    "RESET_SALT",
    "attributes_of",
    "authenticate",
    "change_password",
    "check_display_name",
    "check_password_reset_token",
    "check_password_rules",
    "count_users",
    "check_email_free",
    "create_user",
    "end_all_sessions",
    "end_session",
    "get_user",
    "identify",
    "issue_token",
    "load_session_user",
    "normalise_email",
    "password_reset_token",
    "register",
    "request_password_reset",
    "reset_password",
    "revoke_token",
    "search_users",
    "set_active",
    "set_password",
    "set_role",
    "staff_members",
    "start_session",
    "update_profile",
    "user_by_email",
    "user_for_token",
]
