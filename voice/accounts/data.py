"""A customer's own data: download it all as JSON, or close the account.

Closing an account keeps what the customer said in public (ideas, comments, votes,
survey answers, trades) and the numbers staff rely on, under an anonymised user
row shown as "A former customer"; it removes what identifies or reaches the person
(email, name, password, login sessions, API tokens, notifications, mail preferences,
queued or sent mails, idea subscriptions). Open market positions are sold back to
each market maker at the market's current price, so the ledger balances.

Accounts does not read the other domains' tables: it asks them, through two collector
signals (voice.signals): ``personal_data_requested`` (each domain returns its sections
of the download) and ``personal_data_erasing`` (each domain erases its own rows). Each
domain's ``personal_data.py`` holds its part; its ``hooks.py`` connects it.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import select
from werkzeug.security import check_password_hash

from voice import signals
from voice.accounts.models import User
from voice.clock import isoformat, utcnow
from voice.database import write_transaction
from voice.errors import Forbidden, Invalid, NotFound
from voice.extensions import db

FORMER_NAME = "A former customer"
EXPORT_FORMAT = "voice-account-export/1"
#: The download's sections in the order it shows them (after ``format`` and
#: ``exported_at``); a section no name here lists follows, in the order it came.
EXPORT_SECTIONS = (
    "profile", "login_sessions", "api_tokens", "external_identities", "attributes",  # accounts
    "ideas", "comments", "votes", "idea_subscriptions",  # ideas
    "survey_responses",  # surveys
    "positions", "trades", "ledger",  # markets
    "notifications", "mail_preferences",  # loop
    "case_messages", "inbound_mails",  # the staff side: what the person wrote to staff
)


def export_data(user_id: int) -> dict[str, Any]:
    """Everything Voice holds about this user, as plain JSON-ready data."""
    if db.session.get(User, user_id) is None:
        raise NotFound("No such user.")
    sections: dict[str, Any] = {}
    for receiver, part in signals.personal_data_requested.send(user_id):
        for name, value in (part or {}).items():
            if name in sections:
                raise RuntimeError(f"Two receivers export the section {name!r} ({receiver}).")
            sections[name] = value
    ordered = {name: sections.pop(name) for name in EXPORT_SECTIONS if name in sections}
    return {"format": EXPORT_FORMAT, "exported_at": isoformat(utcnow()), **ordered, **sections}


def deleted_email(user_id: int) -> str:
    """A unique address that can never receive mail (.invalid is reserved, RFC 2606)."""
    return f"deleted-{user_id}-{secrets.token_hex(6)}@voice.invalid"


def delete_account(user: User, password: str) -> User:
    """Close the caller's own account, confirmed with their password.

    Forbidden for staff and admins (an admin closes those from the user list);
    Invalid ``wrong_password`` when the password does not match.
    """
    if user.role != "customer":
        raise Forbidden("Staff accounts are closed by an admin, not from the profile page.",
                        code="forbidden")
    if not check_password_hash(user.password_hash, password or ""):
        raise Invalid("That password is not right.", code="wrong_password", field="password")
    with write_transaction():
        # Every domain first (markets sells the open positions, locking the markets and
        # then the user row, the lock order of every trade), then the user row itself.
        signals.personal_data_erasing.send(user.id)
        return _anonymise(user.id)


def _anonymise(user_id: int) -> User:
    """Lock the user row and make it "A former customer" whom nobody can sign in as."""
    row = db.session.scalar(
        select(User).where(User.id == user_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None or not row.active:
        raise NotFound("No such account.")
    row.display_name = FORMER_NAME
    row.email = deleted_email(row.id)
    row.password_hash = "!deleted:" + secrets.token_hex(16)  # matches no password
    row.active = False
    row.session_version += 1
    return row
