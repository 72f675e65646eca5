"""The published "You asked, we did" updates, for anybody (issue 15). The same read as
the /updates page and the Atom feed (``voice.admin.service.list_updates``)."""

from __future__ import annotations

from voice.admin import service
from voice.api.contract import Routes
from voice.api.schemas.common import Paging
from voice.api.schemas.updates import PublishedUpdate, UpdateList

routes = Routes()


@routes.get("/updates", query=Paging, response=UpdateList)
def list_updates(query: Paging) -> UpdateList:
    """The published updates, newest first, each with the ideas it delivers"""
    listing, views = service.list_updates(query.page, query.per_page)
    return UpdateList.of(listing, [PublishedUpdate.of(view) for view in views])
