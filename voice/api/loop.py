"""The caller's notifications and mail preferences."""

from __future__ import annotations

from flask import request

from voice.api import bp
from voice.api.helpers import api_login_required, caller, json_body, page_json
from voice.clock import isoformat
from voice.loop import service
from voice.loop.models import Notification
from voice.paging import parse_paging


def notification_json(notice: Notification) -> dict:
    return {
        "id": notice.id,
        "kind": notice.kind,
        "subject": notice.subject,
        "body": notice.body,
        "link": notice.link,
        "read": notice.read,
        "created_at": isoformat(notice.created_at),
    }


@bp.get("/me/notifications")
@api_login_required
def my_notifications():
    page, per_page = parse_paging(request.args)
    return page_json(service.notifications_for(caller(), page, per_page), notification_json)


@bp.post("/me/notifications/<int:notification_id>/read")
@api_login_required
def read_notification(notification_id: int):
    return notification_json(service.mark_read(caller(), notification_id))


@bp.post("/me/notifications/read-all")
@api_login_required
def read_all_notifications():
    """Beyond the contract: mark every notification read; ``{marked, unread: 0}``."""
    return {"marked": service.mark_all_read(caller()), "unread": 0}


@bp.get("/me/mail-preferences")
@api_login_required
def my_mail_preferences():
    """Beyond the contract: ``{"<category>": true|false, ...}`` for every category."""
    return service.preferences_for(caller())


@bp.put("/me/mail-preferences")
@api_login_required
def set_mail_preferences():
    """Beyond the contract: ``{"<category>": bool, ...}``; categories left out keep theirs."""
    return service.set_preferences(caller(), json_body())
