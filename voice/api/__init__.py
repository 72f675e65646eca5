"""The JSON API under /api/v1 (../shared/API.md). Thin: it calls the same services
as the pages. Each domain's calls live in a module of their own in this package,
declared with their models (``voice.api.contract``); ``voice.api.openapi`` builds the
OpenAPI document from the same declarations."""

from __future__ import annotations

from flask import Blueprint, request, session

from voice.api import openapi
from voice.extensions import csrf

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)


@bp.before_request
def check_csrf_for_cookie_sessions() -> None:
    """A browser session must send X-CSRFToken with every change.

    CSRF is an attack on cookie-borne credentials, so a call that carries a
    bearer token, or no signed-in session at all, needs no CSRF token.
    """
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return
    if session.get("_user_id"):
        csrf.protect()


for calls in (*openapi.DOMAIN_ROUTES, openapi.routes):
    calls.install(bp)
