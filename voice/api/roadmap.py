"""The roadmap call of the API contract: ``GET /api/v1/roadmap?area=<slug>``, the same
read as the /roadmap page (``voice.ideas.service.public_roadmap``)."""

from __future__ import annotations

from voice.api.contract import Routes
from voice.api.helpers import viewer
from voice.api.schemas.roadmap import Roadmap, RoadmapColumn, RoadmapQuery
from voice.ideas import service
from voice.markets import service as markets

routes = Routes()


@routes.get("/roadmap", query=RoadmapQuery, response=Roadmap)
def roadmap(query: RoadmapQuery) -> Roadmap:
    """The roadmap"""
    board = service.public_roadmap(viewer(), query.area)
    linked = markets.linked_markets(board.idea_ids)
    return Roadmap(columns=[RoadmapColumn.of(column, board.voted, linked)
                            for column in board.columns])
