"""API bearer tokens: issued for an email and password, revoked by the client.

Only a token's SHA-256 digest is stored (``queries.token_digest``); the raw token is shown
once, when it is issued. Looking a token up is a read (``queries.user_for_token``), and a
new password or a deactivation revokes every token (``passwords.end_sessions``).
"""

from __future__ import annotations

import secrets

from sqlalchemy import select

from voice.accounts.models import ApiToken
from voice.accounts.service.passwords import authenticate
from voice.accounts.service.queries import token_digest
from voice.database import write_transaction
from voice.errors import Unauthorized
from voice.extensions import db

TOKEN_BYTES = 32


def issue_token(email: str, password: str) -> str:
    """A new bearer token for valid credentials; Unauthorized otherwise."""
    user = authenticate(email, password)
    if user is None:
        raise Unauthorized("Wrong email or password.", code="bad_credentials")
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction():
        db.session.add(ApiToken(user_id=user.id, token_hash=token_digest(raw)))
    return raw


def revoke_token(raw_token: str) -> None:
    """Delete the token if it exists (revoking an unknown token is not an error)."""
    with write_transaction():
        token = db.session.scalar(
            select(ApiToken).where(ApiToken.token_hash == token_digest(raw_token))
        )
        if token is not None:
            db.session.delete(token)
