"""The one writer of the markets' books, and the starting-balance grant.

Every change of the books is a :class:`Booking` written by :func:`write_booking`: a
trade (buying, selling, the sales of an account being closed), the settlement of a
market (resolution pays winners, voiding refunds and claws back) and the starting
grant alike. It moves points between users and the market maker (each move a ledger
row for the user and one for the maker, the balances as ``x = x + d``), adds the
changes to the positions, and for a trade writes the trade row, moves q, counts the
trade and adds a price point. So the invariants (each balance equals its ledger, each
q the sum of its trades, points are conserved) have one writer, with the statements
of ``voice.markets.sql``.

The caller holds the locks (the market, then the users by ascending id) and has
flushed the session's own changes to these rows: Core statements do not autoflush.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from flask import current_app
from sqlalchemy.engine import Connection

from voice.accounts.models import User
from voice.clock import utcnow
from voice.extensions import db
from voice.markets import sql
from voice.markets.money import PositionChange
from voice.units import POINT_UNIT


@dataclass(frozen=True)
class Transfer:
    """``amount`` hundredths from the market maker to the user (negative: to the maker)."""

    user_id: int
    amount: int
    kind: str  # grant | trade | payout | refund | clawback


@dataclass(frozen=True)
class PositionMove:
    """A change of the position (user, outcome); ``position_id`` None when it is new."""

    user_id: int
    outcome_id: int
    position_id: int | None
    change: PositionChange


@dataclass(frozen=True)
class TradeLine:
    """The trade row of a booking, and the prices after it (the new price point)."""

    market_id: int
    outcome_id: int
    user_id: int
    shares: int  # signed millionths
    cost: int  # signed hundredths paid by the trader
    price_before: float
    price_after: float
    prices_after: list[float]

    def values(self, now: datetime) -> dict[str, Any]:
        """The trade row's columns (all but the id)."""
        return {"market_id": self.market_id, "outcome_id": self.outcome_id, "user_id": self.user_id,
                "shares": self.shares, "cost": self.cost, "created_at": now,
                "price_before": self.price_before, "price_after": self.price_after}


@dataclass(frozen=True)
class Booking:
    """One change of the books. ``market_id`` None: points that enter from outside the
    markets (the starting grant), a ledger row for the user and no maker side."""

    market_id: int | None
    transfers: tuple[Transfer, ...] = ()
    positions: tuple[PositionMove, ...] = ()
    trade: TradeLine | None = None
    note: str = ""  # on every ledger row of the booking


def write_booking(booking: Booking, now: datetime) -> int | None:
    """Write ``booking``; the new trade's id (None for a settlement). One statement per
    kind of row (several rows in one executemany), in this order: the trade, the ledger
    rows, the balances, the market's counters, q, the positions, the price point."""
    connection = db.session.connection()
    statements = sql.statements(connection)
    line = booking.trade
    trade_id = None
    if line is not None:
        written = connection.execute(statements.insert_trade, line.values(now))
        trade_id = cast(int, written.inserted_primary_key[0])  # type: ignore[index]
    balances = _post(connection, statements, booking, trade_id, now)
    maker = -sum(t.amount for t in booking.transfers)
    if booking.market_id is not None and (line is not None or maker):
        connection.execute(statements.market_counters, {
            "p_market": booking.market_id, "p_maker": maker,
            "p_trades": 1 if line else 0, "p_volume": abs(line.cost) if line else 0})
    if line is not None:
        connection.execute(statements.move_q,
                           {"p_outcome": line.outcome_id, "p_shares": line.shares})
    if booking.positions:
        connection.execute(statements.upsert_position, [
            {"user_id": move.user_id, "market_id": booking.market_id,
             "outcome_id": move.outcome_id, **vars(move.change)}
            for move in booking.positions])
    if line is not None:
        connection.execute(statements.insert_price_point, {
            "market_id": booking.market_id, "at": now,
            "prices": [round(p, 6) for p in line.prices_after]})
    sql.show_in_session(booking.market_id, balances, line.outcome_id if line else None,
                        [move.position_id for move in booking.positions])
    return trade_id


def _post(connection: Connection, statements: sql.Statements, booking: Booking,
          trade_id: int | None, now: datetime) -> list[int]:
    """The ledger rows of the transfers (the user's, then the maker's) and the users'
    balances, in ascending id; the ids of the users whose balance moved."""
    if not booking.transfers:
        return []
    entry = {"market_id": booking.market_id, "trade_id": trade_id, "note": booking.note,
             "created_at": now}
    rows = []
    moved: dict[int, int] = defaultdict(int)
    for transfer in booking.transfers:
        rows.append({**entry, "kind": transfer.kind, "account": "user",
                     "user_id": transfer.user_id, "amount": transfer.amount})
        if booking.market_id is not None:
            rows.append({**entry, "kind": transfer.kind, "account": "market",
                         "user_id": None, "amount": -transfer.amount})
        moved[transfer.user_id] += transfer.amount
    connection.execute(statements.insert_ledger, rows)
    connection.execute(statements.change_balance, [
        {"p_user": user_id, "p_amount": moved[user_id]} for user_id in sorted(moved)])
    return sorted(moved)


# --- the starting grant -----------------------------------------------------------------


def grant_starting_balance(user: User, **_extra: Any) -> None:
    """Every new customer gets VOICE_STARTING_BALANCE points, with its ledger row.

    The receiver of ``signals.user_registered`` (``voice.markets.hooks``): runs inside
    the registering transaction; staff and admins get nothing.
    """
    if user.role != "customer":
        return
    amount = int(current_app.config.get("STARTING_BALANCE", 1000)) * POINT_UNIT
    if amount <= 0:
        return
    write_booking(Booking(None, (Transfer(user.id, amount, "grant"),), note="Starting balance"),
                  utcnow())
