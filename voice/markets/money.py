"""Exact money of the markets: the engine's floats turned into integers at one boundary.

Pure (the standard library, numpy, the engine ``lmsr`` and the unit constants of
``voice.units``): no Flask, no database. Points are integers in hundredths, shares
integers in millionths. With ``Decimal``:

- a charge is rounded UP to the hundredth (at least 0.01 for any buy), proceeds and
  payouts DOWN, after widening the float result by a bound on its error, so rounding
  can only ever favour the market maker;
- buying by spend rounds the shares DOWN to the millionth, then charges the cost of
  exactly those shares, rounded up (never more than the spend).

A position keeps its cost on average: a sale takes out the sold shares' part of the
cost basis and realises the difference. :func:`traded`, :func:`resolved` and
:func:`voided` say what each event adds to a position, as changes (deltas), which is
how the trade writer stores them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

import numpy as np
import numpy.typing as npt

from voice.markets import lmsr
from voice.units import POINT_UNIT, SHARE_UNIT

MAX_TRADE_SHARES = Decimal(1_000_000)  # shares in one trade
MAX_SPEND = Decimal(1_000_000)  # points in one trade
HUNDRED = Decimal(POINT_UNIT)
MILLION = Decimal(SHARE_UNIT)
_EPS = float(np.finfo(float).eps)

Vector = npt.NDArray[np.float64]


class Unpriceable(ValueError):
    """A trade the market cannot price; ``code`` and ``field`` as in the API's errors."""

    def __init__(self, message: str, code: str, field: str) -> None:
        super().__init__(message)
        self.message, self.code, self.field = message, code, field


# --- rounding -----------------------------------------------------------------------------


def round_up(value: float, error: float) -> int:
    """Hundredths ≥ value + its float error bound: a charge never falls short."""
    return int(((Decimal(value) + Decimal(error)) * HUNDRED).to_integral_value(ROUND_CEILING))


def round_down(value: float, error: float) -> int:
    """Hundredths ≤ value − its float error bound, never negative: proceeds never overpay."""
    amount = (Decimal(value) - Decimal(error)) * HUNDRED
    return max(0, int(amount.to_integral_value(rounding=ROUND_FLOOR)))


def error_bound(q: Vector, b: float, amount: float) -> float:
    """A generous bound on the float error of an engine result of size ``amount``."""
    scale = 1.0 + float(np.max(np.abs(q))) / b
    return 64 * _EPS * scale * (abs(amount) + b)


def value_of(shares: int, price: float) -> int:
    """The value in hundredths (rounded down) of ``shares`` millionths at ``price``."""
    return int((Decimal(shares) * Decimal(price) / 10_000).to_integral_value(ROUND_FLOOR))


def payout_of(shares: int) -> int:
    """What ``shares`` millionths of a winning outcome pay, in hundredths (rounded down)."""
    return shares // (SHARE_UNIT // POINT_UNIT)


# --- quotes -------------------------------------------------------------------------------


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


def prices_of(q_micro: Sequence[int], liquidity: int) -> list[float]:
    """The outcomes' prices for q (millionths) and b (hundredths)."""
    q = np.array(q_micro, dtype=float) / SHARE_UNIT
    return [float(p) for p in lmsr.prices(q, liquidity / POINT_UNIT)]


def _charge(q: Vector, b: float, index: int, shares: int) -> int:
    exact = lmsr.buy_cost(q, index, shares / SHARE_UNIT, b)
    return max(1, round_up(exact, error_bound(q, b, exact)))


def _bought_for(q: Vector, b: float, index: int, spend: int) -> tuple[int, int]:
    """The most shares ``spend`` hundredths buy, and their charge (at most ``spend``)."""
    shares = math.floor(lmsr.shares_for_spend(q, index, spend / POINT_UNIT, b) * SHARE_UNIT)
    if shares > MAX_TRADE_SHARES * SHARE_UNIT:
        raise Unpriceable("That spend buys more shares than one trade may move.",
                          "invalid_spend", "spend")
    cost = 0
    while shares > 0:
        cost = _charge(q, b, index, shares)
        if cost <= spend:
            break
        shares -= 1  # float error or the 0.01 minimum: one millionth fewer
    if shares <= 0:
        raise Unpriceable("That amount is too small to buy any shares.", "invalid_spend",
                          "spend")
    return shares, cost


def price_trade(q_micro: Sequence[int], liquidity: int, index: int, *,
                shares: int | None = None, spend: int | None = None,
                outcome_id: int = 0) -> Quote:
    """Quote a trade on a market state; integers in, integers out.

    ``shares`` (signed millionths) or ``spend`` (hundredths) says the size;
    :class:`Unpriceable` when neither, or when the size cannot be priced.
    """
    q = np.array(q_micro, dtype=float) / SHARE_UNIT
    b = liquidity / POINT_UNIT
    if spend is not None:
        shares, cost = _bought_for(q, b, index, spend)
    elif shares is not None and shares > 0:
        cost = _charge(q, b, index, shares)
    elif shares is not None and shares < 0:
        proceeds = lmsr.sell_proceeds(q, index, -shares / SHARE_UNIT, b)
        cost = -round_down(proceeds, error_bound(q, b, proceeds))
    else:
        raise Unpriceable("Say how many shares, or how much to spend.", "invalid_shares",
                          "shares")
    after = q.copy()
    after[index] += shares / SHARE_UNIT
    return Quote(
        outcome_id=outcome_id, index=index, shares=shares, cost=cost,
        prices_before=[float(p) for p in lmsr.prices(q, b)],
        prices_after=[float(p) for p in lmsr.prices(after, b)],
    )


# --- positions ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Holding:
    """A position as it stands (zeros for a trader who has none yet)."""

    shares: int = 0  # millionths held
    cost_basis: int = 0  # hundredths paid for them
    realised: int = 0
    settled_shares: int = 0


@dataclass(frozen=True)
class PositionChange:
    """What an event adds to a position's columns (each a signed change)."""

    shares: int = 0
    cost_basis: int = 0
    realised: int = 0
    net_spend: int = 0
    settled_shares: int = 0


def traded(quote: Quote, holding: Holding) -> PositionChange:
    """A buy adds its cost to the basis; a sale takes out the sold shares' part of the
    basis (average cost) and realises the difference. Net spend moves by the cost."""
    if quote.is_buy:
        basis, realised = quote.cost, 0
    else:
        sold = -quote.shares
        removed = (holding.cost_basis if sold == holding.shares
                   else holding.cost_basis * sold // holding.shares)
        basis, realised = -removed, -quote.cost - removed
    return PositionChange(shares=quote.shares, cost_basis=basis, realised=realised,
                          net_spend=quote.cost)


def resolved(holding: Holding, payout: int) -> PositionChange:
    """Settled on a resolution paying ``payout``: the shares become settled shares, the
    basis goes and the payout less the basis is realised."""
    return PositionChange(shares=-holding.shares, cost_basis=-holding.cost_basis,
                          realised=payout - holding.cost_basis,
                          settled_shares=holding.shares - holding.settled_shares)


def voided(holding: Holding, shortfall: int = 0) -> PositionChange:
    """Settled by voiding: nothing realised but the ``shortfall`` a clawback missed."""
    return PositionChange(shares=-holding.shares, cost_basis=-holding.cost_basis,
                          realised=shortfall - holding.realised,
                          settled_shares=holding.shares - holding.settled_shares)


@dataclass(frozen=True)
class VoidPlan:
    """What voiding moves: refunds (to users) and clawbacks (from them), in hundredths,
    and what could not be clawed back from each user."""

    refunds: dict[int, int] = field(default_factory=dict)
    clawbacks: dict[int, int] = field(default_factory=dict)
    shortfalls: dict[int, int] = field(default_factory=dict)

    @property
    def refunded(self) -> int:
        return sum(self.refunds.values())

    @property
    def clawed(self) -> int:
        return sum(self.clawbacks.values())

    @property
    def unrecovered(self) -> int:
        return sum(self.shortfalls.values())


def void_plan(net_spend: Mapping[int, int], balances: Mapping[int, int]) -> VoidPlan:
    """Each trader gets back their net spend (buys − sells); one who sold at a profit
    (net spend < 0) gives it back as far as their balance allows (never below zero)."""
    plan = VoidPlan()
    for user_id in sorted(net_spend):
        amount = net_spend[user_id]
        if amount > 0:
            plan.refunds[user_id] = amount
        elif amount < 0:
            take = min(-amount, max(balances.get(user_id, 0), 0))
            if take:
                plan.clawbacks[user_id] = take
            if -amount - take:
                plan.shortfalls[user_id] = -amount - take
    return plan
