""""You asked, we did", where callers have always found it: the operations live in the
service (writes in voice/admin/service/updates.py, reads in voice/admin/service/queries.py);
``from voice.admin import service`` offers the same names."""

from __future__ import annotations

from voice.admin.service.queries import UpdateView, get_update, list_updates
from voice.admin.service.updates import MAX_BODY, MAX_IDEAS, parse_idea_ids, publish_update

__all__ = ["MAX_BODY", "MAX_IDEAS", "UpdateView", "get_update", "list_updates",
           "parse_idea_ids", "publish_update"]
