"""What the markets domain holds of a person: positions, trades and ledger rows.

Receivers of voice.signals' personal-data signals (connected in voice.markets.hooks).
Closing the account sells every open position back to its market maker at the
market's current price (``settle_positions_of``: ordinary trades, so the books stay
balanced) and keeps the trades and ledger rows under the anonymised user; the markets
and market events staff made stay as they are.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from voice.clock import isoformat
from voice.extensions import db
from voice.markets import service
from voice.markets.models import LedgerEntry, Market, Outcome, Position, Trade
from voice.units import points, shares

#: The tables with a user foreign key that this domain answers for.
TABLES = ("markets", "trades", "positions", "ledger_entries", "market_events")


def export(user_id: int) -> dict[str, Any]:
    """The sections ``positions``, ``trades`` and ``ledger`` of the download."""
    session = db.session
    positions = session.execute(
        select(Position, Outcome.label, Market.question)
        .join(Outcome, Outcome.id == Position.outcome_id)
        .join(Market, Market.id == Position.market_id)
        .where(Position.user_id == user_id).order_by(Position.market_id, Position.outcome_id)
    ).all()
    trades = session.execute(
        select(Trade, Outcome.label).join(Outcome, Outcome.id == Trade.outcome_id)
        .where(Trade.user_id == user_id).order_by(Trade.id)
    ).all()
    ledger = session.scalars(
        select(LedgerEntry).where(LedgerEntry.account == "user",
                                  LedgerEntry.user_id == user_id).order_by(LedgerEntry.id)
    ).all()
    return {
        "positions": [{"market_id": p.market_id, "market_question": question,
                       "outcome_id": p.outcome_id, "outcome_label": label,
                       "shares": shares(p.shares), "cost_basis": points(p.cost_basis),
                       "realised": points(p.realised),
                       "settled_shares": shares(p.settled_shares)}
                      for p, label, question in positions],
        "trades": [{"id": t.id, "market_id": t.market_id, "outcome_id": t.outcome_id,
                    "outcome_label": label, "shares": shares(t.shares),
                    "cost": points(t.cost), "created_at": isoformat(t.created_at)}
                   for t, label in trades],
        "ledger": [{"id": e.id, "kind": e.kind, "amount": points(e.amount),
                    "market_id": e.market_id, "trade_id": e.trade_id, "note": e.note,
                    "created_at": isoformat(e.created_at)} for e in ledger],
    }


def erase(user_id: int) -> None:
    """Sell the user's open positions at the market's price (joins the caller's
    transaction; locks the markets, then the user row, as every trade does)."""
    service.settle_positions_of(user_id)
