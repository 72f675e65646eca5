"""Hanson's logarithmic market scoring rule (LMSR) for 2 to 20 outcomes.

Pure maths on floats and numpy arrays: no Flask, no database. ``q`` is the vector
of outstanding shares per outcome, ``b`` the liquidity (both in points/shares).

    C(q)      = b · ln Σ exp(q_i / b)            the cost function
    p(q)      = softmax(q / b)                   the prices, in (0, 1), summing to 1
    cost of δ = C(q + δ) − C(q)

Every function is evaluated in log space, shifted by the maximum (log-sum-exp),
with ``log1p``/``expm1`` near zero, so q/b up to ±1e6 (and beyond) gives finite,
correct values where the textbook formula overflows to inf or returns nan.

Money rounding is not done here: ``voice.markets.money`` rounds charges up and
proceeds down with exact integers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

MIN_OUTCOMES = 2
MAX_OUTCOMES = 20

__all__ = [
    "MIN_OUTCOMES", "MAX_OUTCOMES", "cost", "prices", "log_prices", "trade_cost",
    "buy_cost", "cost_with_error", "ERROR_ULPS", "sell_proceeds", "shares_for_spend",
    "shares_to_sell_for",
    "max_sale_proceeds", "worst_case_loss", "liquidity_for_subsidy", "subsidy_for_liquidity",
]

Vector = npt.NDArray[np.float64]


def _vector(q: npt.ArrayLike, b: float) -> tuple[Vector, float]:
    """``q`` as a float vector of 2..20 finite values, ``b`` a finite positive float."""
    x = np.asarray(q, dtype=float)
    if x.ndim != 1 or not MIN_OUTCOMES <= x.size <= MAX_OUTCOMES:
        raise ValueError(f"q needs {MIN_OUTCOMES} to {MAX_OUTCOMES} outcomes")
    if not np.all(np.isfinite(x)):
        raise ValueError("q must be finite")
    b = float(b)
    if not (math.isfinite(b) and b > 0):
        raise ValueError("b must be a finite positive number")
    return x, b


def _index(x: Vector, i: int) -> int:
    i = int(i)
    if not 0 <= i < x.size:
        raise ValueError("no such outcome")
    return i


def _lse(v: Vector) -> float:
    """log Σ exp(v_i), shifted by the maximum so nothing overflows."""
    m = float(np.max(v))
    return m + math.log(float(np.sum(np.exp(v - m))))


def _softplus(z: float) -> float:
    """log(1 + e^z) without overflow."""
    if z > 0:
        return z + math.log1p(math.exp(-z))
    return math.log1p(math.exp(z))


def _log_expm1(t: float) -> float:
    """log(e^t − 1) for t > 0, without overflow for large t."""
    if t > 30:
        return t + math.log1p(-math.exp(-t))
    return math.log(math.expm1(t))


def cost(q: npt.ArrayLike, b: float) -> float:
    """C(q) = b · ln Σ exp(q_i / b)."""
    x, b = _vector(q, b)
    return b * _lse(x / b)


def log_prices(q: npt.ArrayLike, b: float) -> Vector:
    """ln p_i, exact even where p_i underflows to 0."""
    x, b = _vector(q, b)
    z = x / b
    return z - _lse(z)


def _log_rest(x: Vector, b: float, i: int) -> float:
    """ln(1 − p_i) = ln Σ_{j≠i} p_j, exact even where p_i rounds to 1."""
    z = x / b
    return _lse(np.delete(z, i)) - _lse(z)


def prices(q: npt.ArrayLike, b: float) -> Vector:
    """p = softmax(q / b): each in (0, 1) (up to float resolution), summing to 1."""
    x, b = _vector(q, b)
    z = x / b
    e = np.exp(z - np.max(z))
    result: Vector = e / np.sum(e)
    return result


def trade_cost(q: npt.ArrayLike, delta: npt.ArrayLike, b: float) -> float:
    """C(q + δ) − C(q) for any trade vector δ, computed without cancellation.

    C(q + δ) − C(q) = b · ln Σ p_i e^{δ_i / b}; for small steps this is
    b · log1p(Σ p_i expm1(δ_i / b)), otherwise a log-sum-exp over ln p_i + δ_i / b.
    """
    x, b = _vector(q, b)
    d = np.asarray(delta, dtype=float)
    if d.shape != x.shape or not np.all(np.isfinite(d)):
        raise ValueError("delta must be a finite vector shaped like q")
    t = d / b
    logp = log_prices(x, b)
    if float(np.max(np.abs(t))) < 1.0:
        return b * math.log1p(float(np.sum(np.exp(logp) * np.expm1(t))))
    return b * _lse(logp + t)


_EPS = float(np.finfo(float).eps)
_LN2 = math.log(2)
# The float error of :func:`cost_with_error` is at most ERROR_ULPS units of eps times the
# magnitudes its steps handle. Found, not assumed: tests/test_markets_money.py compares
# the engine with 60-digit decimals over q/b up to ±1e6, b from 1 to 1e6 points, 2 to 20
# outcomes and trades of one millionth to a million shares, and asserts the bound holds
# with this factor (the largest error seen there, 0.56 eps per magnitude, is below a
# tenth of it).
ERROR_ULPS = 8.0


@dataclass(frozen=True)
class _Rest:
    """R = ln Σ_{j≠i} e^{(q_j − q_i)/b} (so p_i = 1 / (1 + e^R)) and its float error."""

    value: float
    error: float

    @property
    def log_price(self) -> float:
        """ln p_i = −softplus(R)."""
        return -_softplus(self.value)

    @property
    def log_rest(self) -> float:
        """ln(1 − p_i) = −softplus(−R)."""
        return -_softplus(-self.value)


def _rest(x: Vector, b: float, i: int) -> _Rest:
    """R, from the differences q_j − q_i: exact (and small) when the caller shifts q so
    that q_i = 0, which ``voice.markets.money`` does in integers."""
    d = (np.delete(x, i) - x[i]) / b
    m = float(np.max(d))
    w = np.exp(d - m)
    total = float(np.sum(w))
    value = m + math.log(total)
    # each d_j is off by a few eps of |d_j| (and of |q_i|/b from the subtraction); R by
    # their weighted sum plus the rounding of the sum and the log
    spread = float(np.sum(w * (np.abs(d) + abs(float(x[i])) / b))) / total
    return _Rest(value, _EPS * (spread + abs(value) + d.size + 1))


def cost_with_error(q: npt.ArrayLike, i: int, shares: float, b: float) -> tuple[float, float]:
    """C(q + s·e_i) − C(q) (negative ``shares`` sell), and a bound on its float error.

    With t = s/b, ln p_i = −softplus(R) and ln(1 − p_i) = −softplus(−R):

    - buying: b · softplus(ln p_i + ln(e^t − 1));
    - selling, while p_i (1 − e^t) < 1/2: b · log1p(−e^y), y = ln p_i + ln(1 − e^t);
    - selling more: b · ln((1 − p_i) + p_i e^t), a log-sum-exp of two logs.

    Each form is used where it is well conditioned, so the error is a few ulps of the
    magnitudes involved (the result, and b times ln p_i, t and the q_j/b): the bound
    adds them up, times :data:`ERROR_ULPS`.
    """
    x, b = _vector(q, b)
    i = _index(x, i)
    t = float(shares) / b
    if not math.isfinite(t):
        raise ValueError("shares must be finite")
    if t == 0:
        return 0.0, 0.0
    rest = _rest(x, b, i)
    log_p = rest.log_price
    # the error of ln p_i: R's, damped by σ(R) = 1 − p_i, and its own rounding
    err_log_p = rest.error * (1.0 - math.exp(log_p)) + _EPS * abs(log_p)
    if t > 0:
        c = _log_expm1(t)
        z = log_p + c
        value = b * _softplus(z)
        sensitivity = b * _sigmoid(z)  # d value / d z, at most value
        terms = abs(log_p) + abs(c) + abs(z) + 1.0 + t
        return value, _bound(value, sensitivity * (terms + err_log_p / _EPS))
    h = math.log(-math.expm1(t))  # ln(1 − e^t) < 0
    y = log_p + h
    if y < -_LN2:
        value = b * math.log1p(-math.exp(y))
        sensitivity = b * 2.0 * math.exp(y)  # |d value / d y| = b e^y / (1 − e^y)
        terms = abs(log_p) + abs(h) + abs(y) + 1.0
        return value, _bound(value, sensitivity * (terms + err_log_p / _EPS))
    log_rest = rest.log_rest
    value = b * _lse(np.array([log_rest, log_p + t]))
    terms = abs(log_rest) + abs(log_p) + abs(t) + abs(value / b) + 1.0
    return value, _bound(value, b * (terms + (rest.error + err_log_p) / _EPS))


def _sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def _bound(value: float, scaled_terms: float) -> float:
    """ERROR_ULPS · eps · (|value| + Σ magnitude · sensitivity), and never below the
    smallest normal float (a result that underflowed)."""
    return ERROR_ULPS * _EPS * (abs(value) + scaled_terms) + 1e-300


def buy_cost(q: npt.ArrayLike, i: int, shares: float, b: float) -> float:
    """C(q + s·e_i) − C(q) = b · ln(1 + p_i (e^{s/b} − 1)); negative ``shares`` sell."""
    return cost_with_error(q, i, shares, b)[0]


def sell_proceeds(q: npt.ArrayLike, i: int, shares: float, b: float) -> float:
    """What selling ``shares`` (> 0) of outcome i returns: C(q) − C(q − s·e_i)."""
    if not shares >= 0:
        raise ValueError("shares must be non-negative")
    return -buy_cost(q, i, -float(shares), b)


def shares_for_spend(q: npt.ArrayLike, i: int, spend: float, b: float) -> float:
    """The shares of outcome i that ``spend`` buys: Δ = b · ln(1 + (e^{M/b} − 1) / p_i)."""
    x, b = _vector(q, b)
    i = _index(x, i)
    m = float(spend) / b
    if not (math.isfinite(m) and m >= 0):
        raise ValueError("spend must be finite and non-negative")
    if m == 0:
        return 0.0
    logp_i = float(log_prices(x, b)[i])
    return b * _softplus(_log_expm1(m) - logp_i)


def shares_to_sell_for(q: npt.ArrayLike, i: int, amount: float, b: float) -> float:
    """The shares of outcome i to sell to receive ``amount``.

    Solves C(q) − C(q − s·e_i) = A: s = −b · ln(1 − (1 − e^{−A/b}) / p_i). Selling
    shares of i can return at most b · ln(1 / (1 − p_i)); beyond that: ValueError.
    """
    x, b = _vector(q, b)
    i = _index(x, i)
    a = float(amount) / b
    if not (math.isfinite(a) and a >= 0):
        raise ValueError("amount must be finite and non-negative")
    if a == 0:
        return 0.0
    logp_i = float(log_prices(x, b)[i])
    log_rest = _log_rest(x, b, i)
    # 1 − (1 − e^{−a}) / p = (e^{−a} − (1 − p)) / p, taken in log space:
    # s/b = a + ln p − ln(1 − e^{ln(1−p) + a})
    if log_rest + a >= 0:
        raise ValueError("no sale of this outcome returns that much")
    return b * (a + logp_i - math.log(-math.expm1(log_rest + a)))


def max_sale_proceeds(q: npt.ArrayLike, i: int, shares_held: float, b: float) -> float:
    """The most a holder of ``shares_held`` of outcome i can receive: selling them all."""
    return sell_proceeds(q, i, shares_held, b)


def worst_case_loss(b: float, n: int) -> float:
    """The market maker's largest possible loss: b · ln n."""
    if not (math.isfinite(b) and b > 0) or not MIN_OUTCOMES <= n <= MAX_OUTCOMES:
        raise ValueError("b must be positive and n between 2 and 20")
    return b * math.log(n)


subsidy_for_liquidity = worst_case_loss


def liquidity_for_subsidy(subsidy: float, n: int) -> float:
    """The liquidity b whose worst-case loss is ``subsidy``: b = S / ln n."""
    if not (math.isfinite(subsidy) and subsidy > 0) or not MIN_OUTCOMES <= n <= MAX_OUTCOMES:
        raise ValueError("subsidy must be positive and n between 2 and 20")
    return subsidy / math.log(n)
