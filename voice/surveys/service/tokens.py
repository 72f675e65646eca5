"""The one-time response tokens of anonymous surveys.

A token is signed (itsdangerous) over the survey id and a nonce that the pages keep in
the browser session, so a reloaded page's token names the same response. Spending one
stores the SHA-256 digest of (survey, nonce) in ``UsedResponseToken``, whose unique
digest refuses a second use (see ``responding``).
"""

from __future__ import annotations

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from voice.errors import Invalid
from voice.extensions import db
from voice.surveys.models import Survey, UsedResponseToken

TOKEN_SALT = "voice.surveys.response-token"
TOKEN_MAX_AGE = 7 * 24 * 3600


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def response_token(survey_id: int, nonce: str | None = None) -> str:
    """A signed one-time token for an anonymous survey. The pages derive it from a
    nonce kept in the browser session, so a reloaded page's token names the same
    response (the signature's timestamp may differ; spending one spends both)."""
    return _serializer().dumps({"s": survey_id, "n": nonce or new_nonce()})


def digest(survey_id: int, nonce: str) -> str:
    return hashlib.sha256(f"{survey_id}:{nonce}".encode()).hexdigest()


def token_spent(survey_id: int, nonce: str) -> bool:
    """Whether this browser session's token for the survey was spent."""
    return db.session.scalar(
        select(UsedResponseToken.id).where(UsedResponseToken.digest == digest(survey_id, nonce))
    ) is not None


def token_digest(survey: Survey, token: object) -> str:
    """The digest to spend for a token signed for this survey (spent or not: the
    INSERT that spends it decides that)."""
    if not token or not isinstance(token, str):
        raise Invalid("This anonymous survey needs the response token from its page; "
                      "reload the page and answer again.", code="token_required")
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        raise Invalid("The form is too old. Reload the page and answer again.",
                      code="token_expired") from None
    except BadSignature:
        data = None
    if not isinstance(data, dict) or data.get("s") != survey.id or not isinstance(
        data.get("n"), str
    ):
        raise Invalid("The response token is not valid for this survey; reload the page.",
                      code="token_invalid")
    return digest(survey.id, data["n"])
