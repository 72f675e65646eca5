"""Settling markets: resolve (winners paid), void (net spend refunded, profit clawed back),
and selling an account's holdings back to the market makers when it is closed.

Each is one booking (resolution, voiding) or a series of trades (an account closing)
of the one writer, ``ledger.write_booking``. Lock order as everywhere: the market,
then the users by ascending id.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select

from voice import signals
from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.loop import service as loop
from voice.markets import money, sql
from voice.markets.models import Market, MarketEvent, Outcome, Position, Trade
from voice.markets.money import Holding
from voice.markets.service.ledger import Booking, PositionMove, Transfer, write_booking
from voice.markets.service.loading import lock_market, outcome_index, outcomes_of
from voice.markets.service.queries import SETTLED
from voice.markets.service.trading import price_trade, record_trade
from voice.permissions import require_staff
from voice.units import format_points

MAX_NOTE = 2_000
CLOSING_NOTE = "Account closed: position sold at the current price"


def _clean_note(note: Any) -> str:
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(f"A note has at most {MAX_NOTE} characters.", field="note")
    return note


def _positions_of(market_id: int) -> Sequence[Any]:
    return db.session.execute(
        select(Position.id, Position.user_id, Position.outcome_id, Position.shares,
               Position.cost_basis, Position.realised, Position.settled_shares,
               Position.net_spend)
        .where(Position.market_id == market_id)
        .order_by(Position.user_id, Position.outcome_id)
    ).all()


def _holding(row: Any) -> Holding:
    return Holding(row.shares, row.cost_basis, row.realised, row.settled_shares)


def _settle_start(actor: User, market_id: int
                  ) -> tuple[Market, list[Outcome], Sequence[Any], list[User]]:
    """The market (locked, not settled yet), its outcomes, positions and traders (locked)."""
    require_staff(actor, "Only staff manage markets.")
    market = lock_market(market_id)
    if market.status == "resolved":
        raise Conflict("This market is already resolved.", code="market_settled")
    if market.status == "voided":
        raise Conflict("This market was voided.", code="market_settled")
    positions = _positions_of(market.id)
    traders = sql.lock_accounts(p.user_id for p in positions)
    return market, outcomes_of(market.id), positions, traders


def _settled(market: Market, actor: User, status: str, note: str, now: datetime,
             data: dict[str, Any]) -> None:
    market.status = status
    market.resolved_at, market.resolved_by_id, market.resolution_note = now, actor.id, note
    db.session.add(MarketEvent(market_id=market.id, kind=status, actor_id=actor.id,
                               note=note, at=now, data=data))


def _notify_traders(users: Iterable[User], kind: str, subject: str, body: str,
                    market: Market) -> None:
    loop.notify(list(users), kind=kind, subject=subject[:200], body=body,
                link=f"/markets/{market.id}")


def resolve_market(actor: User, market_id: int, outcome_id: Any, note: str = "",
                   now: datetime | None = None) -> Market:
    """Settle on the winning outcome: each winning share pays 1 point from the maker."""
    note = _clean_note(note)
    with write_transaction():
        market, outcomes, positions, traders = _settle_start(actor, market_id)
        now = now or utcnow()  # inside the lock: after every trade the payout includes
        winner = outcomes[outcome_index([o.id for o in outcomes], outcome_id)]
        transfers, moves = [], []
        for position in positions:
            payout = money.payout_of(position.shares) if position.outcome_id == winner.id else 0
            if payout:
                transfers.append(Transfer(position.user_id, payout, "payout"))
            moves.append(PositionMove(position.user_id, position.outcome_id, position.id,
                                      money.resolved(_holding(position), payout)))
        write_booking(Booking(market.id, tuple(transfers), tuple(moves)), now)
        market.resolved_outcome_id = winner.id
        _settled(market, actor, "resolved", note, now,
                 {"outcome_id": winner.id, "paid": sum(t.amount for t in transfers)})
        signals.market_resolved.send(market, outcome=winner, note=note, actor=actor)
        _notify_traders(
            traders, "market_resolved", f"Market resolved: {market.question}",
            f"The market resolved to “{winner.label}”. Each winning share paid 1 point."
            + (f"\n\n{note}" if note else ""), market,
        )
    return market


def _void_booking(market_id: int, positions: Sequence[Any], traders: list[User]
                  ) -> tuple[Booking, money.VoidPlan]:
    net: dict[int, int] = defaultdict(int)
    for position in positions:
        net[position.user_id] += position.net_spend
    plan = money.void_plan(net, {user.id: user.balance for user in traders})
    transfers = [Transfer(user_id, plan.refunds[user_id], "refund") if user_id in plan.refunds
                 else Transfer(user_id, -plan.clawbacks[user_id], "clawback")
                 for user_id in sorted({*plan.refunds, *plan.clawbacks})]
    moves = [PositionMove(p.user_id, p.outcome_id, p.id, money.voided(_holding(p)))
             for p in positions]
    return Booking(market_id, tuple(transfers), tuple(moves)), plan


def _debt_notes(plan: money.VoidPlan, traders: list[User]) -> list[tuple[User, str]]:
    """The traders left with a debt, and what to tell them."""
    return [(user, f"Taking back your profit of {format_points(plan.clawbacks[user.id])} "
                   f"points left your balance at {format_points(user.balance)} points: a "
                   "debt that your next sales and payouts repay. Until then you cannot buy.")
            for user in traders if user.id in plan.debts]


def void_market(actor: User, market_id: int, note: str = "",
                now: datetime | None = None) -> Market:
    """Cancel the market: each trader gets back their net spend (buys − sells).

    A trader who sold at a profit (net spend < 0) gives all of that profit back. Where
    the balance does not cover it, it goes below zero: a debt that later income repays
    (``money.void_plan``). So every trader ends exactly where their net spend says and
    the market maker at zero on this market; nothing is left unrecovered.
    """
    note = _clean_note(note)
    with write_transaction():
        market, _outcomes, positions, traders = _settle_start(actor, market_id)
        now = now or utcnow()  # inside the lock: after every trade the void includes
        booking, plan = _void_booking(market.id, positions, traders)
        write_booking(booking, now)
        market.unrecovered = 0
        _settled(market, actor, "voided", note, now, {
            "refunded": plan.refunded, "clawed_back": plan.clawed, "unrecovered": 0,
            "debts": {str(u): d for u, d in plan.debts.items()}})
        signals.market_voided.send(market, note=note, actor=actor)
        subject = f"Market voided: {market.question}"
        body = ("The market was cancelled: each trader gets back what they spent on it, and "
                "profits from sales are taken back." + (f"\n\n{note}" if note else ""))
        _notify_traders([u for u in traders if u.id not in plan.debts], "market_voided",
                        subject, body, market)
        for user, text in _debt_notes(plan, sql.lock_accounts(plan.debts)):
            _notify_traders([user], "market_voided", subject, f"{body}\n\n{text}", market)
    return market


# --- closing an account -------------------------------------------------------------------


def _held_markets(user_id: int) -> set[int]:
    return set(db.session.scalars(
        select(Position.market_id).where(Position.user_id == user_id, Position.shares > 0)))


def _sell_out(user_id: int, market: Market, outcome_ids: list[int], q: list[int],
              now: datetime) -> list[Trade]:
    """Sell each of the user's holdings in this (locked) market at its current price."""
    if market.status in SETTLED:
        return []
    held = db.session.execute(
        select(Position.id, Position.outcome_id, Position.shares, Position.cost_basis)
        .where(Position.user_id == user_id, Position.market_id == market.id,
               Position.shares > 0)
        .order_by(Position.outcome_id)
    ).all()
    trades = []
    for position in held:
        index = outcome_index(outcome_ids, position.outcome_id)
        quoted = price_trade(q, market.liquidity, index, shares=-position.shares,
                             outcome_id=outcome_ids[index])
        trades.append(record_trade(market, user_id, position.id,
                                   Holding(position.shares, position.cost_basis), quoted, now,
                                   note=CLOSING_NOTE))
        q[index] += quoted.shares
    return trades


def settle_positions_of(user_id: int, now: datetime | None = None) -> list[Trade]:
    """Sell every share ``user_id`` holds in an unsettled market back to its market maker,
    at the market's own current price (LMSR proceeds, rounded down), for account deletion.

    Each sale is an ordinary trade of the one writer (trade row, ledger rows for the user
    and the maker, q, position, price point), so the books stay balanced. Markets already
    resolved or voided hold no shares. Joins the caller's transaction. Lock order as
    everywhere: the markets (ascending id), then the user.
    """
    trades: list[Trade] = []
    with write_transaction():
        now = now or utcnow()
        db.session.flush()  # the caller's changes first: Core does not autoflush
        locked = {market_id: sql.lock_market_for_trade(market_id)
                  for market_id in sorted(_held_markets(user_id))}
        if not sql.lock_accounts([user_id]):
            raise NotFound("No such user.")
        for market_id in sorted(_held_markets(user_id) - set(locked)):  # bought meanwhile
            locked[market_id] = sql.lock_market_for_trade(market_id)
        for market_id in sorted(locked):
            trades += _sell_out(user_id, *locked[market_id], now)
    return trades
