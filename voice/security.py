"""The edge: security headers on every response, bounds on the integers in addresses, and
input no database can store (NUL, a lone surrogate) or no parser should walk (JSON nested
too deep) refused before any view runs."""

from __future__ import annotations

import re
from collections.abc import Iterator

from flask import Flask, Response, g, request, session
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


#: How deep a JSON body may nest. Real bodies are two or three levels deep; at a few
#: hundred, walking the parsed value overflowed Python's stack (a 500, issue 13).
MAX_JSON_DEPTH = 32
_NUL = "\x00"
# A lone half of a UTF-16 surrogate pair: JSON's "\\ud800" escape makes one, and no
# database can encode it (UTF-8 has no such character), so storing it was a 500.
_LONE_SURROGATE = re.compile("[\ud800-\udfff]")

NUL_MESSAGE = "Text may not contain NUL characters."
SURROGATE_MESSAGE = ("Text may not contain a lone surrogate (half of a UTF-16 pair, "
                     "such as \\ud800): it is not a character.")
DEPTH_MESSAGE = f"The JSON body is nested more than {MAX_JSON_DEPTH} levels deep."


def json_strings(value: object) -> Iterator[tuple[str, int]]:
    """Every string inside JSON-like data (keys included) with its depth, walked without
    recursion so no nesting can overflow the stack; every other value (a container, a
    number) is given as ``""`` with its depth. A container's items are one deeper."""
    stack: list[tuple[object, int]] = [(value, 0)]
    while stack:
        item, depth = stack.pop()
        yield (item if isinstance(item, str) else ""), depth
        if isinstance(item, dict):
            stack.extend((key, depth + 1) for key in item)
            stack.extend((child, depth + 1) for child in item.values())
        elif isinstance(item, list | tuple):
            stack.extend((child, depth + 1) for child in item)


def check_text(text: str) -> None:
    """Invalid ``invalid_text`` for text no database column can store."""
    if _NUL in text:
        raise Invalid(NUL_MESSAGE, code="invalid_text")
    if _LONE_SURROGATE.search(text):
        raise Invalid(SURROGATE_MESSAGE, code="invalid_text")


def check_json(value: object) -> None:
    """Invalid when JSON-like data nests past ``MAX_JSON_DEPTH`` (``invalid_json``) or holds
    text no column can store (``invalid_text``)."""
    for text, depth in json_strings(value):
        if depth > MAX_JSON_DEPTH:
            raise Invalid(DEPTH_MESSAGE, code="invalid_json")
        check_text(text)


def request_json() -> object:
    """The request's JSON body (None when it is not JSON or does not parse), parsed once
    and cached by Flask for the view. A body nested past what the parser's recursion
    allows is ``invalid_json``, not the RecursionError Flask lets through."""
    try:
        return request.get_json(silent=True)
    except RecursionError:
        raise Invalid(DEPTH_MESSAGE, code="invalid_json") from None


def refuse_unstorable_input() -> None:
    """Before every request: no input may carry a NUL character or a lone surrogate
    (PostgreSQL cannot store the first, no UTF-8 database the second; the driver raised,
    a 500, and no person types either), and no JSON body may nest past
    ``MAX_JSON_DEPTH``. Refused at the edge, 400, for the path, the query string, form
    fields and JSON bodies alike."""
    texts = [request.path, *request.args.keys(), *request.args.values()]
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        if request.mimetype in ("application/x-www-form-urlencoded", "multipart/form-data"):
            texts += [*request.form.keys(), *request.form.values()]
        elif request.is_json:
            check_json(request_json())
    for text in texts:
        check_text(text)


def register_url_converters(app: Flask) -> None:
    """Before any blueprint: the rules are built with the converters known then."""
    app.url_map.converters["int"] = BoundedInteger


def about_a_signed_in_person() -> bool:
    """Whether this answer was made for a signed-in person: a page rendered for them, an
    API answer to a call with a bearer token or a session cookie, or to an API write (a
    new token). Static files are no one's. Asked first of the user Flask-Login already
    loaded (``g._login_user``), then of the credentials the request carries, so it costs
    no query."""
    if request.endpoint == "static":
        return False
    user = g.get("_login_user")
    # ``is_anonymous``, not ``is_authenticated``: the latter reads ``active``, which after
    # the request's commit is expired and would be loaded again (a query per request).
    if user is not None and not user.is_anonymous:
        return True
    if "Authorization" in request.headers or "_user_id" in session:
        return True
    # A signed-out API write answers with what the caller just became (a bearer token, a
    # new account): theirs alone too.
    return request.path.startswith("/api/") and request.method not in ("GET", "HEAD")


def add_headers(response: Response, *, https: bool) -> Response:
    """The security headers of every answer; ``no-store`` on what is about the signed-in
    person, so neither a shared cache nor the browser's history keeps it (issue 13)."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
    headers.setdefault("X-Frame-Options", "DENY")
    if https:
        headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
    if about_a_signed_in_person():
        headers["Cache-Control"] = "no-store"
    return response


def register(app: Flask) -> None:
    app.before_request(refuse_unstorable_input)
    app.after_request(lambda response: add_headers(response,
                                                   https=bool(app.config.get("HTTPS"))))
