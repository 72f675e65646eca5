"""The markets' tables as the staff side (voice/admin) reads them, so it queries none itself.

Each read is one or two statements and returns plain frozen rows. What the staff side
builds from them (the rule preview's market moves, the case page's source) is its own
business.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select

from voice.activity import Activity
from voice.extensions import db
from voice.ideas.models import Idea
from voice.markets.models import Market, Outcome, Position, PricePoint, Trade
from voice.units import SHARE_UNIT, format_points


@dataclass(frozen=True)
class MarketRow:
    id: int
    question: str
    area_id: int | None  # the linked idea's product area


@dataclass(frozen=True)
class PriceMoment:
    """The prices of a market's outcomes after its creation or after one trade."""

    market_id: int
    at: datetime
    prices: tuple[float, ...]


@dataclass(frozen=True)
class TradeActivityCounts:
    """A person's trades, and the positions they hold now (shares not zero)."""

    trades: int
    positions: int


@dataclass(frozen=True)
class MarketSource:
    """A market as a case page shows its source: the outcomes with their last prices."""

    id: int
    question: str
    description: str
    status: str
    created_at: datetime
    labels: tuple[str, ...]
    prices: tuple[float, ...]  # the last price point's, in the outcomes' order (may be empty)


def markets_moved_between(since: datetime, until: datetime,
                          ) -> tuple[dict[int, MarketRow], list[PriceMoment]]:
    """The markets with a price point in the window (both ends included), and every price
    point of those markets up to ``until``, by market and in the order they were written
    (so each pair of consecutive points is one trade's move)."""
    moved = select(PricePoint.market_id).where(
        PricePoint.at >= since, PricePoint.at <= until).distinct()
    markets = {market_id: MarketRow(market_id, question or "", area_id)
               for market_id, question, area_id in db.session.execute(
                   select(Market.id, Market.question, Idea.area_id)
                   .outerjoin(Idea, Idea.id == Market.idea_id)
                   .where(Market.id.in_(moved)))}
    if not markets:
        return markets, []
    points = db.session.execute(
        select(PricePoint.market_id, PricePoint.at, PricePoint.prices)
        .where(PricePoint.market_id.in_(list(markets)), PricePoint.at <= until)
        .order_by(PricePoint.market_id, PricePoint.id))
    return markets, [PriceMoment(market_id, at, tuple(float(p) for p in prices or ()))
                     for market_id, at, prices in points]


def market_source(market_id: int) -> MarketSource | None:
    market = db.session.get(Market, market_id)
    if market is None:
        return None
    labels = tuple(db.session.scalars(select(Outcome.label).where(Outcome.market_id == market.id)
                                      .order_by(Outcome.position)))
    last = db.session.scalar(select(PricePoint.prices).where(PricePoint.market_id == market.id)
                             .order_by(PricePoint.id.desc()).limit(1)) or []
    return MarketSource(id=market.id, question=market.question,
                        description=market.description or "", status=market.status,
                        created_at=market.created_at, labels=labels,
                        prices=tuple(float(p) for p in last))


# --- one person's activity (the staff's customer page) -------------------------------------


def activity_counts(user_id: int) -> TradeActivityCounts:
    """How many trades ``user_id`` made and positions they hold (one statement)."""
    trades = select(func.count()).select_from(Trade).where(
        Trade.user_id == user_id).scalar_subquery()
    positions = select(func.count()).select_from(Position).where(
        Position.user_id == user_id, Position.shares != 0).scalar_subquery()
    made, held = db.session.execute(select(trades, positions)).one()
    return TradeActivityCounts(trades=made or 0, positions=held or 0)


def _trade_text(shares: int, cost: int, label: str) -> str:
    verb = "bought" if shares > 0 else "sold"
    return f"{verb} {abs(shares) / SHARE_UNIT:,.2f} {label} for {format_points(abs(cost))} points"


def activity_of(user_id: int, limit: int) -> list[Activity]:
    """The ``limit`` newest trades of ``user_id``, newest first, each with its market's
    question and what was bought or sold (one statement)."""
    rows = db.session.execute(
        select(Trade.id, Trade.created_at, Market.id, Market.question, Outcome.label,
               Trade.shares, Trade.cost)
        .join(Market, Market.id == Trade.market_id)
        .join(Outcome, Outcome.id == Trade.outcome_id)
        .where(Trade.user_id == user_id)
        .order_by(Trade.created_at.desc(), Trade.id.desc()).limit(limit))
    return [Activity(kind="trade", at=at, id=trade_id, target_id=market_id,
                     title=question or "", detail=_trade_text(shares, cost, label or ""))
            for trade_id, at, market_id, question, label, shares, cost in rows]
