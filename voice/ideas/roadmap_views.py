"""The public roadmap page (blueprint ``roadmap``, no prefix): Planned, In progress and
Done (the last 90 days) for every product area or one. The app factory registers
:data:`bp`. The cards' votes are the board's vote forms (plain POSTs to
``ideas.vote``/``ideas.unvote`` that come back here; ``static/js/ideas.js`` sends them
without a reload), and their markets come from the ideas pages' collector signal, so the
roadmap knows nothing of markets."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from voice.areas.service import all_areas
from voice.ideas import service
from voice.ideas.views import linked_markets_for, viewer
from voice.pagecache import anonymous_page_cache

bp = Blueprint("roadmap", __name__)


@bp.route("/roadmap")
@anonymous_page_cache
def index():
    area = (request.args.get("area") or "").strip() or None
    board = service.public_roadmap(viewer(), area)
    return render_template("ideas/roadmap.html", roadmap=board, area=area,
                           areas=all_areas(), linked=linked_markets_for(board.idea_ids))
