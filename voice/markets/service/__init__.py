"""Markets: create, quote, trade, resolve, void; positions, leaderboard; the starting grant.

The facade of the markets domain: ``from voice.markets import service; service.trade(...)``
and ``from voice.markets.service import trade`` both work. Behind it, one file per
concern:

- ``parsing``: numbers from the edges into exact units;
- ``queries``: market views, lists, history and chart, the trade list, events, linked
  markets, the books' audit;
- ``standings``: positions and the leaderboard;
- ``creation``: open and edit markets (wording, liquidity, close time, the idea);
- ``trading``: quotes, trades, and who may trade what;
- ``settlement``: resolve, void, and the sales of an account being closed;
- ``ledger``: the one writer of the books (trades and settlements alike) and the
  starting-balance grant (connected to ``user_registered`` by ``voice.markets.hooks``).

Money is exact (``voice.markets.money``): charges round up, proceeds and payouts down,
and every balance change is a ledger row written with the balance, in the same
transaction, with the row locked. Lock order, always: the market row, then user rows
by ascending id, so two services never deadlock.
"""

from __future__ import annotations

from voice.markets.money import MAX_SPEND, MAX_TRADE_SHARES, Quote, payout_of, value_of
from voice.markets.service.creation import (
    MAX_DESCRIPTION,
    MAX_LABEL,
    MAX_LIQUIDITY,
    MAX_QUESTION,
    MIN_LIQUIDITY,
    create_market,
    edit_market,
    liquidity_hundredths,
)
from voice.markets.service.ledger import grant_starting_balance
from voice.markets.service.parsing import parse_limit, parse_points, parse_shares
from voice.markets.service.queries import (
    LIST_STATUSES,
    Books,
    EventRow,
    LinkedMarket,
    MarketView,
    TradeRow,
    audit_books,
    effective_status,
    get_market,
    linked_markets,
    list_markets,
    market_events,
    market_trades,
    price_chart,
    price_history,
)
from voice.markets.service.settlement import (
    MAX_NOTE,
    resolve_market,
    settle_positions_of,
    void_market,
)
from voice.markets.service.standings import (
    LeaderRow,
    MarketPositions,
    PositionRow,
    leaderboard,
    positions_for,
)
from voice.markets.service.trading import (
    PriceMoved,
    TradeResult,
    may_trade,
    price_trade,
    quote,
    trade,
)

__all__ = [
    "LIST_STATUSES",
    "MAX_DESCRIPTION",
    "MAX_LABEL",
    "MAX_LIQUIDITY",
    "MAX_NOTE",
    "MAX_QUESTION",
    "MAX_SPEND",
    "MAX_TRADE_SHARES",
    "MIN_LIQUIDITY",
    "Books",
    "EventRow",
    "LeaderRow",
    "LinkedMarket",
    "MarketPositions",
    "MarketView",
    "PositionRow",
    "PriceMoved",
    "Quote",
    "TradeResult",
    "TradeRow",
    "audit_books",
    "create_market",
    "edit_market",
    "effective_status",
    "get_market",
    "grant_starting_balance",
    "leaderboard",
    "linked_markets",
    "liquidity_hundredths",
    "list_markets",
    "market_events",
    "market_trades",
    "may_trade",
    "parse_limit",
    "parse_points",
    "parse_shares",
    "payout_of",
    "positions_for",
    "price_chart",
    "price_history",
    "price_trade",
    "quote",
    "resolve_market",
    "settle_positions_of",
    "trade",
    "value_of",
    "void_market",
]
