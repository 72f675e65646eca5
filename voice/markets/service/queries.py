"""Reads of the markets: views with prices, lists, history and chart, the trade list, the
audit trail, linked markets for ideas, the books' audit (positions and the leaderboard:
``standings``).

The trade list and the audit trail join accounts' ``users`` for a name: a call to the
accounts facade per page would add a statement to pages whose statements are pinned
(tests/test_query_counts.py).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select

from voice.accounts.models import User
from voice.clock import utcnow
from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.markets.models import (
    LedgerEntry,
    Market,
    MarketEvent,
    Outcome,
    PricePoint,
    Trade,
)
from voice.markets.money import prices_of
from voice.paging import Page, paginate

LIST_STATUSES = ("open", "closed", "resolved", "voided")
SETTLED = ("resolved", "voided")
_STATUS_RANK = {"open": 0, "closed": 1, "resolved": 2, "voided": 3}


# --- views of markets -------------------------------------------------------------------


@dataclass
class MarketView:
    """A market with its outcomes and current prices, ready for a page or the API."""

    market: Market
    outcomes: list[Outcome]
    prices: list[float]
    status: str  # the effective status: an open market past its close time is "closed"

    @property
    def id(self) -> int:
        return self.market.id

    @property
    def subsidy(self) -> int:
        """The most the maker can lose, b·ln n, in hundredths."""
        return math.ceil(self.market.liquidity * math.log(len(self.outcomes)))

    @property
    def rows(self) -> list[tuple[Outcome, float]]:
        return list(zip(self.outcomes, self.prices, strict=True))

    @property
    def winner(self) -> Outcome | None:
        for outcome in self.outcomes:
            if outcome.id == self.market.resolved_outcome_id:
                return outcome
        return None

    @property
    def can_trade(self) -> bool:
        """Open for trading (who may trade: ``service.may_trade``)."""
        return self.status == "open"

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED

    @property
    def status_label(self) -> str:
        """The status in words: "Open", "Closed", "Resolved: Yes", "Voided"."""
        winner = self.winner
        return (settled_summary(self.status, winner.label if winner else None)
                or self.status.capitalize())


def effective_status(market: Market, now: datetime | None = None) -> str:
    """The status trading goes by: an open market past its close time is closed."""
    if market.status == "open" and market.closes_at and market.closes_at <= (now or utcnow()):
        return "closed"
    return market.status


def views_of(markets: list[Market]) -> list[MarketView]:
    """Views of many markets with one query for all their outcomes."""
    if not markets:
        return []
    by_market: dict[int, list[Outcome]] = defaultdict(list)
    rows = db.session.scalars(
        select(Outcome).where(Outcome.market_id.in_([m.id for m in markets]))
        .order_by(Outcome.market_id, Outcome.position)
    )
    for outcome in rows:
        by_market[outcome.market_id].append(outcome)
    now = utcnow()
    return [MarketView(m, by_market[m.id],
                       prices_of([o.shares for o in by_market[m.id]], m.liquidity),
                       effective_status(m, now)) for m in markets]


def require_market(market_id: int) -> Market:
    """The market (from the session's identity map when a view already loaded it)."""
    market = db.session.get(Market, market_id)
    if market is None:
        raise NotFound("No such market.")
    return market


def get_market(market_id: int) -> MarketView:
    return views_of([require_market(market_id)])[0]


def _status_filter(status: str | None, now: datetime) -> ColumnElement[bool] | None:
    if not status:
        return None
    if status not in LIST_STATUSES:
        raise Invalid(f"status is one of {', '.join(LIST_STATUSES)}.", code="invalid_status",
                      field="status")
    past = and_(Market.closes_at.is_not(None), Market.closes_at <= now)
    if status == "open":
        return and_(Market.status == "open", ~past)
    if status == "closed":
        return or_(Market.status == "closed", and_(Market.status == "open", past))
    return Market.status == status


def list_markets(status: str | None = None, page: int = 1, per_page: int = 20) -> Page:
    """A page of MarketView, newest first; ``status`` filters by effective status."""
    stmt = select(Market).order_by(Market.created_at.desc(), Market.id.desc())
    condition = _status_filter(status, utcnow())
    if condition is not None:
        stmt = stmt.where(condition)
    listing = paginate(stmt, page, per_page)
    listing.items = views_of(listing.items)
    return listing


# --- history, trades, events --------------------------------------------------------------


def price_history(market_id: int) -> list[PricePoint]:
    require_market(market_id)
    return list(db.session.scalars(
        select(PricePoint).where(PricePoint.market_id == market_id).order_by(PricePoint.id)
    ))


def price_chart(market_id: int, limit: int) -> list[tuple[datetime, list[float]]]:
    """At most about ``limit`` (at, prices) points of the history, evenly thinned in SQL,
    the last one always kept. A hot market has a point per trade: loading them all made
    its page cost grow with its trades (370 ms after 3,000 trades, bench.profile)."""
    require_market(market_id)
    total = db.session.scalar(
        select(func.count(PricePoint.id)).where(PricePoint.market_id == market_id)) or 0
    step = max(1, -(-total // limit))
    if step == 1:
        stmt = (select(PricePoint.at, PricePoint.prices)
                .where(PricePoint.market_id == market_id).order_by(PricePoint.id))
    else:
        numbered = select(
            PricePoint.id, PricePoint.at, PricePoint.prices,
            (func.row_number().over(order_by=PricePoint.id) - 1).label("n"),
        ).where(PricePoint.market_id == market_id).subquery()
        stmt = (select(numbered.c.at, numbered.c.prices)
                .where(or_(numbered.c.n % step == 0, numbered.c.n == total - 1))
                .order_by(numbered.c.id))
    return [(at, prices) for at, prices in db.session.execute(stmt)]


@dataclass(frozen=True)
class TradeRow:
    trade: Trade
    outcome_label: str
    trader_name: str


def market_trades(market_id: int, page: int = 1, per_page: int = 20) -> Page:
    """A page of TradeRow, newest first. The pager's total is the market's trade counter
    (kept by every trade), not a count of a hot market's thousands of trade rows."""
    market = require_market(market_id)
    stmt = (
        select(Trade, Outcome.label, User.display_name)
        .join(Outcome, Outcome.id == Trade.outcome_id)
        .join(User, User.id == Trade.user_id)
        .where(Trade.market_id == market_id)
        .order_by(Trade.id.desc())
    )
    listing = paginate(stmt, page, per_page, scalars=False, total=market.trade_count)
    listing.items = [TradeRow(t, label, name) for t, label, name in listing.items]
    return listing


@dataclass(frozen=True)
class EventRow:
    kind: str
    at: datetime
    note: str
    data: dict[str, Any]
    actor_name: str


def market_events(market_id: int) -> list[EventRow]:
    """The audit trail of a market (created, edited, resolved, voided), oldest first."""
    rows = db.session.execute(
        select(MarketEvent, User.display_name)
        .outerjoin(User, User.id == MarketEvent.actor_id)
        .where(MarketEvent.market_id == market_id).order_by(MarketEvent.id)
    )
    return [EventRow(e.kind, e.at, e.note, e.data or {}, name or "") for e, name in rows]


# --- ideas: the probability of a linked market ------------------------------------------


def settled_summary(status: str, outcome: str | None) -> str | None:
    """How a settled market ended, in words ("Resolved: Yes", "Voided"); None before."""
    if status == "resolved":
        return f"Resolved: {outcome}" if outcome else "Resolved"
    if status == "voided":
        return "Voided"
    return None


@dataclass(frozen=True)
class LinkedMarket:
    """What an idea's pages and the staff dashboard show of the idea's market. A
    settled market is no forecast: show :attr:`summary` ("Resolved: Yes", "Voided"),
    not the probability, when :attr:`is_settled`."""

    market_id: int
    question: str
    probability: float  # the price of the first outcome, 0..1 (the last, when settled)
    status: str  # the effective status: open, closed, resolved, voided
    outcome: str | None = None  # the winning outcome's label, once resolved

    @property
    def is_settled(self) -> bool:
        return self.status in SETTLED

    @property
    def summary(self) -> str:
        """"Resolved: Yes", "Voided", or the forecast ("33% likely")."""
        return (settled_summary(self.status, self.outcome)
                or f"{round(self.probability * 100)}% likely")


@dataclass
class _Linked:
    idea_id: int
    question: str
    liquidity: int
    status: str
    q: list[int]
    outcome: str | None = None


def linked_markets(idea_ids: Iterable[int]) -> dict[int, LinkedMarket]:
    """For each idea with a market: that market (an open one first, then the newest).

    One query for every idea at once.
    """
    ids = sorted({int(i) for i in idea_ids})
    if not ids:
        return {}
    rows = db.session.execute(
        select(Market.id, Market.idea_id, Market.question, Market.status, Market.closes_at,
               Market.liquidity, Market.resolved_outcome_id, Outcome.id, Outcome.label,
               Outcome.shares)
        .join(Outcome, Outcome.market_id == Market.id)
        .where(Market.idea_id.in_(ids))
        .order_by(Market.id, Outcome.position)
    ).all()
    grouped: dict[int, _Linked] = {}
    now = utcnow()
    for (market_id, idea_id, question, status, closes_at, liquidity, winner, outcome_id,
         label, shares) in rows:
        if idea_id is None:  # not matched by the query; for the type checker
            continue
        status = "closed" if status == "open" and closes_at and closes_at <= now else status
        entry = grouped.setdefault(market_id, _Linked(idea_id, question, liquidity, status, []))
        entry.q.append(shares)
        if outcome_id == winner and status == "resolved":
            entry.outcome = label
    best: dict[int, tuple[tuple[int, int], int, _Linked]] = {}
    for market_id, entry in grouped.items():
        rank = (_STATUS_RANK[entry.status], -market_id)
        if entry.idea_id not in best or rank < best[entry.idea_id][0]:
            best[entry.idea_id] = (rank, market_id, entry)
    return {
        idea_id: LinkedMarket(market_id, entry.question,
                              prices_of(entry.q, entry.liquidity)[0], entry.status,
                              entry.outcome)
        for idea_id, (_rank, market_id, entry) in best.items()
    }


# --- the books ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Books:
    """The invariants, checked from the database."""

    user_mismatches: dict[int, tuple[int, int]]  # user id -> (balance, ledger sum)
    maker_mismatches: dict[int, tuple[int, int]]  # market id -> (maker balance, ledger sum)
    q_mismatches: dict[int, tuple[int, int]]  # outcome id -> (q, Σ trade shares)
    users_total: int
    makers_total: int
    grants_total: int

    @property
    def balanced(self) -> bool:
        return (not self.user_mismatches and not self.maker_mismatches
                and not self.q_mismatches
                and self.users_total + self.makers_total == self.grants_total)


def _mismatches(stored: dict[int, int], sums: Mapping[Any, Any]
                ) -> dict[int, tuple[int, int]]:
    return {key: (value, int(sums.get(key) or 0)) for key, value in stored.items()
            if value != int(sums.get(key) or 0)}


def audit_books() -> Books:
    """Every balance equals its ledger, every q the sum of its trades, Σ accounts = Σ grants."""
    ledger_users = dict(db.session.execute(
        select(LedgerEntry.user_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.account == "user").group_by(LedgerEntry.user_id)
    ).all())
    balances = dict(db.session.execute(select(User.id, User.balance)).all())
    ledger_makers = dict(db.session.execute(
        select(LedgerEntry.market_id, func.sum(LedgerEntry.amount))
        .where(LedgerEntry.account == "market").group_by(LedgerEntry.market_id)
    ).all())
    makers = dict(db.session.execute(select(Market.id, Market.maker_balance)).all())
    traded = dict(db.session.execute(
        select(Trade.outcome_id, func.sum(Trade.shares)).group_by(Trade.outcome_id)
    ).all())
    q = dict(db.session.execute(select(Outcome.id, Outcome.shares)).all())
    grants = db.session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount), 0)).where(LedgerEntry.kind == "grant")
    )
    return Books(
        user_mismatches=_mismatches(balances, ledger_users),
        maker_mismatches=_mismatches(makers, ledger_makers),
        q_mismatches=_mismatches(q, traded),
        users_total=sum(balances.values()),
        makers_total=sum(makers.values()),
        grants_total=int(grants or 0),
    )
