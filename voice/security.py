"""Security headers on every response, and bounds on the integers in addresses."""

from __future__ import annotations

from flask import Flask, request
from werkzeug.routing import IntegerConverter

from voice.database import as_id
from voice.errors import Invalid

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)

class BoundedInteger(IntegerConverter):
    """``<int:...>`` in every address: a number past ``voice.database.MAX_ID`` becomes 0.

    It names nothing (no row has id 0), so the view answers its usual 404 instead of the
    database driver overflowing (a 500). Refusing the match instead would make werkzeug
    answer 405 when a sibling rule with another method has the same path.
    """

    def to_python(self, value: str) -> int:
        return as_id(super().to_python(value))


def contains_nul(value) -> bool:
    """Whether a string, or any key or string inside JSON-like data, holds a NUL."""
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(contains_nul(k) or contains_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(contains_nul(v) for v in value)
    return False


def refuse_nul_bytes() -> None:
    """No input may carry a NUL character: PostgreSQL cannot store one in text (the
    driver raises, a 500) and no person types one. Refused at the edge, 400, for the
    query string, form fields and JSON bodies alike."""
    values: list[object] = [value for _key, value in request.args.items(multi=True)]
    values += list(request.args.keys())
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            values += [value for _key, value in request.form.items(multi=True)]
        elif request.is_json:
            values.append(request.get_json(silent=True))
    if "\x00" in request.path or contains_nul(values):
        raise Invalid("Text may not contain NUL characters.", code="invalid_text")


def register_url_converters(app: Flask) -> None:
    """Before any blueprint: the rules are built with the converters known then."""
    app.url_map.converters["int"] = BoundedInteger


def register(app: Flask) -> None:
    app.before_request(refuse_nul_bytes)

    @app.after_request
    def add_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        headers.setdefault("X-Frame-Options", "DENY")
        if app.config.get("HTTPS"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
