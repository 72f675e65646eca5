"""Identity from the host product: a signed JWT in, a bearer token and the customer out."""

from __future__ import annotations

from voice.api.schemas.accounts import User
from voice.api.schemas.common import LenientText, RequestModel, ResponseModel


class IdentifyRequest(RequestModel):
    """``token``: the JWT the host signed (HS256, ``VOICE_IDENTIFY_SECRET``); text that is
    not text counts as empty, which is refused like any bad token (401)."""

    token: LenientText = ""


class Identified(ResponseModel):
    token: str
    user: User
