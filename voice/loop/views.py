"""The notifications page."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from voice.auth import safe_next_url
from voice.loop import service
from voice.paging import parse_paging

bp = Blueprint("loop", __name__)


@bp.route("/notifications")
@login_required
def notifications():
    page, per_page = parse_paging(request.args)
    listing = service.notifications_for(current_user, page, per_page)
    return render_template("loop/notifications.html", listing=listing)


@bp.post("/notifications/<int:notification_id>/read")
@login_required
def mark_read(notification_id: int):
    notice = service.mark_read(current_user, notification_id)
    if request.headers.get("X-Requested-With") == "fetch":
        return {"unread": service.unread_count(current_user)}
    target = safe_next_url(request.form.get("next")) or notice.link or None
    return redirect(safe_next_url(target) or url_for("loop.notifications"))


@bp.post("/notifications/read-all")
@login_required
def mark_all_read():
    service.mark_all_read(current_user)
    return redirect(url_for("loop.notifications"))
