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


def json_body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.", code="invalid_json")
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
