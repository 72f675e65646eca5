"""The public "You asked, we did" pages (blueprint ``updates``, no prefix): what staff
published, for everybody. The app factory registers :data:`bp`."""

from __future__ import annotations

from flask import Blueprint, Response, render_template, request

from voice.admin import feed, service
from voice.paging import parse_paging

#: The feed holds the newest updates only; readers poll it, they do not page it.
FEED_ENTRIES = 50
#: How long a shared cache or a feed reader may keep the feed without asking again.
FEED_MAX_AGE = 300

bp = Blueprint("updates", __name__)


@bp.route("/updates")
def index():
    page, _ = parse_paging(request.args)
    listing, views = service.list_updates(page, 10)
    return render_template("admin/public_updates.html", listing=listing, views=views)


@bp.route("/updates/<int:update_id>")
def show(update_id: int):
    return render_template("admin/public_update.html", view=service.get_update(update_id))


@bp.route("/updates.atom")
def atom():
    """The Atom feed of the newest updates: public, cacheable, with an ETag (a hash of
    the document) and Last-Modified, so a polling reader mostly gets a 304."""
    _, views = service.list_updates(1, FEED_ENTRIES)
    response = Response(feed.build_feed(views), mimetype="application/atom+xml")
    response.content_type = feed.MEDIA_TYPE
    response.cache_control.public = True
    response.cache_control.max_age = FEED_MAX_AGE
    response.last_modified = feed.last_modified(views)
    response.add_etag()
    return response.make_conditional(request)
