"""The caller's notifications."""

from __future__ import annotations

from flask import request

from voice.api import bp
from voice.api.helpers import api_login_required, caller, page_json
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
