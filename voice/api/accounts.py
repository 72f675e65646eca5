"""Accounts and tokens."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from voice.accounts import service
from voice.accounts.limits import signin_limit, signup_limit
from voice.accounts.models import User
from voice.api import bp
from voice.api.helpers import api_login_required, caller, json_body, money


def user_json(user: User, viewer: User | None = None) -> dict:
    """A user as the contract shows it; the email only to the user and staff."""
    data = {
        "id": user.id,
        "display_name": user.display_name,
        "role": user.role,
        "balance": money(user.balance),
    }
    if viewer is not None and (viewer.id == user.id or viewer.is_staff):
        data["email"] = user.email
    return data


def _text(data: dict, key: str) -> str:
    value = data.get(key, "")
    return value if isinstance(value, str) else ""


@bp.post("/accounts")
@signup_limit
def create_account():
    data = json_body()
    user = service.register(_text(data, "email"), _text(data, "password"),
                            _text(data, "display_name"))
    return {"user": user_json(user, user)}, 201


@bp.post("/tokens")
@signin_limit
def create_token():
    data = json_body()
    token = service.issue_token(_text(data, "email"), _text(data, "password"))
    return {"token": token}, 201


@bp.delete("/tokens/current")
@api_login_required
def delete_current_token():
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        service.revoke_token(header.removeprefix("Bearer ").strip())
    return "", 204


@bp.get("/me")
@api_login_required
def me():
    user = caller()
    return user_json(user, current_user)


@bp.get("/me/data")
@api_login_required
def my_data():
    """Everything Voice holds about the caller (the profile page's download)."""
    from voice.accounts import data

    return data.export_data(caller().id)


@bp.delete("/me")
@api_login_required
def delete_me():
    """Close the caller's account, confirmed with ``{"password"}``: 204."""
    from voice.accounts import data

    body = json_body()
    data.delete_account(caller(), _text(body, "password"))
    return "", 204
