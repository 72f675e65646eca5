"""What every API module needs: the body, the caller, paging, errors."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import jsonify, request
from flask_login import current_user

from voice.accounts.models import User
from voice.errors import Forbidden, Invalid, Unauthorized
from voice.paging import Page

# The integers JSON can carry between any two programs exactly (2**53); an id or a count
# past this names nothing, and past 2**63 the database drivers overflow (a 500).
MAX_JSON_INTEGER = 2**53


def _integers_in_range(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, int):
        return -MAX_JSON_INTEGER <= value <= MAX_JSON_INTEGER
    if isinstance(value, dict):
        return all(_integers_in_range(item) for item in value.values())
    if isinstance(value, list):
        return all(_integers_in_range(item) for item in value)
    return True


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.", code="invalid_json")
    if not _integers_in_range(data):
        raise Invalid("Whole numbers in the body must lie within ±2^53.", code="invalid_json")
    return data


def error_json(code: str, message: str, status: int):
    return jsonify({"error": {"code": code, "message": message}}), status


def caller() -> User:
    """The signed-in user; Unauthorized when there is none."""
    if not current_user.is_authenticated:
        raise Unauthorized("Send a valid bearer token.", code="unauthorized")
    return current_user._get_current_object()


def api_roles(*roles: str) -> Callable:
    """Only callers with one of ``roles`` (any signed-in user when empty)."""

    def decorator(view: Callable) -> Callable:
        @wraps(view)
        def guarded(*args, **kwargs):
            user = caller()
            if roles and user.role not in roles:
                raise Forbidden("Your role may not do this.", code="forbidden")
            return view(*args, **kwargs)

        guarded.required_roles = roles or ("customer", "staff", "admin")
        return guarded

    return decorator


api_login_required = api_roles()
api_staff_required = api_roles("staff", "admin")
api_admin_required = api_roles("admin")


def page_json(page: Page, serialize: Callable[[Any], dict]) -> dict[str, Any]:
    return {
        "items": [serialize(item) for item in page.items],
        "page": page.page,
        "per_page": page.per_page,
        "total": page.total,
    }


def money(hundredths: int) -> float:
    """Points as a JSON number with at most 2 decimals."""
    return round(hundredths / 100, 2)
