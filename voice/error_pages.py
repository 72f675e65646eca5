"""Errors as pages for people and as the contract's JSON under /api."""

from __future__ import annotations

import contextlib

from flask import Flask, Response, jsonify, render_template, request, url_for
from flask_limiter.errors import RateLimitExceeded
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from werkzeug.exceptions import HTTPException

from voice.errors import ServiceError
from voice.extensions import db

TITLES = {
    400: "That did not work",
    401: "Please sign in",
    403: "Not for you",
    404: "Not found",
    405: "Not allowed",
    409: "That clashes",
    413: "Too large",
    429: "Slow down",
    500: "Something broke",
    503: "Voice is unavailable",
}

HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "too_large",
    429: "rate_limited",
    500: "internal_error",
    503: "unavailable",
}


def wants_json() -> bool:
    return request.path.startswith("/api/")


def error_json(code: str, message: str, status: int) -> tuple[Response, int]:
    """The contract's error body: ``{"error": {"code", "message"}}`` with its status."""
    return jsonify({"error": {"code": code, "message": message}}), status


def respond(status: int, code: str, message: str):
    if wants_json():
        return error_json(code, message, status)
    title = TITLES.get(status, "Error")
    return render_template("errors/error.html", status=status, title=title,
                           message=message), status


def register(app: Flask) -> None:
    @app.errorhandler(ServiceError)
    def service_error(error: ServiceError):
        db.session.rollback()
        return respond(error.status, error.code, error.message)

    @app.errorhandler(CSRFError)
    def csrf_error(error: CSRFError):
        return respond(400, "csrf_failed",
                       "The form had expired or was not sent from Voice. Reload and try again.")

    @app.errorhandler(RateLimitExceeded)
    def rate_limited(error: RateLimitExceeded):
        return respond(429, "rate_limited",
                       f"Too many requests ({error.description}). Wait a little and try again.")

    @app.errorhandler(OperationalError)
    def database_down(error: OperationalError):
        """503, rendered without touching the database; the pool reconnects when it is back."""
        app.logger.error("database error: %s", error)
        with contextlib.suppress(OperationalError):
            db.session.rollback()
        message = "The database is not answering."
        if wants_json():
            return respond(503, "unavailable", f"{message} Try again in a moment.")
        # Rendered straight from the environment: context processors (the signed-in
        # user, the unread count) would ask the database that is down.
        page = app.jinja_env.get_template("errors/unavailable.html").render(
            message=message, url_for=url_for
        )
        return page, 503, {"Retry-After": "15"}

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        status = error.code or 500
        return respond(status, HTTP_CODES.get(status, "error"), error.description or "")
