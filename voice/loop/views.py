"""The notifications page, mail preferences, and the unsubscribe link of every mail."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from voice.auth import safe_next_url
from voice.errors import ServiceError
from voice.extensions import csrf
from voice.forms import show_service_error
from voice.loop import service
from voice.loop.forms import PreferencesForm
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
    count = service.mark_all_read(current_user)
    flash(f"{count} notification{'s' if count != 1 else ''} marked read.", "success")
    return redirect(safe_next_url(request.form.get("next")) or url_for("loop.notifications"))


@bp.route("/notifications/preferences", methods=["GET", "POST"])
@login_required
def preferences():
    if request.method == "GET":
        form = PreferencesForm(data=service.preferences_for(current_user),
                               staff=current_user.is_staff)
    else:
        form = PreferencesForm(staff=current_user.is_staff)
        if form.validate_on_submit():
            try:
                service.set_preferences(current_user, form.choices())
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash("Your mail preferences are saved.", "success")
                return redirect(url_for("loop.preferences"))
    status = 400 if form.errors else 200
    return render_template("loop/preferences.html", form=form), status


# The link in every mail works without signing in: the signed token names the user
# and the category. GET asks (so a mail scanner that follows links changes nothing);
# POST turns the mail off. POST is also RFC 8058's one-click unsubscribe, which a
# mail client sends without a CSRF token, so this one view is exempt: the signed
# token is what proves the request comes from the mail's reader.
@bp.route("/unsubscribe/<token>", methods=["GET", "POST"])
@csrf.exempt
def unsubscribe(token: str):
    try:
        if request.method == "POST":
            result = service.unsubscribe(token)
            done = True
        else:
            result = service.check_unsubscribe(token)
            done = False
    except ServiceError as error:
        return render_template("loop/unsubscribe.html", error=error.message), 400
    return render_template("loop/unsubscribe.html", result=result, done=done, token=token)
