"""Reads of what people hold: positions (with their value at current prices) and the
leaderboard of customers by net worth.

The leaderboard reads accounts' ``users`` for the name and the balance (markets' money,
moved only with a ledger row): one statement for every customer, where asking the
accounts facade would add one.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from voice.accounts.models import User
from voice.extensions import db
from voice.markets.models import Market, Outcome, Position
from voice.markets.money import value_of
from voice.markets.service.queries import MarketView, views_of
from voice.paging import Page

# --- positions and the leaderboard ------------------------------------------------------


@dataclass(frozen=True)
class PositionRow:
    position: Position
    outcome: Outcome
    price: float
    value: int  # hundredths at the current price (0 once settled)

    @property
    def unrealised(self) -> int:
        return self.value - self.position.cost_basis


@dataclass
class MarketPositions:
    view: MarketView
    rows: list[PositionRow]

    @property
    def value(self) -> int:
        return sum(r.value for r in self.rows)

    @property
    def cost_basis(self) -> int:
        return sum(r.position.cost_basis for r in self.rows)

    @property
    def realised(self) -> int:
        return sum(r.position.realised for r in self.rows)

    @property
    def unrealised(self) -> int:
        return sum(r.unrealised for r in self.rows)


def positions_for(user_id: int, market_id: int | None = None) -> list[MarketPositions]:
    """The user's positions, grouped by market (newest market first); three queries."""
    stmt = select(Position).where(Position.user_id == user_id)
    if market_id is not None:
        stmt = stmt.where(Position.market_id == market_id)
    positions = list(db.session.scalars(stmt.order_by(Position.market_id.desc(),
                                                      Position.outcome_id)))
    if not positions:
        return []
    markets = list(db.session.scalars(
        select(Market).where(Market.id.in_({p.market_id for p in positions}))
        .order_by(Market.id.desc())
    ))
    views = {v.id: v for v in views_of(markets)}
    grouped: dict[int, MarketPositions] = {}
    for position in positions:
        view = views[position.market_id]
        index = next(i for i, o in enumerate(view.outcomes) if o.id == position.outcome_id)
        price = view.prices[index]
        value = value_of(position.shares, price)
        grouped.setdefault(view.id, MarketPositions(view, [])).rows.append(
            PositionRow(position, view.outcomes[index], price, value))
    return [grouped[m.id] for m in markets]


@dataclass(frozen=True)
class LeaderRow:
    rank: int
    user_id: int
    display_name: str
    balance: int
    holdings: int  # open positions at current prices, hundredths

    @property
    def net_worth(self) -> int:
        return self.balance + self.holdings


def _holdings() -> dict[int, int]:
    """Each user's open positions at current prices, hundredths."""
    held = db.session.execute(
        select(Position.user_id, Position.market_id, Position.outcome_id, Position.shares)
        .where(Position.shares > 0)
    ).all()
    holdings: dict[int, int] = defaultdict(int)
    if not held:
        return holdings
    markets = list(db.session.scalars(
        select(Market).where(Market.id.in_({row.market_id for row in held}))
    ))
    price_of = {outcome.id: price for view in views_of(markets) for outcome, price in view.rows}
    for row in held:
        holdings[row.user_id] += value_of(row.shares, price_of[row.outcome_id])
    return holdings


def leaderboard(page: int = 1, per_page: int = 20) -> Page:
    """Customers by net worth (balance + open positions at current prices)."""
    customers = db.session.execute(
        select(User.id, User.display_name, User.balance)
        .where(User.role == "customer", User.active.is_(True))
    ).all()
    holdings = _holdings()
    ordered = sorted(customers, key=lambda c: (-(c.balance + holdings[c.id]), c.id))
    start = (page - 1) * per_page
    items = [
        LeaderRow(start + n + 1, c.id, c.display_name, c.balance, holdings[c.id])
        for n, c in enumerate(ordered[start:start + per_page])
    ]
    return Page(items=items, page=page, per_page=per_page, total=len(ordered))
