"""The caller's notifications and mail preferences."""

from __future__ import annotations

from voice.api.contract import SIGNED_IN, Routes
from voice.api.helpers import caller
from voice.api.schemas.common import Paging
from voice.api.schemas.loop import (
    AllRead,
    MailChoices,
    MailPreferences,
    Notification,
    NotificationList,
)
from voice.loop import service

routes = Routes()


@routes.get("/me/notifications", query=Paging, response=NotificationList, roles=SIGNED_IN)
def my_notifications(query: Paging) -> NotificationList:
    """The caller's notifications, newest first"""
    listing = service.notifications_for(caller(), query.page, query.per_page)
    return NotificationList.of(listing, [Notification.of(notice) for notice in listing.items])


@routes.post("/me/notifications/<int:notification_id>/read", response=Notification,
             roles=SIGNED_IN, errors=(404,))
def read_notification(notification_id: int) -> Notification:
    """Mark read"""
    return Notification.of(service.mark_read(caller(), notification_id))


@routes.post("/me/notifications/read-all", response=AllRead, roles=SIGNED_IN)
def read_all_notifications() -> AllRead:
    """Mark every notification read"""
    return AllRead(marked=service.mark_all_read(caller()), unread=0)


@routes.get("/me/mail-preferences", response=MailPreferences, roles=SIGNED_IN)
def my_mail_preferences() -> MailPreferences:
    """Mail on or off per category"""
    return MailPreferences(service.preferences_for(caller()))


@routes.put("/me/mail-preferences", body=MailChoices, response=MailPreferences,
            roles=SIGNED_IN)
def set_mail_preferences(body: MailChoices) -> MailPreferences:
    """Turn categories of mail on or off"""
    return MailPreferences(service.set_preferences(caller(), body.root))
