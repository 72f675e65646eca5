"""Markets: create, quote, trade, resolve, void; positions, leaderboard; the starting grant.

Money is exact. Points are integers in hundredths, shares integers in millionths
(see ``voice.markets.models``). The engine (``lmsr``) works in floats; this module
turns its answers into integers at one boundary, with ``Decimal``:

- a charge is rounded UP to the hundredth (at least 0.01 for any buy), proceeds
  and payouts DOWN, after widening the float result by a bound on its error, so
  rounding can only ever favour the market maker;
- buying by spend rounds the shares DOWN to the millionth, then charges the cost
  of exactly those shares, rounded up (never more than the spend).

Every balance change is a ``LedgerEntry`` written with the balance, in the same
transaction, with the row locked. Lock order, always: the market row, then user
rows by ascending id, so two services never deadlock.
"""

from __future__ import annotations

import math
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, Decimal, InvalidOperation

import numpy as np
from flask import current_app
from sqlalchemy import Insert, Integer, and_, bindparam, func, insert, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value
from sqlalchemy.orm.util import identity_key

from voice import signals
from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import as_id, write_transaction
from voice.errors import Conflict, Forbidden, Invalid, NotFound
from voice.extensions import db
from voice.markets import lmsr
from voice.markets.models import (
    POINT_UNIT,
    SHARE_UNIT,
    LedgerEntry,
    Market,
    MarketEvent,
    Outcome,
    Position,
    PricePoint,
    Trade,
)
from voice.paging import Page, paginate

MAX_TRADE_SHARES = Decimal(1_000_000)  # shares in one trade
MAX_SPEND = Decimal(1_000_000)  # points in one trade
MIN_LIQUIDITY = Decimal(1)  # points
MAX_LIQUIDITY = Decimal(1_000_000)
MAX_QUESTION = 200
MAX_LABEL = 80
MAX_DESCRIPTION = 10_000
MAX_NOTE = 2_000
_EPS = np.finfo(float).eps
_HUNDRED = Decimal(POINT_UNIT)
_MILLION = Decimal(SHARE_UNIT)


# --- numbers in, numbers out ------------------------------------------------------------


def _decimal(value, field: str, what: str) -> Decimal:
    """A finite Decimal from a JSON number or form text; Invalid otherwise."""
    if isinstance(value, bool) or value is None:
        raise Invalid(f"{what} must be a number.", code=f"invalid_{field}", field=field)
    if isinstance(value, float | int):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str | Decimal):
        text = str(value).strip()
    else:
        raise Invalid(f"{what} must be a number.", code=f"invalid_{field}", field=field)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise Invalid(f"{what} must be a number.", code=f"invalid_{field}", field=field) from None
    if not number.is_finite():
        raise Invalid(f"{what} must be a finite number.", code=f"invalid_{field}", field=field)
    return number


def parse_shares(value, field: str = "shares", *, signed: bool = True) -> int:
    """Shares as signed millionths (a sale is negative); more decimals are cut off."""
    number = _decimal(value, field, "The number of shares")
    if abs(number) > MAX_TRADE_SHARES:
        raise Invalid(f"One trade moves at most {MAX_TRADE_SHARES:,} shares.",
                      code=f"invalid_{field}", field=field)
    micro = int((number * _MILLION).to_integral_value(rounding=ROUND_DOWN))
    if micro == 0 or (micro < 0 and not signed):
        raise Invalid("Enter a number of shares above zero (at least 0.000001).",
                      code=f"invalid_{field}", field=field)
    return micro


def parse_points(value, field: str, *, limit: Decimal = MAX_SPEND, what: str = "The amount"
                 ) -> int:
    """Points as hundredths, rounded down; must be positive and at most ``limit``."""
    number = _decimal(value, field, what)
    if number > limit:
        raise Invalid(f"{what} can be at most {limit:,} points.", code=f"invalid_{field}",
                      field=field)
    hundredths = int((number * _HUNDRED).to_integral_value(rounding=ROUND_DOWN))
    if hundredths <= 0:
        raise Invalid(f"{what} must be at least 0.01 points.", code=f"invalid_{field}",
                      field=field)
    return hundredths


def parse_limit(value, field: str) -> Decimal | None:
    """A trader's price limit (``max_cost`` / ``min_proceeds``) in points, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = _decimal(value, field, "The price limit")
    if number < 0:
        raise Invalid("The price limit cannot be negative.", code=f"invalid_{field}", field=field)
    return number


def _round_up(value: float, error: float) -> int:
    """Hundredths ≥ value + its float error bound: a charge never falls short."""
    return int(((Decimal(value) + Decimal(error)) * _HUNDRED).to_integral_value(ROUND_CEILING))


def _round_down(value: float, error: float) -> int:
    """Hundredths ≤ value − its float error bound, never negative: proceeds never overpay."""
    amount = (Decimal(value) - Decimal(error)) * _HUNDRED
    return max(0, int(amount.to_integral_value(rounding=ROUND_FLOOR)))


def value_of(shares: int, price: float) -> int:
    """The value in hundredths (rounded down) of ``shares`` millionths at ``price``."""
    return int((Decimal(shares) * Decimal(price) / 10_000).to_integral_value(ROUND_FLOOR))


def payout_of(shares: int) -> int:
    """What ``shares`` millionths of a winning outcome pay, in hundredths (rounded down)."""
    return shares // (SHARE_UNIT // POINT_UNIT)


# --- quotes -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Quote:
    outcome_id: int
    index: int
    shares: int  # signed millionths: > 0 buys, < 0 sells
    cost: int  # signed hundredths: > 0 paid, < 0 received
    prices_before: list[float]
    prices_after: list[float]

    @property
    def is_buy(self) -> bool:
        return self.shares > 0

    @property
    def average_price(self) -> float:
        """Points per share of this trade."""
        return abs(self.cost) / POINT_UNIT / (abs(self.shares) / SHARE_UNIT)

    @property
    def probability_after(self) -> float:
        return self.prices_after[self.index]

    @property
    def payout_if_wins(self) -> int:
        """Hundredths the bought shares pay if this outcome wins (0 for a sale)."""
        return payout_of(self.shares) if self.shares > 0 else 0


def _error_bound(q: np.ndarray, b: float, amount: float) -> float:
    """A generous bound on the float error of an engine result of size ``amount``."""
    scale = 1.0 + float(np.max(np.abs(q))) / b
    return 64 * _EPS * scale * (abs(amount) + b)


def price_trade(q_micro: list[int], liquidity: int, index: int, *, shares: int | None = None,
                spend: int | None = None, outcome_id: int = 0) -> Quote:
    """Quote a trade on a market state; integers in, integers out (pure, no database).

    ``shares`` (signed millionths) or ``spend`` (hundredths) says the size.
    """
    q = np.array(q_micro, dtype=float) / SHARE_UNIT
    b = liquidity / POINT_UNIT
    if spend is not None:
        exact = lmsr.shares_for_spend(q, index, spend / POINT_UNIT, b)
        shares = math.floor(exact * SHARE_UNIT)
        if shares > MAX_TRADE_SHARES * SHARE_UNIT:
            raise Invalid("That spend buys more shares than one trade may move.",
                          code="invalid_spend", field="spend")
        cost = 0
        while shares > 0:
            cost = _charge(q, b, index, shares)
            if cost <= spend:
                break
            shares -= 1  # float error or the 0.01 minimum: one millionth fewer
        if shares <= 0:
            raise Invalid("That amount is too small to buy any shares.", code="invalid_spend",
                          field="spend")
    elif shares is not None and shares > 0:
        cost = _charge(q, b, index, shares)
    elif shares is not None and shares < 0:
        proceeds = lmsr.sell_proceeds(q, index, -shares / SHARE_UNIT, b)
        cost = -_round_down(proceeds, _error_bound(q, b, proceeds))
    else:
        raise Invalid("Say how many shares, or how much to spend.", code="invalid_shares",
                      field="shares")
    after = q.copy()
    after[index] += shares / SHARE_UNIT
    return Quote(
        outcome_id=outcome_id, index=index, shares=shares, cost=cost,
        prices_before=[float(p) for p in lmsr.prices(q, b)],
        prices_after=[float(p) for p in lmsr.prices(after, b)],
    )


def _charge(q: np.ndarray, b: float, index: int, shares: int) -> int:
    exact = lmsr.buy_cost(q, index, shares / SHARE_UNIT, b)
    return max(1, _round_up(exact, _error_bound(q, b, exact)))


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
        return self.status == "open"


def effective_status(market: Market, now: datetime | None = None) -> str:
    if market.status == "open" and market.closes_at and market.closes_at <= (now or utcnow()):
        return "closed"
    return market.status


def _prices_of(market: Market, outcomes: list[Outcome]) -> list[float]:
    q = np.array([o.shares for o in outcomes], dtype=float) / SHARE_UNIT
    return [float(p) for p in lmsr.prices(q, market.b)]


def _views(markets: list[Market]) -> list[MarketView]:
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
    return [MarketView(m, by_market[m.id], _prices_of(m, by_market[m.id]),
                       effective_status(m, now)) for m in markets]


def get_market(market_id: int) -> MarketView:
    market = db.session.get(Market, market_id)
    if market is None:
        raise NotFound("No such market.")
    return _views([market])[0]


LIST_STATUSES = ("open", "closed", "resolved", "voided")


def _status_filter(status: str | None, now: datetime):
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
    listing.items = _views(listing.items)
    return listing


def _require_market(market_id: int) -> Market:
    """The market (from the session's identity map when a view already loaded it)."""
    market = db.session.get(Market, market_id)
    if market is None:
        raise NotFound("No such market.")
    return market


def price_history(market_id: int) -> list[PricePoint]:
    _require_market(market_id)
    return list(db.session.scalars(
        select(PricePoint).where(PricePoint.market_id == market_id).order_by(PricePoint.id)
    ))


def price_chart(market_id: int, limit: int) -> list[tuple[datetime, list[float]]]:
    """At most about ``limit`` (at, prices) points of the history, evenly thinned in SQL,
    the last one always kept. A hot market has a point per trade: loading them all made
    its page cost grow with its trades (370 ms after 3,000 trades, bench.profile)."""
    _require_market(market_id)
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
    market = _require_market(market_id)
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
    data: dict
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


@dataclass(frozen=True)
class LinkedMarket:
    market_id: int
    question: str
    probability: float  # the price of the first outcome, 0..1
    status: str


_STATUS_RANK = {"open": 0, "closed": 1, "resolved": 2, "voided": 3}


def linked_markets(idea_ids: list[int]) -> dict[int, LinkedMarket]:
    """For each idea with a market: that market (an open one first, then the newest).

    One query for every idea at once.
    """
    ids = sorted({int(i) for i in idea_ids})
    if not ids:
        return {}
    rows = db.session.execute(
        select(Market.id, Market.idea_id, Market.question, Market.status, Market.closes_at,
               Market.liquidity, Outcome.shares)
        .join(Outcome, Outcome.market_id == Market.id)
        .where(Market.idea_id.in_(ids))
        .order_by(Market.id, Outcome.position)
    ).all()
    grouped: dict[int, dict] = {}
    now = utcnow()
    for market_id, idea_id, question, status, closes_at, liquidity, shares in rows:
        entry = grouped.setdefault(market_id, {
            "idea_id": idea_id, "question": question, "liquidity": liquidity, "q": [],
            "status": "closed" if status == "open" and closes_at and closes_at <= now
            else status,
        })
        entry["q"].append(shares)
    best: dict[int, tuple] = {}
    for market_id, entry in grouped.items():
        rank = (_STATUS_RANK[entry["status"]], -market_id)
        if entry["idea_id"] not in best or rank < best[entry["idea_id"]][0]:
            best[entry["idea_id"]] = (rank, market_id, entry)
    result = {}
    for idea_id, (_rank, market_id, entry) in best.items():
        q = np.array(entry["q"], dtype=float) / SHARE_UNIT
        probability = float(lmsr.prices(q, entry["liquidity"] / POINT_UNIT)[0])
        result[idea_id] = LinkedMarket(market_id, entry["question"], probability,
                                       entry["status"])
    return result


# --- staff: create and edit ---------------------------------------------------------------


def _require_staff(actor: User) -> None:
    if actor is None or not actor.is_staff:
        raise Forbidden("Only staff manage markets.", code="forbidden")


def _clean_text(text, field: str, what: str, low: int, high: int) -> str:
    text = " ".join(str(text or "").split())
    if not low <= len(text) <= high:
        raise Invalid(f"{what} has {low} to {high} characters.", field=field)
    return text


def _clean_labels(outcomes) -> list[str]:
    if not isinstance(outcomes, list | tuple):
        raise Invalid("Give the outcomes as a list of labels.", code="invalid_outcomes",
                      field="outcomes")
    labels = [" ".join(str(label or "").split()) for label in outcomes]
    labels = [label for label in labels if label]
    if not lmsr.MIN_OUTCOMES <= len(labels) <= lmsr.MAX_OUTCOMES:
        raise Invalid(f"A market has {lmsr.MIN_OUTCOMES} to {lmsr.MAX_OUTCOMES} outcomes.",
                      code="invalid_outcomes", field="outcomes")
    if any(len(label) > MAX_LABEL for label in labels):
        raise Invalid(f"An outcome label has at most {MAX_LABEL} characters.",
                      code="invalid_outcomes", field="outcomes")
    if len({label.lower() for label in labels}) != len(labels):
        raise Invalid("Each outcome needs a different label.", code="invalid_outcomes",
                      field="outcomes")
    return labels


def liquidity_hundredths(liquidity=None, subsidy=None, n: int = 2) -> int:
    """b in hundredths from either b itself or the subsidy S (b = S / ln n)."""
    given = [v for v in (liquidity, subsidy) if v is not None and str(v).strip() != ""]
    if len(given) != 1:
        raise Invalid("Give the liquidity b or the subsidy, one of the two.",
                      code="invalid_liquidity", field="liquidity")
    if liquidity is not None and str(liquidity).strip() != "":
        b = _decimal(liquidity, "liquidity", "The liquidity")
    else:
        s = _decimal(subsidy, "subsidy", "The subsidy")
        if s <= 0:
            raise Invalid("The subsidy must be above zero.", code="invalid_subsidy",
                          field="subsidy")
        b = s / Decimal(math.log(n))
    if not MIN_LIQUIDITY <= b <= MAX_LIQUIDITY:
        raise Invalid(f"The liquidity b is between {MIN_LIQUIDITY} and {MAX_LIQUIDITY:,} "
                      "points.", code="invalid_liquidity", field="liquidity")
    return int((b * _HUNDRED).to_integral_value())


def _check_closes_at(closes_at: datetime | None, now: datetime) -> None:
    if closes_at is not None and closes_at <= now:
        raise Invalid("The close time must be in the future.", code="invalid_closes_at",
                      field="closes_at")


def _check_idea(idea_id) -> int | None:
    if idea_id is None or idea_id == "":
        return None
    from voice.ideas.models import Idea

    try:
        idea_id = as_id(int(idea_id))
    except (TypeError, ValueError):
        raise Invalid("No such idea.", code="invalid_idea", field="idea_id") from None
    if isinstance(idea_id, bool) or db.session.get(Idea, idea_id) is None:
        raise Invalid("No such idea.", code="invalid_idea", field="idea_id")
    return idea_id


def _clean_wording(question, description, outcomes) -> tuple[str, str, list[str]]:
    """The question, description and outcome labels of a new or edited market, checked."""
    question = _clean_text(question, "question", "A question", 5, MAX_QUESTION)
    description = str(description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"A description has at most {MAX_DESCRIPTION} characters.",
                      field="description")
    return question, description, _clean_labels(outcomes)


def create_market(actor: User, question: str, outcomes: list[str], *, liquidity=None,
                  subsidy=None, description: str = "", closes_at: datetime | None = None,
                  idea_id: int | None = None, now: datetime | None = None) -> Market:
    """Open a market (staff). ``liquidity`` b or ``subsidy`` b·ln n, in points."""
    _require_staff(actor)
    now = now or utcnow()
    question, description, labels = _clean_wording(question, description, outcomes)
    b = liquidity_hundredths(liquidity, subsidy, len(labels))
    _check_closes_at(closes_at, now)
    with write_transaction():
        idea_id = _check_idea(idea_id)
        market = Market(question=question, description=description, status="open",
                        liquidity=b, closes_at=closes_at, idea_id=idea_id,
                        created_by_id=actor.id, created_at=now, maker_balance=0)
        db.session.add(market)
        db.session.flush()
        for position, label in enumerate(labels):
            db.session.add(Outcome(market_id=market.id, position=position, label=label,
                                   shares=0))
        db.session.add(PricePoint(market_id=market.id, at=now,
                                  prices=[round(1 / len(labels), 6)] * len(labels)))
        db.session.add(MarketEvent(market_id=market.id, kind="created", actor_id=actor.id,
                                   at=now, data={"liquidity": b, "outcomes": labels}))
        signals.staff_acted.send(actor, action="market.create", target_type="market",
                                 target_id=market.id, detail=question[:200])
    return market


def _lock_market(market_id: int) -> Market:
    market = db.session.scalar(
        select(Market).where(Market.id == market_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if market is None:
        raise NotFound("No such market.")
    return market


def _outcomes(market_id: int) -> list[Outcome]:
    return list(db.session.scalars(
        select(Outcome).where(Outcome.market_id == market_id).order_by(Outcome.position)
        .execution_options(populate_existing=True)
    ))


def edit_market(actor: User, market_id: int, *, question: str, outcomes: list[str],
                description: str = "", closes_at: datetime | None = None,
                now: datetime | None = None) -> Market:
    """Change the wording (question, description, labels) before the first trade, and the
    close time while the market is unsettled."""
    _require_staff(actor)
    now = now or utcnow()
    question, description, labels = _clean_wording(question, description, outcomes)
    with write_transaction():
        market = _lock_market(market_id)
        if market.status in ("resolved", "voided"):
            raise Conflict("A settled market cannot be edited.", code="market_settled")
        current = _outcomes(market.id)
        wording_changed = (question != market.question or description != market.description
                           or labels != [o.label for o in current])
        if wording_changed and market.trade_count > 0:
            raise Conflict("The wording is fixed once someone has traded.",
                           code="market_has_trades", field="question")
        if len(labels) != len(current):
            raise Invalid("The number of outcomes is fixed when the market opens.",
                          code="invalid_outcomes", field="outcomes")
        if closes_at != market.closes_at:
            _check_closes_at(closes_at, now)
        before = {"question": market.question, "outcomes": [o.label for o in current],
                  "closes_at": market.closes_at.isoformat() if market.closes_at else None}
        market.question, market.description, market.closes_at = question, description, closes_at
        for outcome, label in zip(current, labels, strict=True):
            outcome.label = label
        db.session.add(MarketEvent(market_id=market.id, kind="edited", actor_id=actor.id,
                                   at=now, data={"before": before}))
        signals.staff_acted.send(actor, action="market.edit", target_type="market",
                                 target_id=market.id, detail=question[:200])
    return market


# --- trading ----------------------------------------------------------------------------


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


def _lock_user(user_id: int) -> User:
    user = db.session.scalar(
        select(User).where(User.id == user_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if user is None:
        raise NotFound("No such user.")
    return user


def _ledger(amount: int, kind: str, *, user: User | None = None, market: Market,
            trade: Trade | None = None, now: datetime, note: str = "") -> None:
    """Move ``amount`` to the user (or, with user None, to the market maker) with its row."""
    if user is not None:
        user.balance += amount
        db.session.add(LedgerEntry(account="user", user_id=user.id, market_id=market.id,
                                   trade_id=trade.id if trade else None, amount=amount,
                                   kind=kind, note=note, created_at=now))
    else:
        market.maker_balance += amount
        db.session.add(LedgerEntry(account="market", market_id=market.id,
                                   trade_id=trade.id if trade else None, amount=amount,
                                   kind=kind, note=note, created_at=now))


def _index_of(outcome_ids: list[int], outcome_id) -> int | None:
    """The position of ``outcome_id`` (any input) among the market's outcomes, or None."""
    try:
        outcome_id = int(outcome_id)
    except (TypeError, ValueError):
        return None
    for index, candidate in enumerate(outcome_ids):
        if candidate == outcome_id:
            return index
    return None


def _outcome_index(outcomes: list[Outcome], outcome_id) -> int:
    index = _index_of([o.id for o in outcomes], outcome_id)
    if index is None:
        raise Invalid("That outcome is not part of this market.", code="invalid_outcome",
                      field="outcome_id")
    return index


def quote(market_id: int, outcome_id, *, shares: int | None = None,
          spend: int | None = None) -> Quote:
    """Price a trade on the market as it is now (no lock, no holdings check)."""
    market = db.session.get(Market, market_id)
    if market is None:
        raise NotFound("No such market.")
    outcomes = _outcomes(market.id)
    index = _outcome_index(outcomes, outcome_id)
    return price_trade([o.shares for o in outcomes], market.liquidity, index, shares=shares,
                       spend=spend, outcome_id=outcomes[index].id)


def trade(user_id: int, market_id: int, outcome_id, *, shares: int | None = None,
          spend: int | None = None, sell_all: bool = False, max_cost: Decimal | None = None,
          min_proceeds: Decimal | None = None, now: datetime | None = None) -> TradeResult:
    """Buy or sell one outcome in one transaction.

    ``shares`` signed millionths (negative sells), or ``spend`` hundredths, or
    ``sell_all``. ``max_cost``/``min_proceeds`` (points) are the trader's limits.

    Two reads (the market with its outcomes, then the trader with their position, locked
    in that order) and Core writes, one statement each: the trade, both ledger rows, the
    balance, the market's maker balance and counters, q, the position (an upsert) and
    the price point.
    """
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
    with write_transaction():
        now = now or utcnow()
        db.session.flush()  # an enclosing transaction's changes first: Core does not autoflush
        market, outcome_ids, q = _lock_market_for_trade(market_id)
        if effective_status(market, now) != "open":
            raise Conflict("This market is not open for trading.", code="market_not_open")
        index = _index_of(outcome_ids, outcome_id)
        trader = _lock_trader(user_id, outcome_ids[index] if index is not None else 0)
        if trader.role != "customer" or not trader.active:
            raise Forbidden("Staff set and resolve the questions; only customers trade.",
                            code="forbidden")
        if index is None:
            raise Invalid("That outcome is not part of this market.", code="invalid_outcome",
                          field="outcome_id")
        if sell_all:
            if trader.held <= 0:
                raise Conflict("You hold no shares of this outcome.",
                               code="insufficient_shares")
            shares = -trader.held
        if spend is not None and spend > trader.balance:
            raise Conflict("You cannot spend more than your balance.",
                           code="insufficient_balance", field="spend")
        if shares is not None and shares < 0 and -shares > trader.held:
            raise Conflict("You cannot sell more shares than you hold.",
                           code="insufficient_shares", field="shares")
        quoted = price_trade(q, market.liquidity, index, shares=shares, spend=spend,
                             outcome_id=outcome_ids[index])
        _check_limits(quoted, trader.balance, max_cost, min_proceeds)
        record = _record_trade(market, trader, quoted, now)
        signals.market_traded.send(market, trade=record, prices_before=quoted.prices_before,
                                   prices_after=quoted.prices_after)
        result = TradeResult(record, trader.balance - quoted.cost, quoted.prices_after, quoted)
    return result


@dataclass(frozen=True)
class _Trader:
    """The trader's row, locked, and their position in the traded outcome (zeros if none)."""

    id: int
    balance: int
    role: str
    active: bool
    position_id: int | None
    held: int  # millionths
    cost_basis: int  # hundredths


_markets = Market.__table__
_outcomes_table = Outcome.__table__
_MARKET_KEYS = tuple(column.key for column in _markets.columns)
_LOCK_MARKET_FOR_TRADE = (
    select(_markets, _outcomes_table.c.id, _outcomes_table.c.shares)
    .join_from(_markets, _outcomes_table, _outcomes_table.c.market_id == _markets.c.id)
    .where(_markets.c.id == bindparam("market_id", type_=Integer))
    .order_by(_outcomes_table.c.position)
    .with_for_update()
)


def _lock_market_for_trade(market_id: int) -> tuple[Market, list[int], list[int]]:
    """The market with its outcomes' ids and q, all rows locked, in one Core statement.

    On PostgreSQL ``FOR UPDATE`` without ``OF`` locks the outcome rows as well. That is
    what keeps q right: a statement that waited for another trade's lock returns the rows
    it locked as that trade committed them, but rows of a table it did not lock as they
    were before the wait. The market comes back as a complete, detached ``Market`` (the
    sender of ``market_traded``); loading it through the ORM cost ~0.2 ms more.
    """
    rows = db.session.connection().execute(
        _LOCK_MARKET_FOR_TRADE, {"market_id": as_id(market_id)}).all()
    if not rows:
        raise NotFound("No such market.")
    width = len(_MARKET_KEYS)
    market = Market(**dict(zip(_MARKET_KEYS, rows[0][:width], strict=True)))
    make_transient_to_detached(market)
    return market, [row[width] for row in rows], [row[width + 1] for row in rows]


_users = User.__table__
_positions = Position.__table__
_LOCK_TRADER = (
    select(_users.c.id, _users.c.balance, _users.c.role, _users.c.active, _positions.c.id,
           _positions.c.shares, _positions.c.cost_basis)
    .select_from(_users.outerjoin(_positions, and_(
        _positions.c.user_id == _users.c.id,
        _positions.c.outcome_id == bindparam("outcome_id", type_=Integer))))
    .where(_users.c.id == bindparam("user_id", type_=Integer))
    .with_for_update(of=_users)
)


def _lock_trader(user_id: int, outcome_id: int) -> _Trader:
    """The trader's row, locked after the market's (the lock order), with their position.

    The position row needs no lock of its own: every change of it holds the market's
    lock, which this transaction has, so what this statement reads stays true to the end.
    """
    row = db.session.connection().execute(
        _LOCK_TRADER, {"user_id": as_id(user_id), "outcome_id": outcome_id}).first()
    if row is None:
        raise NotFound("No such user.")
    user_id, balance, role, active, position_id, held, cost_basis = row
    return _Trader(user_id, balance, role, active, position_id, held or 0, cost_basis or 0)


def _check_limits(quoted: Quote, balance: int, max_cost: Decimal | None,
                  min_proceeds: Decimal | None) -> None:
    """The trader's price limit and, for a buy, their balance."""
    cost = quoted.cost
    if quoted.is_buy:
        if max_cost is not None and Decimal(cost) / _HUNDRED > max_cost:
            raise PriceMoved("The price moved: this buy now costs more than your limit. "
                             "Here is a fresh quote.", quoted)
        if cost > balance:
            raise Conflict("Your balance does not cover this trade.",
                           code="insufficient_balance", field="shares")
    elif min_proceeds is not None and Decimal(-cost) / _HUNDRED < min_proceeds:
        raise PriceMoved("The price moved: this sale now returns less than your limit. "
                         "Here is a fresh quote.", quoted)


_INSERT_TRADE = insert(Trade.__table__)
_INSERT_LEDGER = insert(LedgerEntry.__table__)
_INSERT_PRICE_POINT = insert(PricePoint.__table__)
_CHANGE_BALANCE = (
    update(_users).where(_users.c.id == bindparam("p_user"))
    .values(balance=_users.c.balance + bindparam("p_amount"))
)
_MARKET_TRADED = (
    update(_markets).where(_markets.c.id == bindparam("p_market"))
    .values(maker_balance=_markets.c.maker_balance + bindparam("p_cost"),
            trade_count=_markets.c.trade_count + 1,
            volume=_markets.c.volume + bindparam("p_volume"))
)
_MOVE_Q = (
    update(_outcomes_table).where(_outcomes_table.c.id == bindparam("p_outcome"))
    .values(shares=_outcomes_table.c.shares + bindparam("p_shares"))
)
_POSITION_SUMS = ("shares", "cost_basis", "realised", "net_spend")
_MARKET_SUMS = ("maker_balance", "trade_count", "volume")
_UPSERT_POSITION: dict[str, Insert] = {}


def _upsert_position(dialect: str) -> Insert:
    """INSERT a position, or add to the one (user, outcome) has: one statement either way.

    The values are changes, so a new position starts from them and an existing one
    adds them up in the database.
    """
    stmt = _UPSERT_POSITION.get(dialect)
    if stmt is None:
        new = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(_positions)
        stmt = new.on_conflict_do_update(
            index_elements=[_positions.c.user_id, _positions.c.outcome_id],
            set_={name: _positions.c[name] + new.excluded[name] for name in _POSITION_SUMS},
        )
        _UPSERT_POSITION[dialect] = stmt
    return stmt


def _position_change(quoted: Quote, trader: _Trader) -> dict[str, int]:
    """What the trade adds to the position: a buy adds its cost to the basis; a sale takes
    out the sold shares' share of the basis (average cost) and realises the difference."""
    if quoted.is_buy:
        basis, realised = quoted.cost, 0
    else:
        sold = -quoted.shares
        removed = (trader.cost_basis if sold == trader.held
                   else trader.cost_basis * sold // trader.held)
        basis, realised = -removed, -quoted.cost - removed
    return {"shares": quoted.shares, "cost_basis": basis, "realised": realised,
            "net_spend": quoted.cost, "settled_shares": 0}


def _record_trade(market: Market, trader: _Trader, quoted: Quote, now: datetime) -> Trade:
    """Write the trade and everything it changes; the trade comes back detached, complete."""
    connection = db.session.connection()
    index, cost, outcome_id = quoted.index, quoted.cost, quoted.outcome_id
    values = {"market_id": market.id, "outcome_id": outcome_id, "user_id": trader.id,
              "shares": quoted.shares, "cost": cost, "created_at": now,
              "price_before": quoted.prices_before[index],
              "price_after": quoted.prices_after[index]}
    trade_id = connection.execute(_INSERT_TRADE, values).inserted_primary_key[0]
    entry = {"market_id": market.id, "trade_id": trade_id, "kind": "trade", "note": "",
             "created_at": now}
    connection.execute(_INSERT_LEDGER, [
        {**entry, "account": "user", "user_id": trader.id, "amount": -cost},
        {**entry, "account": "market", "user_id": None, "amount": cost},
    ])
    connection.execute(_CHANGE_BALANCE, {"p_user": trader.id, "p_amount": -cost})
    connection.execute(_MARKET_TRADED,
                       {"p_market": market.id, "p_cost": cost, "p_volume": abs(cost)})
    connection.execute(_MOVE_Q, {"p_outcome": outcome_id, "p_shares": quoted.shares})
    connection.execute(_upsert_position(connection.dialect.name),
                       {"user_id": trader.id, "market_id": market.id, "outcome_id": outcome_id,
                        **_position_change(quoted, trader)})
    connection.execute(_INSERT_PRICE_POINT, {
        "market_id": market.id, "at": now,
        "prices": [round(p, 6) for p in quoted.prices_after]})
    _keep_session_in_step(market, trader, outcome_id, cost)
    record = Trade(id=trade_id, **values)
    make_transient_to_detached(record)
    return record


def _keep_session_in_step(market: Market, trader: _Trader, outcome_id: int, cost: int) -> None:
    """The market object sent with the signal, and any object of these rows the session
    already holds (loaded earlier in an enclosing transaction), show what the UPDATEs wrote:
    the first is set, the others are expired, to be read again if used."""
    set_committed_value(market, "maker_balance", market.maker_balance + cost)
    set_committed_value(market, "trade_count", market.trade_count + 1)
    set_committed_value(market, "volume", market.volume + abs(cost))
    session = db.session()
    for model, ident, names in ((Market, market.id, _MARKET_SUMS),
                                (User, trader.id, ("balance",)),
                                (Outcome, outcome_id, ("shares",)),
                                (Position, trader.position_id, _POSITION_SUMS)):
        loaded = session.identity_map.get(identity_key(model, ident)) if ident else None
        if loaded is not None:
            session.expire(loaded, names)


# --- settlement -------------------------------------------------------------------------


def _settle_start(actor: User, market_id: int) -> tuple[Market, list[Outcome], list[Position],
                                                       dict[int, User]]:
    _require_staff(actor)
    market = _lock_market(market_id)
    if market.status == "resolved":
        raise Conflict("This market is already resolved.", code="market_settled")
    if market.status == "voided":
        raise Conflict("This market was voided.", code="market_settled")
    positions = list(db.session.scalars(
        select(Position).where(Position.market_id == market.id)
        .order_by(Position.user_id, Position.outcome_id)
        .execution_options(populate_existing=True)
    ))
    user_ids = sorted({p.user_id for p in positions})
    users = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_(user_ids)).order_by(User.id).with_for_update()
        .execution_options(populate_existing=True)
    )} if user_ids else {}
    return market, _outcomes(market.id), positions, users


def _clean_note(note) -> str:
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        raise Invalid(f"A note has at most {MAX_NOTE} characters.", field="note")
    return note


def resolve_market(actor: User, market_id: int, outcome_id, note: str = "",
                   now: datetime | None = None) -> Market:
    """Settle on the winning outcome: each winning share pays 1 point from the maker."""
    note = _clean_note(note)
    with write_transaction():
        now = now or utcnow()
        market, outcomes, positions, users = _settle_start(actor, market_id)
        winner = outcomes[_outcome_index(outcomes, outcome_id)]
        paid = 0
        for position in positions:
            payout = payout_of(position.shares) if position.outcome_id == winner.id else 0
            if payout:
                _ledger(payout, "payout", user=users[position.user_id], market=market, now=now)
                _ledger(-payout, "payout", market=market, now=now)
                paid += payout
            position.realised += payout - position.cost_basis
            position.cost_basis = 0
            position.settled_shares, position.shares = position.shares, 0
        market.status = "resolved"
        market.resolved_outcome_id = winner.id
        market.resolved_at, market.resolved_by_id, market.resolution_note = now, actor.id, note
        db.session.add(MarketEvent(market_id=market.id, kind="resolved", actor_id=actor.id,
                                   note=note, at=now,
                                   data={"outcome_id": winner.id, "paid": paid}))
        signals.market_resolved.send(market, outcome=winner, note=note, actor=actor)
        _notify_traders(
            users.values(), "market_resolved", f"Market resolved: {market.question}",
            f"The market resolved to “{winner.label}”. Each winning share paid 1 point."
            + (f"\n\n{note}" if note else ""), market,
        )
    return market


def void_market(actor: User, market_id: int, note: str = "",
                now: datetime | None = None) -> Market:
    """Cancel the market: each trader gets back their net spend (buys − sells).

    A trader who sold at a profit (net spend < 0) gives that profit back, as far as
    their balance allows (never below zero); what cannot be recovered is recorded
    on the market and in the audit event.
    """
    note = _clean_note(note)
    with write_transaction():
        now = now or utcnow()
        market, _outcomes_, positions, users = _settle_start(actor, market_id)
        net: dict[int, int] = defaultdict(int)
        first: dict[int, Position] = {}
        for position in positions:
            net[position.user_id] += position.net_spend
            first.setdefault(position.user_id, position)
            position.realised = 0
            position.cost_basis = 0
            position.settled_shares, position.shares = position.shares, 0
        refunded = clawed = unrecovered = 0
        shortfalls = {}
        for user_id in sorted(net):
            amount, user = net[user_id], users[user_id]
            if amount > 0:
                _ledger(amount, "refund", user=user, market=market, now=now)
                _ledger(-amount, "refund", market=market, now=now)
                refunded += amount
            elif amount < 0:
                take = min(-amount, max(user.balance, 0))
                if take:
                    _ledger(-take, "clawback", user=user, market=market, now=now)
                    _ledger(take, "clawback", market=market, now=now)
                    clawed += take
                if -amount - take:
                    shortfalls[str(user_id)] = -amount - take
                    unrecovered += -amount - take
                    first[user_id].realised = -amount - take
        market.unrecovered = unrecovered
        market.status = "voided"
        market.resolved_at, market.resolved_by_id, market.resolution_note = now, actor.id, note
        db.session.add(MarketEvent(market_id=market.id, kind="voided", actor_id=actor.id,
                                   note=note, at=now,
                                   data={"refunded": refunded, "clawed_back": clawed,
                                         "unrecovered": unrecovered,
                                         "shortfalls": shortfalls}))
        signals.market_voided.send(market, note=note, actor=actor)
        _notify_traders(
            users.values(), "market_voided", f"Market voided: {market.question}",
            "The market was cancelled: each trader gets back what they spent on it, and "
            "profits from sales are taken back." + (f"\n\n{note}" if note else ""), market,
        )
    return market


def _notify_traders(users, kind: str, subject: str, body: str, market: Market) -> None:
    from voice.loop.service import notify

    notify(list(users), kind=kind, subject=subject[:200], body=body,
           link=f"/markets/{market.id}")


# --- closing an account -------------------------------------------------------------------


def settle_positions_of(user_id: int, now: datetime | None = None) -> list[Trade]:
    """Sell every share ``user_id`` holds in an unsettled market back to its market maker,
    at the market's own current price (LMSR proceeds, rounded down), for account deletion.

    Each sale is an ordinary trade (trade row, ledger rows for the user and the maker, q,
    position, price point), so the books stay balanced. Markets already resolved or voided
    hold no shares. Joins the caller's transaction. Lock order as everywhere: the markets
    (ascending id), then the user.
    """
    trades: list[Trade] = []
    with write_transaction():
        now = now or utcnow()

        def held_markets() -> set[int]:
            return set(db.session.scalars(
                select(Position.market_id).where(Position.user_id == user_id,
                                                 Position.shares > 0)
            ))

        locked: dict[int, Market] = {}
        for market_id in sorted(held_markets()):
            locked[market_id] = _lock_market(market_id)
        user = _lock_user(user_id)
        for market_id in sorted(held_markets() - set(locked)):  # bought meanwhile
            locked[market_id] = _lock_market(market_id)
        for market_id in sorted(locked):
            market = locked[market_id]
            if market.status in ("resolved", "voided"):
                continue
            outcomes = _outcomes(market.id)
            positions = list(db.session.scalars(
                select(Position).where(Position.user_id == user.id,
                                       Position.market_id == market.id, Position.shares > 0)
                .order_by(Position.outcome_id).execution_options(populate_existing=True)
            ))
            for position in positions:
                index = _outcome_index(outcomes, position.outcome_id)
                outcome = outcomes[index]
                quoted = price_trade([o.shares for o in outcomes], market.liquidity, index,
                                     shares=-position.shares, outcome_id=outcome.id)
                record = Trade(market_id=market.id, outcome_id=outcome.id, user_id=user.id,
                               shares=quoted.shares, cost=quoted.cost, created_at=now,
                               price_before=quoted.prices_before[index],
                               price_after=quoted.prices_after[index])
                db.session.add(record)
                db.session.flush()
                note = "Account closed: position sold at the current price"
                _ledger(-quoted.cost, "trade", user=user, market=market, trade=record,
                        now=now, note=note)
                _ledger(quoted.cost, "trade", market=market, trade=record, now=now, note=note)
                outcome.shares += quoted.shares
                position.realised += -quoted.cost - position.cost_basis
                position.cost_basis = 0
                position.shares = 0
                position.net_spend += quoted.cost
                market.trade_count += 1
                market.volume += abs(quoted.cost)
                db.session.add(PricePoint(market_id=market.id, at=now,
                                          prices=[round(p, 6) for p in quoted.prices_after]))
                signals.market_traded.send(market, trade=record,
                                           prices_before=quoted.prices_before,
                                           prices_after=quoted.prices_after)
                trades.append(record)
    return trades


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
    views = {v.id: v for v in _views(markets)}
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


def leaderboard(page: int = 1, per_page: int = 20) -> Page:
    """Customers by net worth (balance + open positions at current prices)."""
    customers = db.session.execute(
        select(User.id, User.display_name, User.balance)
        .where(User.role == "customer", User.active.is_(True))
    ).all()
    held = db.session.execute(
        select(Position.user_id, Position.market_id, Position.outcome_id, Position.shares)
        .where(Position.shares > 0)
    ).all()
    holdings: dict[int, int] = defaultdict(int)
    if held:
        markets = list(db.session.scalars(
            select(Market).where(Market.id.in_({row.market_id for row in held}))
        ))
        price_of = {}
        for view in _views(markets):
            for outcome, price in view.rows:
                price_of[outcome.id] = price
        for row in held:
            holdings[row.user_id] += value_of(row.shares, price_of[row.outcome_id])
    ordered = sorted(customers, key=lambda c: (-(c.balance + holdings[c.id]), c.id))
    start = (page - 1) * per_page
    items = [
        LeaderRow(start + n + 1, c.id, c.display_name, c.balance, holdings[c.id])
        for n, c in enumerate(ordered[start:start + per_page])
    ]
    return Page(items=items, page=page, per_page=per_page, total=len(ordered))


# --- the starting grant -----------------------------------------------------------------


@signals.user_registered.connect
def grant_starting_balance(user: User, **_extra) -> None:
    """Every new customer gets VOICE_STARTING_BALANCE points, with its ledger row.

    Runs inside the registering transaction; staff and admins get nothing.
    """
    if user.role != "customer":
        return
    amount = int(current_app.config.get("STARTING_BALANCE", 1000)) * POINT_UNIT
    if amount <= 0:
        return
    locked = _lock_user(user.id)
    locked.balance = (locked.balance or 0) + amount
    db.session.add(LedgerEntry(account="user", user_id=locked.id, amount=amount, kind="grant",
                               note="Starting balance", created_at=utcnow()))


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
        user_mismatches={u: (b, int(ledger_users.get(u) or 0)) for u, b in balances.items()
                         if b != int(ledger_users.get(u) or 0)},
        maker_mismatches={m: (b, int(ledger_makers.get(m) or 0)) for m, b in makers.items()
                          if b != int(ledger_makers.get(m) or 0)},
        q_mismatches={o: (s, int(traded.get(o) or 0)) for o, s in q.items()
                      if s != int(traded.get(o) or 0)},
        users_total=sum(balances.values()),
        makers_total=sum(makers.values()),
        grants_total=int(grants or 0),
    )
