"""The markets calls of the API contract: markets, quotes, trades, history, settlement,
positions and the leaderboard. Money is points with 2 decimals, shares have 6."""

from __future__ import annotations

from flask import request

from voice.api import bp
from voice.api.helpers import (
    api_login_required,
    api_staff_required,
    caller,
    json_body,
    money,
    page_json,
)
from voice.clock import isoformat, parse_iso
from voice.database import as_id
from voice.errors import Conflict, Invalid
from voice.markets import service
from voice.markets.limits import trade_limit
from voice.markets.models import SHARE_UNIT
from voice.paging import parse_paging


def shares_json(millionths: int) -> float:
    return round(millionths / SHARE_UNIT, 6)


def market_json(view: service.MarketView) -> dict:
    market = view.market
    return {
        "id": market.id,
        "question": market.question,
        "description": market.description,
        "status": view.status,
        "liquidity": money(market.liquidity),
        "subsidy": money(view.subsidy),
        "closes_at": isoformat(market.closes_at),
        "idea_id": market.idea_id,
        "resolved_outcome_id": market.resolved_outcome_id,
        "resolved_at": isoformat(market.resolved_at),
        "resolution_note": market.resolution_note,
        "created_at": isoformat(market.created_at),
        "trade_count": market.trade_count,
        "volume": money(market.volume),
        "outcomes": [
            {"id": o.id, "label": o.label, "price": round(p, 6), "shares": shares_json(o.shares)}
            for o, p in view.rows
        ],
    }


def quote_json(quote: service.Quote) -> dict:
    return {
        "outcome_id": quote.outcome_id,
        "shares": shares_json(quote.shares),
        "cost": money(quote.cost),
        "average_price": round(quote.average_price, 6),
        "prices_before": [round(p, 6) for p in quote.prices_before],
        "prices_after": [round(p, 6) for p in quote.prices_after],
        "probability_after": round(quote.probability_after, 6),
        "payout_if_wins": money(quote.payout_if_wins),
    }


def trade_json(trade) -> dict:
    return {
        "id": trade.id,
        "market_id": trade.market_id,
        "outcome_id": trade.outcome_id,
        "shares": shares_json(trade.shares),
        "cost": money(trade.cost),
        "created_at": isoformat(trade.created_at),
    }


def _size(data, *, signed: bool) -> dict:
    """``shares`` (signed millionths) or ``spend`` (hundredths) from a body or query."""
    has_shares = data.get("shares") not in (None, "")
    has_spend = data.get("spend") not in (None, "")
    if has_shares == has_spend:
        raise Invalid("Give either shares or spend.", code="invalid_trade", field="shares")
    if has_shares:
        return {"shares": service.parse_shares(data.get("shares"), signed=signed)}
    return {"spend": service.parse_points(data.get("spend"), "spend", what="The spend")}


def _outcome_id(value) -> int:
    if isinstance(value, bool):
        raise Invalid("outcome_id must be an outcome's id.", code="invalid_outcome",
                      field="outcome_id")
    try:
        return as_id(int(value))
    except (TypeError, ValueError):
        raise Invalid("outcome_id must be an outcome's id.", code="invalid_outcome",
                      field="outcome_id") from None


@bp.get("/markets")
def list_markets():
    page, per_page = parse_paging(request.args)
    listing = service.list_markets(request.args.get("status") or None, page, per_page)
    return page_json(listing, market_json)


@bp.post("/markets")
@api_staff_required
def create_market():
    data = json_body()
    closes_at = data.get("closes_at")
    if closes_at not in (None, ""):
        if not isinstance(closes_at, str):
            raise Invalid("closes_at is an ISO 8601 time.", code="invalid_closes_at",
                          field="closes_at")
        try:
            closes_at = parse_iso(closes_at)
        except ValueError:
            raise Invalid("closes_at is an ISO 8601 time.", code="invalid_closes_at",
                          field="closes_at") from None
    else:
        closes_at = None
    idea_id = data.get("idea_id")
    if idea_id is not None and (isinstance(idea_id, bool) or not isinstance(idea_id, int)):
        raise Invalid("idea_id must be an idea's id.", code="invalid_idea", field="idea_id")
    question = data.get("question")
    description = data.get("description") or ""
    if not isinstance(question, str) or not isinstance(description, str):
        raise Invalid("question and description are text.", field="question")
    market = service.create_market(
        caller(), question, data.get("outcomes"), liquidity=data.get("liquidity"),
        subsidy=data.get("subsidy"), description=description, closes_at=closes_at,
        idea_id=idea_id,
    )
    return market_json(service.get_market(market.id)), 201


@bp.get("/markets/<int:market_id>")
def get_market(market_id: int):
    return market_json(service.get_market(market_id))


@bp.get("/markets/<int:market_id>/quote")
def quote(market_id: int):
    view = service.get_market(market_id)
    outcome_id = _outcome_id(request.args.get("outcome_id"))
    size = _size(request.args, signed=True)
    if not view.can_trade:
        raise Conflict("This market is not open for trading.", code="market_not_open")
    return quote_json(service.quote(market_id, outcome_id, **size))


@bp.post("/markets/<int:market_id>/trades")
@trade_limit
@api_login_required
def trade(market_id: int):
    data = json_body()
    outcome_id = _outcome_id(data.get("outcome_id"))
    sell_all = data.get("sell_all") is True
    size = {"sell_all": True} if sell_all else _size(data, signed=True)
    result = service.trade(
        caller().id, market_id, outcome_id, **size,
        max_cost=service.parse_limit(data.get("max_cost"), "max_cost"),
        min_proceeds=service.parse_limit(data.get("min_proceeds"), "min_proceeds"),
    )
    return {
        "trade": trade_json(result.trade),
        "balance": money(result.balance),
        "prices": [round(p, 6) for p in result.prices],
        "quote": quote_json(result.quote),
    }, 201


@bp.get("/markets/<int:market_id>/trades")
def market_trades(market_id: int):
    page, per_page = parse_paging(request.args)
    listing = service.market_trades(market_id, page, per_page)
    return page_json(listing, lambda row: {**trade_json(row.trade), "outcome": row.outcome_label,
                                           "trader": row.trader_name})


@bp.get("/markets/<int:market_id>/history")
def history(market_id: int):
    return {"points": [{"at": isoformat(p.at), "prices": p.prices}
                       for p in service.price_history(market_id)]}


@bp.post("/markets/<int:market_id>/resolve")
@api_staff_required
def resolve(market_id: int):
    data = json_body()
    note = data.get("note") or ""
    if not isinstance(note, str):
        raise Invalid("note is text.", field="note")
    service.resolve_market(caller(), market_id, _outcome_id(data.get("outcome_id")), note)
    return market_json(service.get_market(market_id))


@bp.post("/markets/<int:market_id>/void")
@api_staff_required
def void(market_id: int):
    data = request.get_json(silent=True) or {}
    if not isinstance(data, dict):
        raise Invalid("The request body must be a JSON object.", code="invalid_json")
    note = data.get("note") or ""
    if not isinstance(note, str):
        raise Invalid("note is text.", field="note")
    service.void_market(caller(), market_id, note)
    return market_json(service.get_market(market_id))


@bp.get("/me/positions")
@api_login_required
def my_positions():
    items = []
    for group in service.positions_for(caller().id):
        for row in group.rows:
            items.append({
                "market_id": group.view.id,
                "outcome_id": row.outcome.id,
                "outcome": row.outcome.label,
                "market_status": group.view.status,
                "shares": shares_json(row.position.shares),
                "cost_basis": money(row.position.cost_basis),
                "value": money(row.value),
                "price": round(row.price, 6),
                "realised": money(row.position.realised),
                "unrealised": money(row.unrealised),
            })
    return {"items": items}


@bp.get("/leaderboard")
def leaderboard():
    page, per_page = parse_paging(request.args)
    listing = service.leaderboard(page, per_page)
    return page_json(listing, lambda row: {
        "rank": row.rank,
        "user": {"id": row.user_id, "display_name": row.display_name},
        "net_worth": money(row.net_worth),
        "balance": money(row.balance),
    })
