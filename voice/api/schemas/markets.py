"""Markets: creating, quoting, trading, settling, positions and the leaderboard.

Sizes and limits arrive as JSON numbers (or text, from a query); the markets service's
parsers read their units and bounds (``parse_shares``, ``parse_points``, ``parse_limit``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Self

from pydantic import BeforeValidator, StrictInt, StrictStr, WithJsonSchema, model_validator

from voice.api.schemas.common import (
    Amount,
    AnyId,
    Code,
    Money,
    Page,
    Paging,
    Person,
    Price,
    QueryText,
    RequestModel,
    ResponseModel,
    Shares,
    Time,
    TimeIn,
    enum,
    refuse,
)
from voice.markets.models import STATUSES

if TYPE_CHECKING:
    from voice.markets.service import MarketView
    from voice.markets.service import Quote as PricedTrade

Status = Annotated[str, enum(*STATUSES)]
OutcomeId = Annotated[AnyId, Code("invalid_outcome", "outcome_id must be an outcome's id.")]
TEXT_ONLY = "question and description are text."

# --- requests -----------------------------------------------------------------------------


class MarketQuery(Paging):
    status: Annotated[QueryText, enum(*STATUSES)] = None


class NewMarket(RequestModel):
    """``liquidity`` b or ``subsidy`` (b·ln n), in points: one of the two."""

    closes_at: Annotated[TimeIn, Code("invalid_closes_at", "closes_at is an ISO 8601 time.")] = None
    idea_id: Annotated[StrictInt | None, Code("invalid_idea", "idea_id must be an idea's id.")
                       ] = None
    question: Annotated[StrictStr, Code("invalid", TEXT_ONLY)]
    description: Annotated[StrictStr | None, Code("invalid", TEXT_ONLY)] = None
    outcomes: Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "string"}})
                        ] = None
    liquidity: Annotated[Amount, Code("invalid_liquidity", "The liquidity must be a number.")
                         ] = None
    subsidy: Annotated[Amount, Code("invalid_subsidy", "The subsidy must be a number.")] = None


def _given(value: object) -> bool:
    return value not in (None, "")


class Sized(RequestModel):
    """An outcome and either ``shares`` (negative sells) or ``spend`` (points)."""

    outcome_id: OutcomeId
    shares: Annotated[Amount, Code("invalid_shares", "The number of shares must be a number.")
                      ] = None
    spend: Annotated[Amount, Code("invalid_spend", "The spend must be a number.")] = None

    def sells_all(self) -> bool:
        return False

    @model_validator(mode="after")
    def one_size(self) -> Self:
        if not self.sells_all() and _given(self.shares) == _given(self.spend):
            raise refuse("invalid_trade", "Give either shares or spend.")
        return self


class QuoteQuery(Sized):
    pass


def _is_true(value: object) -> bool:
    return value is True


class Order(Sized):
    """A trade: a size or ``sell_all``; ``max_cost`` / ``min_proceeds`` the trader's limits."""

    sell_all: Annotated[bool, BeforeValidator(_is_true)] = False
    max_cost: Annotated[Amount, Code("invalid_max_cost", "The price limit must be a number.")
                        ] = None
    min_proceeds: Annotated[Amount, Code("invalid_min_proceeds",
                                         "The price limit must be a number.")] = None

    def sells_all(self) -> bool:
        return self.sell_all


class Resolution(RequestModel):
    outcome_id: OutcomeId
    note: Annotated[StrictStr | None, Code("invalid", "note is text.")] = None


class Voiding(RequestModel):
    note: Annotated[StrictStr | None, Code("invalid", "note is text.")] = None


# --- answers ------------------------------------------------------------------------------


class Outcome(ResponseModel):
    id: int
    label: str
    price: Price
    shares: Shares


class Market(ResponseModel):
    """Prices sum to 1; ``status`` is the effective one (an open market past its close
    time is closed); ``subsidy`` b·ln n, the most the maker can lose."""

    id: int
    question: str
    description: str | None
    status: Status
    liquidity: Money
    subsidy: Money
    closes_at: Time | None
    idea_id: int | None
    resolved_outcome_id: int | None
    resolved_at: Time | None
    resolution_note: str | None
    created_at: Time
    trade_count: int
    volume: Money
    outcomes: list[Outcome]

    @classmethod
    def of(cls, view: MarketView) -> Market:
        market = view.market
        return cls(
            id=market.id, question=market.question, description=market.description,
            status=view.status, liquidity=market.liquidity, subsidy=view.subsidy,
            closes_at=market.closes_at, idea_id=market.idea_id,
            resolved_outcome_id=market.resolved_outcome_id, resolved_at=market.resolved_at,
            resolution_note=market.resolution_note, created_at=market.created_at,
            trade_count=market.trade_count, volume=market.volume,
            outcomes=[Outcome(id=o.id, label=o.label, price=p, shares=o.shares)
                      for o, p in view.rows],
        )


class MarketList(Page[Market]):
    pass


class Quote(ResponseModel):
    """``cost`` > 0 is paid, < 0 received; ``shares`` of a spend is what it buys."""

    outcome_id: int
    shares: Shares
    cost: Money
    average_price: Price
    prices_before: list[Price]
    prices_after: list[Price]
    probability_after: Price
    payout_if_wins: Money

    @classmethod
    def of(cls, quote: PricedTrade) -> Quote:
        return cls(outcome_id=quote.outcome_id, shares=quote.shares, cost=quote.cost,
                   average_price=quote.average_price, prices_before=quote.prices_before,
                   prices_after=quote.prices_after, probability_after=quote.probability_after,
                   payout_if_wins=quote.payout_if_wins)


class Trade(ResponseModel):
    id: int
    market_id: int
    outcome_id: int
    shares: Shares
    cost: Money
    created_at: Time

    @classmethod
    def fields_of(cls, trade: Any) -> dict[str, Any]:
        return {"id": trade.id, "market_id": trade.market_id, "outcome_id": trade.outcome_id,
                "shares": trade.shares, "cost": trade.cost, "created_at": trade.created_at}

    @classmethod
    def of(cls, trade: Any) -> Trade:
        return cls(**cls.fields_of(trade))


class TradeDone(ResponseModel):
    trade: Trade
    balance: Money
    prices: list[Price]
    quote: Quote


class TradeRow(Trade):
    """A trade of the market's list, with the outcome's label and the trader's name."""

    outcome: str
    trader: str


class TradeList(Page[TradeRow]):
    pass


class PricePoint(ResponseModel):
    at: Time
    prices: list[float]


class History(ResponseModel):
    points: list[PricePoint]


class Position(ResponseModel):
    market_id: int
    outcome_id: int
    outcome: str
    market_status: Status
    shares: Shares
    cost_basis: Money
    value: Money
    price: Price
    realised: Money
    unrealised: Money


class Positions(ResponseModel):
    items: list[Position]


class Leader(ResponseModel):
    rank: int
    user: Person
    net_worth: Money
    balance: Money


class Leaderboard(Page[Leader]):
    pass
