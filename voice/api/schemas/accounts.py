"""Accounts: sign-up, tokens, the caller, their data and closing the account."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict

from voice.accounts.models import User as UserRow
from voice.api.schemas.common import LenientText, Money, RequestModel, ResponseModel
from voice.permissions import is_staff

# --- requests: text that is not text counts as empty, so the service's own message says
# what is wrong (sign-up: 400 ``invalid``; a token: 401 ``bad_credentials``).


class NewAccount(RequestModel):
    email: LenientText = ""
    password: LenientText = ""
    display_name: LenientText = ""


class Credentials(RequestModel):
    email: LenientText = ""
    password: LenientText = ""


class CloseAccount(RequestModel):
    password: LenientText = ""


# --- answers ------------------------------------------------------------------------


class User(ResponseModel):
    """``email`` only to the user and to staff."""

    id: int
    display_name: str
    role: Literal["customer", "staff", "admin"]
    balance: Money
    email: str | None = None

    @classmethod
    def of(cls, user: UserRow, viewer: UserRow | None = None) -> User:
        shown = cls(id=user.id, display_name=user.display_name, role=user.role,
                    balance=user.balance)
        if viewer is not None and (viewer.id == user.id or is_staff(viewer)):
            shown.email = user.email
        return shown


class Registered(ResponseModel):
    user: User


class Token(ResponseModel):
    token: str


class PersonalData(ResponseModel):
    """Everything Voice holds about the caller; each domain adds its part."""

    model_config = ConfigDict(extra="allow")

    format: str
    profile: dict[str, Any]
    ideas: list[Any]
    comments: list[Any]
    votes: list[Any]
    survey_responses: list[Any]
    positions: list[Any]
    trades: list[Any]
    ledger: list[Any]
    notifications: list[Any]
