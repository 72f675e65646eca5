"""The customer's side of the conversations (blueprint ``conversations``): "My
conversations" and one thread with its answer form. Parse, call the staff side's facade,
render; a case that is not the caller's is a 404 whoever's it is.

    GET       /me/conversations              the caller's conversations, paged
    GET, POST /me/conversations/<id>         the thread (staff's names, never the internal
                                             notes) and the answer form
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from voice.admin import service
from voice.admin.conversation_forms import CustomerMessageForm
from voice.admin.limits import message_limit
from voice.admin.page_helpers import current_actor
from voice.errors import ServiceError
from voice.forms import show_service_error
from voice.paging import parse_paging

bp = Blueprint("conversations", __name__, url_prefix="/me/conversations")


@bp.route("")
@login_required
def index():
    page, per_page = parse_paging(request.args)
    listing = service.my_cases(current_user, page, per_page)
    return render_template("admin/conversations/list.html", listing=listing)


@bp.route("/<int:case_id>", methods=["GET", "POST"])
@login_required
@message_limit
def show(case_id: int):
    conversation = service.my_case(current_user, case_id)
    form = CustomerMessageForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.post_customer_message(current_actor(), case_id, form.body.data)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash("Sent. The team has your answer.", "success")
                return redirect(url_for("conversations.show", case_id=case_id,
                                        _anchor="answer"))
        status = 400
    return render_template("admin/conversations/thread.html", conversation=conversation,
                           form=form), status
