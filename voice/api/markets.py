"""The markets calls of the API contract: markets, quotes, trades, history, settlement,
positions and the leaderboard. Money is points with 2 decimals, shares have 6."""

from __future__ import annotations

from typing import Any

from voice.api.contract import SIGNED_IN, STAFF, Routes
from voice.api.helpers import caller
from voice.api.schemas.common import Paging, Person
from voice.api.schemas.markets import (
    History,
    Leader,
    Leaderboard,
    Market,
    MarketList,
    MarketQuery,
    NewMarket,
    Order,
    Position,
    Positions,
    PricePoint,
    Quote,
    QuoteQuery,
    Resolution,
    Sized,
    Trade,
    TradeDone,
    TradeList,
    TradeRow,
    Voiding,
)
from voice.markets import service
from voice.markets.limits import quote_limit, trade_limit

routes = Routes()


def size_of(order: Sized) -> dict[str, Any]:
    """The service's size of a trade: signed millionths of shares, or hundredths spent."""
    if order.sells_all():
        return {"sell_all": True}
    if order.shares not in (None, ""):
        return {"shares": service.parse_shares(order.shares, signed=True)}
    return {"spend": service.parse_points(order.spend, "spend", what="The spend")}


@routes.get("/markets", query=MarketQuery, response=MarketList)
def list_markets(query: MarketQuery) -> MarketList:
    """List markets"""
    listing = service.list_markets(query.status, query.page, query.per_page)
    return MarketList.of(listing, [Market.of(view) for view in listing.items])


@routes.post("/markets", body=NewMarket, response=Market, status=201, roles=STAFF,
             errors=(403,))
def create_market(body: NewMarket) -> Market:
    """Create a market (staff)"""
    market = service.create_market(
        caller(), body.question, body.outcomes, liquidity=body.liquidity,
        subsidy=body.subsidy, description=body.description or "", closes_at=body.closes_at,
        idea_id=body.idea_id,
    )
    return Market.of(service.get_market(market.id))


@routes.get("/markets/<int:market_id>", response=Market, errors=(404,))
def get_market(market_id: int) -> Market:
    """A market"""
    return Market.of(service.get_market(market_id))


@routes.get("/markets/<int:market_id>/quote", query=QuoteQuery, response=Quote,
            errors=(404, 409))
@quote_limit
def quote(market_id: int, query: QuoteQuery) -> Quote:
    """Quote a trade (shares, negative to sell, or a spend); 409 when the market is not open"""
    return Quote.of(service.quote(market_id, query.outcome_id, **size_of(query)))


@routes.post("/markets/<int:market_id>/trades", body=Order, response=TradeDone, status=201,
             roles=SIGNED_IN, errors=(403, 404, 409))
@trade_limit
def trade(market_id: int, body: Order) -> TradeDone:
    """Trade"""
    result = service.trade(
        caller().id, market_id, body.outcome_id, **size_of(body),
        max_cost=service.parse_limit(body.max_cost, "max_cost"),
        min_proceeds=service.parse_limit(body.min_proceeds, "min_proceeds"),
    )
    return TradeDone(trade=Trade.of(result.trade), balance=result.balance,
                     prices=result.prices, quote=Quote.of(result.quote))


@routes.get("/markets/<int:market_id>/trades", query=Paging, response=TradeList,
            errors=(404,))
def market_trades(market_id: int, query: Paging) -> TradeList:
    """Trades, newest first"""
    listing = service.market_trades(market_id, query.page, query.per_page)
    return TradeList.of(listing, [
        TradeRow(**Trade.fields_of(row.trade), outcome=row.outcome_label,
                 trader=row.trader_name)
        for row in listing.items])


@routes.get("/markets/<int:market_id>/history", response=History, errors=(404,))
def history(market_id: int) -> History:
    """Price history"""
    return History(points=[PricePoint(at=point.at, prices=point.prices)
                           for point in service.price_history(market_id)])


@routes.post("/markets/<int:market_id>/resolve", body=Resolution, response=Market,
             roles=STAFF, errors=(403, 404, 409))
def resolve(market_id: int, body: Resolution) -> Market:
    """Resolve (staff); winners are paid 1 point per share"""
    service.resolve_market(caller(), market_id, body.outcome_id, body.note or "")
    return Market.of(service.get_market(market_id))


@routes.post("/markets/<int:market_id>/void", body=Voiding, body_optional=True,
             response=Market, roles=STAFF, errors=(403, 404, 409))
def void(market_id: int, body: Voiding) -> Market:
    """Void (staff); every trader is refunded their net spend"""
    service.void_market(caller(), market_id, body.note or "")
    return Market.of(service.get_market(market_id))


@routes.get("/me/positions", response=Positions, roles=SIGNED_IN)
def my_positions() -> Positions:
    """The caller's positions"""
    items = [
        Position(market_id=group.view.id, outcome_id=row.outcome.id, outcome=row.outcome.label,
                 market_status=group.view.status, shares=row.position.shares,
                 cost_basis=row.position.cost_basis, value=row.value, price=row.price,
                 realised=row.position.realised, unrealised=row.unrealised)
        for group in service.positions_for(caller().id) for row in group.rows
    ]
    return Positions(items=items)


@routes.get("/leaderboard", query=Paging, response=Leaderboard)
def leaderboard(query: Paging) -> Leaderboard:
    """Net worth ranking"""
    listing = service.leaderboard(query.page, query.per_page)
    return Leaderboard.of(listing, [
        Leader(rank=row.rank, user=Person(id=row.user_id, display_name=row.display_name),
               net_worth=row.net_worth, balance=row.balance)
        for row in listing.items])
