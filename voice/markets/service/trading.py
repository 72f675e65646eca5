"""Quotes and trades: who may trade what, the trader's limits, and the trade as a booking
of the one writer (``ledger.write_booking``).

Lock order, always: the market row (with its outcomes), then user rows by ascending id,
so two writes never deadlock.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from voice import signals
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Forbidden, Invalid
from voice.extensions import db
from voice.markets import money, sql
from voice.markets.models import Market, Trade
from voice.markets.money import HUNDRED, MAX_SPEND, MAX_TRADE_SHARES, Holding, Quote
from voice.markets.service.ledger import Booking, PositionMove, TradeLine, Transfer, write_booking
from voice.markets.service.loading import index_of, not_an_outcome, outcome_index, outcomes_of
from voice.markets.service.queries import MarketView, effective_status, require_market
from voice.units import POINT_UNIT, SHARE_UNIT


class PriceMoved(Conflict):
    """The trader's limit is passed; carries the fresh quote."""

    def __init__(self, message: str, quote: Quote):
        super().__init__(message, code="price_moved")
        self.quote = quote


@dataclass(frozen=True)
class TradeResult:
    trade: Trade
    balance: int  # the trader's balance after, hundredths
    prices: list[float]
    quote: Quote


def price_trade(q_micro: list[int], liquidity: int, index: int, *, shares: int | None = None,
                spend: int | None = None, outcome_id: int = 0) -> Quote:
    """Quote a trade on a market state (``money.price_trade``); Invalid when it cannot be
    priced."""
    try:
        return money.price_trade(q_micro, liquidity, index, shares=shares, spend=spend,
                                 outcome_id=outcome_id)
    except money.Unpriceable as refused:
        raise Invalid(refused.message, code=refused.code, field=refused.field) from None


# --- who may trade what -------------------------------------------------------------------


def market_refusal(status: str) -> Conflict | None:
    """Why a market with this (effective) status takes no trade, or None: only an open
    market before its close time trades."""
    if status != "open":
        return Conflict("This market is not open for trading.", code="market_not_open")
    return None


def trader_refusal(role: str | None, active: bool) -> Forbidden | None:
    """Why this account may not trade, or None: only active customers trade."""
    if role != "customer" or not active:
        return Forbidden("Staff set and resolve the questions; only customers trade.",
                         code="forbidden")
    return None


def may_trade(user: Any, view: MarketView) -> bool:
    """Whether ``user`` (signed in or not) may trade on the market now: for a page to
    offer the trade form. The trade itself is decided again, under its locks."""
    if user is None or not getattr(user, "is_authenticated", False):
        return False
    return (market_refusal(view.status) is None
            and trader_refusal(user.role, bool(user.active)) is None)


def _refuse(refusal: Exception | None) -> None:
    if refusal is not None:
        raise refusal


# --- quotes -------------------------------------------------------------------------------


def quote(market_id: int, outcome_id: Any, *, shares: int | None = None,
          spend: int | None = None) -> Quote:
    """Price a trade on an open market as it is now (no lock, no holdings check)."""
    market = require_market(market_id)
    _refuse(market_refusal(effective_status(market)))
    outcomes = outcomes_of(market.id)
    index = outcome_index([o.id for o in outcomes], outcome_id)
    return price_trade([o.shares for o in outcomes], market.liquidity, index, shares=shares,
                       spend=spend, outcome_id=outcomes[index].id)


# --- trades -------------------------------------------------------------------------------


def _check_size(shares: int | None, spend: int | None, sell_all: bool) -> None:
    if sum(x is not None and x is not False for x in (shares, spend, sell_all or None)) != 1:
        raise Invalid("Give shares, spend or sell all: exactly one.", code="invalid_trade",
                      field="shares")
    if shares is not None and (not isinstance(shares, int) or shares == 0
                               or abs(shares) > MAX_TRADE_SHARES * SHARE_UNIT):
        raise Invalid("Enter a number of shares above zero.", code="invalid_shares",
                      field="shares")
    if spend is not None and (not isinstance(spend, int) or not 0 < spend
                              <= MAX_SPEND * POINT_UNIT):
        raise Invalid("Enter an amount above zero.", code="invalid_spend", field="spend")


def _shares_to_trade(trader: sql.Trader, shares: int | None, spend: int | None,
                     sell_all: bool) -> int | None:
    """The signed shares (None: by ``spend``), checked against what the trader holds."""
    held = trader.holding.shares
    if sell_all:
        if held <= 0:
            raise Conflict("You hold no shares of this outcome.", code="insufficient_shares")
        shares = -held
    if spend is not None and spend > trader.balance:
        raise Conflict("You cannot spend more than your balance.",
                       code="insufficient_balance", field="spend")
    if shares is not None and shares < 0 and -shares > held:
        raise Conflict("You cannot sell more shares than you hold.",
                       code="insufficient_shares", field="shares")
    return shares


def _check_limits(quoted: Quote, balance: int, max_cost: Decimal | None,
                  min_proceeds: Decimal | None) -> None:
    """The trader's price limit and, for a buy, their balance."""
    cost = quoted.cost
    if quoted.is_buy:
        if max_cost is not None and Decimal(cost) / HUNDRED > max_cost:
            raise PriceMoved("The price moved: this buy now costs more than your limit. "
                             "Here is a fresh quote.", quoted)
        if cost > balance:
            raise Conflict("Your balance does not cover this trade.",
                           code="insufficient_balance", field="shares")
    elif min_proceeds is not None and Decimal(-cost) / HUNDRED < min_proceeds:
        raise PriceMoved("The price moved: this sale now returns less than your limit. "
                         "Here is a fresh quote.", quoted)


def trade(user_id: int, market_id: int, outcome_id: Any, *, shares: int | None = None,
          spend: int | None = None, sell_all: bool = False, max_cost: Decimal | None = None,
          min_proceeds: Decimal | None = None, now: datetime | None = None) -> TradeResult:
    """Buy or sell one outcome in one transaction.

    ``shares`` signed millionths (negative sells), or ``spend`` hundredths, or
    ``sell_all``. ``max_cost``/``min_proceeds`` (points) are the trader's limits.

    Two reads (the market with its outcomes, then the trader with their position, locked
    in that order) and the writer's Core writes, one statement each: the trade, both
    ledger rows, the balance, the market's maker balance and counters, q, the position
    (an upsert) and the price point.
    """
    _check_size(shares, spend, sell_all)
    with write_transaction():
        now = now or utcnow()
        db.session.flush()  # an enclosing transaction's changes first: Core does not autoflush
        market, outcome_ids, q = sql.lock_market_for_trade(market_id)
        _refuse(market_refusal(effective_status(market, now)))
        index = index_of(outcome_ids, outcome_id)
        trader = sql.lock_trader(user_id, outcome_ids[index] if index is not None else 0)
        _refuse(trader_refusal(trader.role, trader.active))
        if index is None:
            raise not_an_outcome()
        shares = _shares_to_trade(trader, shares, spend, sell_all)
        quoted = price_trade(q, market.liquidity, index, shares=shares, spend=spend,
                             outcome_id=outcome_ids[index])
        _check_limits(quoted, trader.balance, max_cost, min_proceeds)
        record = record_trade(market, trader.id, trader.position_id, trader.holding, quoted,
                              now)
        result = TradeResult(record, trader.balance - quoted.cost, quoted.prices_after, quoted)
    return result


def record_trade(market: Market, user_id: int, position_id: int | None, holding: Holding,
                 quoted: Quote, now: datetime, note: str = "") -> Trade:
    """Book a priced trade (the caller holds the locks) and send ``market_traded``.

    ``market`` is the detached market of ``sql.lock_market_for_trade``: its counters are
    set to what the writer wrote. The trade comes back detached and complete.
    """
    index = quoted.index
    line = TradeLine(market_id=market.id, outcome_id=quoted.outcome_id, user_id=user_id,
                     shares=quoted.shares, cost=quoted.cost,
                     price_before=quoted.prices_before[index],
                     price_after=quoted.prices_after[index], prices_after=quoted.prices_after)
    booking = Booking(
        market.id, transfers=(Transfer(user_id, -quoted.cost, "trade"),),
        positions=(PositionMove(user_id, quoted.outcome_id, position_id,
                                money.traded(quoted, holding)),),
        trade=line, note=note,
    )
    trade_id = write_booking(booking, now)
    sql.count_trade(market, quoted.cost)
    record = sql.detached(Trade, id=trade_id, **line.values(now))
    signals.market_traded.send(market, trade=record, prices_before=quoted.prices_before,
                               prices_after=quoted.prices_after)
    return record
