"""The loop: the caller's notifications and mail preferences."""

from __future__ import annotations

from typing import ClassVar

from pydantic import RootModel, StrictBool

from voice.api.schemas.common import Page, ResponseModel, Time
from voice.loop.models import Notification as NotificationRow


class Notification(ResponseModel):
    id: int
    kind: str
    subject: str
    body: str
    link: str
    read: bool
    created_at: Time

    @classmethod
    def of(cls, notice: NotificationRow) -> Notification:
        return cls(id=notice.id, kind=notice.kind, subject=notice.subject, body=notice.body,
                   link=notice.link, read=notice.read, created_at=notice.created_at)


class NotificationList(Page[Notification]):
    """Newest first."""


class AllRead(ResponseModel):
    marked: int
    unread: int


class MailChoices(RootModel[dict[str, StrictBool]]):
    """``{"<category>": true|false, ...}``; categories left out keep theirs."""

    error_code: ClassVar[str] = "invalid_category"
    error_message: ClassVar[str] = "The choice for {field} must be true or false."


class MailPreferences(RootModel[dict[str, bool]]):
    """Mail on or off, for every category."""
