"""Exact money of the markets: the engine's floats turned into integers at one boundary.

Pure (the standard library, numpy, the engine ``lmsr`` and the unit constants of
``voice.units``): no Flask, no database. Points are integers in hundredths, shares
integers in millionths.

- **Rounding.** A charge is the exact cost rounded UP to the hundredth (at least 0.01
  for any buy, and never above one point per share), proceeds the exact proceeds
  rounded DOWN: never in the trader's favour. The engine's float result is widened by
  its proven error bound (``lmsr.cost_with_error``: a few ulps of the magnitudes
  involved, checked against 60-digit decimals in tests/test_markets_money.py) and
  rounded in exact rationals, so the result differs from rounding the exact value only
  when that value lies within the bound (~1e-10 of a point at most) of a hundredth,
  and then in the market maker's favour. The engine is given q shifted, in exact
  integers, so the outcome traded is at 0 (:func:`_shifted`).
- **Buying by spend** buys the most millionths whose charge fits the spend: the closed
  form gives a guess and :func:`largest_fitting` a bounded search on the integer
  millionths (at most 61 engine evaluations, two when the guess is right), at every b
  and every state.
- **Voiding** (:func:`void_plan`) refunds each trader's net spend or claws it back in
  full. A clawback larger than the balance leaves the balance negative: a debt on the
  ledger (the clawback row), shown on the trader's positions page, that their next
  income (sales, payouts) repays; while it lasts they cannot buy. So a void leaves
  every trader exactly where their net spend says, whatever they did with the money
  since, and the market maker at zero on the market.

A position keeps its cost on average: a sale takes out the sold shares' part of the
cost basis and realises the difference. :func:`traded`, :func:`resolved` and
:func:`voided` say what each event adds to a position, as changes (deltas), which is
how the trade writer stores them.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from voice.markets import lmsr
from voice.units import POINT_UNIT, SHARE_UNIT

MAX_TRADE_SHARES = Decimal(1_000_000)  # shares in one trade
MAX_SPEND = Decimal(1_000_000)  # points in one trade
HUNDRED = Decimal(POINT_UNIT)
MILLION = Decimal(SHARE_UNIT)

Vector = npt.NDArray[np.float64]


class Unpriceable(ValueError):
    """A trade the market cannot price; ``code`` and ``field`` as in the API's errors."""

    def __init__(self, message: str, code: str, field: str) -> None:
        super().__init__(message)
        self.message, self.code, self.field = message, code, field


# --- rounding -----------------------------------------------------------------------------


def round_up(value: float, error: float) -> int:
    """Hundredths ≥ value + its float error bound (exact rational arithmetic): a charge
    never falls short of the exact cost."""
    return math.ceil((Fraction(value) + Fraction(error)) * POINT_UNIT)


def round_down(value: float, error: float) -> int:
    """Hundredths ≤ value − its float error bound, never negative: proceeds never overpay."""
    return max(0, math.floor((Fraction(value) - Fraction(error)) * POINT_UNIT))


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
    """A buy of ``shares`` millionths: its exact cost rounded up, at least 0.01, and never
    above one point per share (each share costs less than 1; the float result near a
    price of 1 may not show it)."""
    exact, error = lmsr.cost_with_error(q, index, shares / SHARE_UNIT, b)
    at_most = -(-shares // (SHARE_UNIT // POINT_UNIT))  # the shares in hundredths, up
    return max(1, min(round_up(exact, error), at_most))


def _proceeds(q: Vector, b: float, index: int, shares: int) -> int:
    """What selling ``shares`` (> 0) millionths returns: the exact proceeds rounded down."""
    exact, error = lmsr.cost_with_error(q, index, -shares / SHARE_UNIT, b)
    return round_down(-exact, error)


GALLOP = 20  # probes outward from the closed form's guess, before plain bisection


def largest_fitting(fits: Callable[[int], bool], guess: int, top: int) -> int:
    """The largest n in 0..top with ``fits(n)``, for a ``fits`` that holds at 0 (not
    asked) and, past some n, no more; ``guess`` is where to start looking.

    Probes 1, 2, 4... away from the guess (at most GALLOP), then bisects what is left:
    at most 1 + GALLOP + ⌈log2(top + 1)⌉ calls of ``fits`` (61 for a million shares in
    millionths), and two when the guess is right.
    """
    lo, hi = 0, top + 1  # fits(lo); not fits(hi), by definition
    guess = min(max(guess, 0), top)
    if guess > 0 and fits(guess):
        lo = guess
    elif guess > 0:
        hi = guess
    upward = lo == guess
    step = 1
    for _ in range(GALLOP):
        probe = lo + step if upward else hi - step
        if not lo < probe < hi:
            break
        if fits(probe):
            lo = probe
            if not upward:
                break
        else:
            hi = probe
            if upward:
                break
        step *= 2
    while hi - lo > 1:
        middle = (lo + hi) // 2
        if fits(middle):
            lo = middle
        else:
            hi = middle
    return lo


def _bought_for(q: Vector, b: float, index: int, spend: int) -> tuple[int, int]:
    """The most shares ``spend`` hundredths buy, and their charge (at most ``spend``).

    The closed form (``lmsr.shares_for_spend``) gives the guess; a bounded search on the
    integer millionths (:func:`largest_fitting`) finds the exact answer, at every b and
    every state.
    """
    cap = int(MAX_TRADE_SHARES * MILLION)
    estimate = lmsr.shares_for_spend(q, index, spend / POINT_UNIT, b) * SHARE_UNIT
    guess = math.floor(estimate) if math.isfinite(estimate) and estimate < cap + 1 else cap + 1
    charges: dict[int, int] = {}

    def fits(shares: int) -> bool:
        charges[shares] = _charge(q, b, index, shares)
        return charges[shares] <= spend

    shares = largest_fitting(fits, guess, cap + 1)
    if shares > cap:
        raise Unpriceable("That spend buys more shares than one trade may move.",
                          "invalid_spend", "spend")
    if shares <= 0:
        raise Unpriceable("That amount is too small to buy any shares.", "invalid_spend",
                          "spend")
    return shares, charges[shares]


def _shifted(q_micro: Sequence[int], index: int) -> Vector:
    """q in shares, shifted (in exact integers) so that q_index = 0: prices and costs
    depend only on the differences, and the engine's error is then a few ulps of them."""
    base = int(q_micro[index])
    return np.array([int(v) - base for v in q_micro], dtype=float) / SHARE_UNIT


def price_trade(q_micro: Sequence[int], liquidity: int, index: int, *,
                shares: int | None = None, spend: int | None = None,
                outcome_id: int = 0) -> Quote:
    """Quote a trade on a market state; integers in, integers out.

    ``shares`` (signed millionths) or ``spend`` (hundredths) says the size;
    :class:`Unpriceable` when neither, or when the size cannot be priced.
    """
    if not 0 <= index < len(q_micro):
        raise ValueError("no such outcome")
    q = _shifted(q_micro, index)
    b = liquidity / POINT_UNIT
    if spend is not None:
        shares, cost = _bought_for(q, b, index, spend)
    elif shares is not None and shares > 0:
        cost = _charge(q, b, index, shares)
    elif shares is not None and shares < 0:
        cost = -_proceeds(q, b, index, -shares)
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


def voided(holding: Holding) -> PositionChange:
    """Settled by voiding: the shares and basis go, and nothing stays realised (the
    trader is back where their net spend says)."""
    return PositionChange(shares=-holding.shares, cost_basis=-holding.cost_basis,
                          realised=-holding.realised,
                          settled_shares=holding.shares - holding.settled_shares)


@dataclass(frozen=True)
class VoidPlan:
    """What voiding moves: refunds (to users) and clawbacks (from them), in hundredths,
    and, for each user whose clawback exceeds their balance, the debt it leaves (how far
    below zero the clawback takes the balance)."""

    refunds: dict[int, int] = field(default_factory=dict)
    clawbacks: dict[int, int] = field(default_factory=dict)
    debts: dict[int, int] = field(default_factory=dict)

    @property
    def refunded(self) -> int:
        return sum(self.refunds.values())

    @property
    def clawed(self) -> int:
        return sum(self.clawbacks.values())


def void_plan(net_spend: Mapping[int, int], balances: Mapping[int, int]) -> VoidPlan:
    """Each trader gets back their net spend (buys − sells); one who sold at a profit
    (net spend < 0) gives all of it back, whatever their balance: what the balance does
    not cover becomes a debt (a negative balance), repaid by their next income.

    So after a void every trader is exactly where their net spend says, and the market
    maker is back at zero on the market (its loss, at most b · ln n before, is none).
    """
    plan = VoidPlan()
    for user_id in sorted(net_spend):
        amount = net_spend[user_id]
        if amount > 0:
            plan.refunds[user_id] = amount
        elif amount < 0:
            plan.clawbacks[user_id] = -amount
            debt = -amount - max(balances.get(user_id, 0), 0)
            if debt > 0:
                plan.debts[user_id] = debt
    return plan
