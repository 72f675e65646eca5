"""What every staff page needs: who is acting, and the CSRF check of plain button forms."""

from __future__ import annotations

from typing import Any

from flask import request
from flask_login import current_user
from flask_wtf.csrf import CSRFError, validate_csrf
from wtforms import ValidationError


def current_actor() -> Any:
    """The signed-in user itself (not the proxy), to hand to the services."""
    return current_user._get_current_object()


def check_csrf() -> None:
    """Plain forms without a WTForms class (buttons) still carry and check the token."""
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        raise CSRFError("The CSRF token is missing or invalid.") from None
