"""Accounts and tokens."""

from __future__ import annotations

from flask import request

from voice.accounts import data as personal_data
from voice.accounts import service
from voice.accounts.limits import signin_limit, signup_limit
from voice.api.contract import SIGNED_IN, Routes
from voice.api.helpers import caller
from voice.api.schemas.accounts import (
    CloseAccount,
    Credentials,
    NewAccount,
    PersonalData,
    Registered,
    Token,
    User,
)

routes = Routes()


@routes.post("/accounts", body=NewAccount, response=Registered, status=201, errors=(409,))
@signup_limit
def create_account(body: NewAccount) -> Registered:
    """Register a customer"""
    user = service.register(body.email, body.password, body.display_name)
    return Registered(user=User.of(user, user))


@routes.post("/tokens", body=Credentials, response=Token, status=201, errors=(401,))
@signin_limit
def create_token(body: Credentials) -> Token:
    """Get a bearer token"""
    return Token(token=service.issue_token(body.email, body.password))


@routes.delete("/tokens/current", status=204, roles=SIGNED_IN)
def delete_current_token() -> None:
    """Revoke this token"""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        service.revoke_token(header.removeprefix("Bearer ").strip())


@routes.get("/me", response=User, roles=SIGNED_IN)
def me() -> User:
    """The caller"""
    user = caller()
    return User.of(user, user)


@routes.get("/me/data", response=PersonalData, roles=SIGNED_IN)
def my_data() -> PersonalData:
    """Everything Voice holds about the caller (the data download)"""
    return PersonalData.model_validate(personal_data.export_data(caller().id))


@routes.delete("/me", body=CloseAccount, status=204, roles=SIGNED_IN, errors=(403,))
def delete_me(body: CloseAccount) -> None:
    """Close the caller's account (customers; confirm with the password)"""
    personal_data.delete_account(caller(), body.password)
