"""The public "You asked, we did" pages (blueprint ``updates``, no prefix): what staff
published, for everybody. The app factory registers :data:`bp`."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from voice.admin import service
from voice.paging import parse_paging

bp = Blueprint("updates", __name__)


@bp.route("/updates")
def index():
    page, _ = parse_paging(request.args)
    listing, views = service.list_updates(page, 10)
    return render_template("admin/public_updates.html", listing=listing, views=views)


@bp.route("/updates/<int:update_id>")
def show(update_id: int):
    return render_template("admin/public_update.html", view=service.get_update(update_id))
