"""The one-time response tokens of anonymous surveys.

A token is signed (itsdangerous) over the survey id and a nonce that the pages keep in
the browser session, so a reloaded page's token names the same response. Spending one
stores the SHA-256 digest of (survey, nonce) in ``UsedResponseToken``, whose unique
digest refuses a second use (see ``responding``).

A token is per browser session, so on its own it lets one signed-in customer answer
again from each new session. For a signed-in customer an anonymous survey also keeps a
``SurveyRespondent``: ``respondent_digest``, HMAC-SHA256 of the user id under a key of
the survey's own (derived from ``SECRET_KEY`` and the survey id), so one customer
answers once. The row holds no user id, no response id and no time: the answers cannot
be traced to it. Whoever holds ``SECRET_KEY`` and a user id can tell *whether* that
customer answered, never *what*.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select

from voice.errors import Invalid
from voice.extensions import db
from voice.surveys.models import Survey, SurveyRespondent, UsedResponseToken

TOKEN_SALT = "voice.surveys.response-token"
RESPONDENT_SALT = b"voice.surveys.respondent"
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


def _survey_key(survey_id: int) -> bytes:
    """The survey's own secret: HMAC-SHA256(SECRET_KEY, salt + survey id)."""
    secret = current_app.config["SECRET_KEY"]
    secret = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(secret, RESPONDENT_SALT + b":" + str(survey_id).encode(),
                    hashlib.sha256).digest()


def respondent_digest(survey_id: int, user_id: int) -> str:
    """HMAC-SHA256 of the user id under the survey's key, in hex (64 characters)."""
    return hmac.new(_survey_key(survey_id), str(user_id).encode(), hashlib.sha256).hexdigest()


def has_responded(survey_id: int, user_id: int) -> bool:
    """Whether this signed-in customer answered the anonymous survey (any session)."""
    return db.session.scalar(
        select(SurveyRespondent.survey_id).where(
            SurveyRespondent.digest == respondent_digest(survey_id, user_id))
    ) is not None


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
