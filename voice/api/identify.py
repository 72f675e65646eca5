"""Identity from the host product (../shared/API.md, "Voice inside the customer's product").

    POST /api/v1/identify     {token}: a JWT the host signed; 200 {token, user}

The service (``voice.accounts.service.identify``) checks the JWT and writes; this reads
the secret from the config and answers. Errors: 401 ``invalid_identity`` (nothing written),
404 ``identify_off`` when ``VOICE_IDENTIFY_SECRET`` is not set, 429 past
:data:`IDENTIFY_LIMIT` from one address.
"""

from __future__ import annotations

from flask import current_app

from voice.accounts import service
from voice.api.contract import Routes
from voice.api.schemas.accounts import User
from voice.api.schemas.identify import Identified, IdentifyRequest
from voice.extensions import address_key, limiter

#: Per client address: a host's backend exchanging tokens for its users, or one browser
#: (the widget), stays well under it; guessing at signatures does not get far.
IDENTIFY_LIMIT = "60 per minute;1000 per hour"

identify_limit = limiter.shared_limit(IDENTIFY_LIMIT, scope="identify", methods=["POST"],
                                      key_func=address_key)

routes = Routes()


@routes.post("/identify", body=IdentifyRequest, response=Identified, errors=(401, 404))
@identify_limit
def identify(body: IdentifyRequest) -> Identified:
    """Exchange the host product's signed identity for a bearer token"""
    user, token = service.identify(body.token, current_app.config.get("IDENTIFY_SECRET"))
    return Identified(token=token, user=User.of(user, user))
