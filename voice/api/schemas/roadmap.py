"""The roadmap: three columns of ideas, each idea as the ideas calls give it."""

from __future__ import annotations

from typing import Annotated, Any

from voice.api.schemas.common import QueryText, RequestModel, ResponseModel, Time, enum
from voice.api.schemas.ideas import Idea
from voice.ideas import service
from voice.ideas.service import RoadmapCard
from voice.ideas.service import RoadmapColumn as ColumnRow


class RoadmapQuery(RequestModel):
    area: QueryText = None


class RoadmapIdea(Idea):
    """An idea of the ideas calls, plus when it moved to its status and, once its market
    is settled, how the market ended ("Resolved: Yes", "Voided")."""

    moved_at: Time
    market_outcome: str | None

    @classmethod
    def of_card(cls, card: RoadmapCard, voted: bool, linked: dict[int, Any]) -> RoadmapIdea:
        shown = Idea.of(card.idea, voted, linked)
        market = linked.get(card.idea.id)
        return cls(**{name: getattr(shown, name) for name in Idea.model_fields},
                   moved_at=card.moved_at,
                   market_outcome=market.summary if market and market.is_settled else None)


class RoadmapColumn(ResponseModel):
    """``total``: the column's ideas in all; ``items`` holds the first of them (at most
    30: most voted first, Done latest first)."""

    status: Annotated[str, enum(*service.ROADMAP_STATUSES)]
    total: int
    items: list[RoadmapIdea]

    @classmethod
    def of(cls, column: ColumnRow, voted: set[int], linked: dict[int, Any]) -> RoadmapColumn:
        return cls(status=column.status, total=column.total,
                   items=[RoadmapIdea.of_card(card, card.idea.id in voted, linked)
                          for card in column.cards])


class Roadmap(ResponseModel):
    columns: list[RoadmapColumn]
