"""The LMSR engine: published values pinned, properties checked with hypothesis."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from voice.markets import lmsr

# --- published values (b = 100, q = (0, 0)) --------------------------------------------


def test_buying_ten_shares_from_even_odds():
    # 100 · ln((e^0.1 + 1) / 2)
    assert lmsr.buy_cost([0, 0], 0, 10, 100) == pytest.approx(5.124948, abs=1e-6)
    assert lmsr.trade_cost([0, 0], [10, 0], 100) == pytest.approx(5.124948, abs=1e-6)
    after = lmsr.prices([10, 0], 100)
    assert after[0] == pytest.approx(0.524979, abs=1e-6)
    assert after[1] == pytest.approx(0.475021, abs=1e-6)


def test_spending_ten_from_even_odds():
    # 100 · ln(1 + (e^0.1 − 1) / 0.5)
    assert lmsr.shares_for_spend([0, 0], 0, 10, 100) == pytest.approx(19.090283, abs=1e-6)


def test_cost_prices_and_bounds_by_hand():
    assert lmsr.cost([0, 0], 100) == pytest.approx(100 * math.log(2))
    assert lmsr.cost([0, 0, 0, 0], 50) == pytest.approx(50 * math.log(4))
    assert list(lmsr.prices([0, 0, 0, 0], 7)) == [0.25] * 4
    assert lmsr.worst_case_loss(100, 2) == pytest.approx(69.314718, abs=1e-6)
    assert lmsr.worst_case_loss(100, 20) == pytest.approx(299.573227, abs=1e-6)
    assert lmsr.liquidity_for_subsidy(69.314718056, 2) == pytest.approx(100)
    # selling 10 shares back right after buying them returns what they cost
    assert lmsr.sell_proceeds([10, 0], 0, 10, 100) == pytest.approx(5.124948, abs=1e-6)
    # the most a sale of outcome 0 can return at p = 1/2: b · ln 2
    assert lmsr.shares_to_sell_for([0, 0], 0, 69.3, 100) > 0
    with pytest.raises(ValueError):
        lmsr.shares_to_sell_for([0, 0], 0, 69.4, 100)


@pytest.mark.parametrize(
    ("q", "b"),
    [([0], 1), (list(range(21)), 1), ([0, float("nan")], 1), ([0, math.inf], 1),
     ([0, 0], 0), ([0, 0], -1), ([0, 0], math.nan), ([[0, 0]], 1)],
)
def test_bad_arguments_are_refused(q, b):
    with pytest.raises(ValueError):
        lmsr.cost(q, b)


def test_bad_trade_arguments_are_refused():
    with pytest.raises(ValueError):
        lmsr.buy_cost([0, 0], 2, 1, 100)
    with pytest.raises(ValueError):
        lmsr.shares_for_spend([0, 0], 0, -1, 100)
    with pytest.raises(ValueError):
        lmsr.shares_for_spend([0, 0], 0, math.inf, 100)
    with pytest.raises(ValueError):
        lmsr.trade_cost([0, 0], [1, 0, 0], 100)
    with pytest.raises(ValueError):
        lmsr.liquidity_for_subsidy(0, 2)
    with pytest.raises(ValueError):
        lmsr.worst_case_loss(10, 21)


# --- extreme states: the naive formula fails, the engine does not ------------------------


def naive_cost(q, b):
    return b * math.log(sum(math.exp(x / b) for x in q))


def test_naive_formula_overflows_where_the_engine_is_exact():
    q, b = [1e6 * 100, 0.0], 100.0  # q/b = 1e6
    with pytest.raises(OverflowError):
        naive_cost(q, b)
    assert lmsr.cost(q, b) == pytest.approx(1e8)
    assert np.all(np.isfinite(lmsr.prices(q, b)))
    assert lmsr.prices(q, b)[0] == 1.0
    # buying the near-certain outcome costs its shares, the long shot next to nothing
    assert lmsr.buy_cost(q, 0, 10, b) == pytest.approx(10)
    assert lmsr.buy_cost(q, 1, 10, b) == pytest.approx(0, abs=1e-300)
    # spending 10 on the long shot buys enough shares to close most of the gap:
    # Δ = b · (ln(e^0.1 − 1) + 1e6)
    expected = 100 * (math.log(math.expm1(0.1)) + 1e6)
    assert lmsr.shares_for_spend(q, 1, 10, b) == pytest.approx(expected, rel=1e-12)
    assert lmsr.log_prices([-1e8, 1e8], 100)[0] == pytest.approx(-2e6)


finite_q = st.floats(min_value=-1e4, max_value=1e4, allow_nan=False)
liquidity = st.floats(min_value=1, max_value=1e4, allow_nan=False)


@st.composite
def markets(draw, scale=1e4):
    n = draw(st.integers(lmsr.MIN_OUTCOMES, lmsr.MAX_OUTCOMES))
    b = draw(liquidity)
    q = draw(st.lists(st.floats(-scale, scale, allow_nan=False), min_size=n, max_size=n))
    return np.array(q), b


# --- properties -----------------------------------------------------------------------


@given(markets())
def test_prices_are_probabilities(market):
    q, b = market
    p = lmsr.prices(q, b)
    assert np.all(p >= 0) and np.all(p <= 1)
    assert float(np.sum(p)) == pytest.approx(1, abs=1e-12)


@given(markets(scale=10.0))
def test_prices_are_strictly_inside_zero_one_in_the_normal_range(market):
    q, b = market
    p = lmsr.prices(q, b)
    assert np.all(p > 0) and np.all(p < 1)


@given(markets(), st.floats(0.001, 1e3))
def test_path_independence(market, shares):
    q, b = market
    i = 0
    one = lmsr.buy_cost(q, i, shares, b)
    step = q.copy()
    first = lmsr.buy_cost(step, i, shares / 2, b)
    step[i] += shares / 2
    second = lmsr.buy_cost(step, i, shares / 2, b)
    assert first + second == pytest.approx(one, rel=1e-9, abs=1e-9)


@given(markets(), st.floats(-1e3, 1e3))
def test_buying_one_of_each_costs_exactly_the_count(market, k):
    q, b = market
    assert lmsr.trade_cost(q, np.full(q.size, k), b) == pytest.approx(k, rel=1e-9, abs=1e-9)
    assert lmsr.cost(q + k, b) - lmsr.cost(q, b) == pytest.approx(k, rel=1e-6, abs=1e-6)


@given(markets(scale=100.0), st.floats(0.01, 100), st.data())
def test_a_buy_raises_its_price_and_lowers_the_rest(market, shares, data):
    q, b = market
    i = data.draw(st.integers(0, q.size - 1))
    before = lmsr.prices(q, b)
    after_q = q.copy()
    after_q[i] += shares
    after = lmsr.prices(after_q, b)
    assume(before[i] < 1 - 1e-9)
    assert after[i] > before[i]
    others = np.arange(q.size) != i
    assert np.all(after[others] <= before[others])


@given(markets(scale=100.0), st.floats(0.01, 1e4), st.data())
def test_spend_and_cost_are_inverse(market, spend, data):
    q, b = market
    i = data.draw(st.integers(0, q.size - 1))
    shares = lmsr.shares_for_spend(q, i, spend, b)
    assert shares > 0
    assert lmsr.buy_cost(q, i, shares, b) == pytest.approx(spend, rel=1e-9)


@given(markets(scale=100.0), st.floats(0.001, 0.999), st.data())
def test_selling_for_an_amount_is_inverse_of_proceeds(market, fraction, data):
    """Ask for any share of the most a sale can return: the shares found return it."""
    q, b = market
    i = data.draw(st.integers(0, q.size - 1))
    # selling without limit returns b·ln(1/(1−p_i)), and ln(1−p_i) = ln Σ_{j≠i} p_j
    most = -b * float(np.logaddexp.reduce(np.delete(lmsr.log_prices(q, b), i)))
    assume(most > 1e-9)
    amount = fraction * most
    shares = lmsr.shares_to_sell_for(q, i, amount, b)
    assert shares > 0
    assert lmsr.sell_proceeds(q, i, shares, b) == pytest.approx(amount, rel=1e-9)
    assert lmsr.max_sale_proceeds(q, i, shares, b) == pytest.approx(amount, rel=1e-9)


@given(markets(scale=100.0), st.floats(0.01, 5), st.data())
def test_shares_round_trip_through_proceeds(market, ratio, data):
    q, b = market
    i = data.draw(st.integers(0, q.size - 1))
    assume(lmsr.prices(q, b)[i] > 1e-3)
    shares = ratio * b
    back = lmsr.shares_to_sell_for(q, i, lmsr.sell_proceeds(q, i, shares, b), b)
    assert back == pytest.approx(shares, rel=1e-6)


@given(
    st.integers(2, 20),
    liquidity,
    st.lists(st.tuples(st.integers(0, 19), st.floats(-500, 500)), min_size=1, max_size=40),
    st.integers(0, 19),
)
@settings(max_examples=200)
def test_market_maker_loss_is_bounded(n, b, trades, winner):
    """Any trade sequence, any winner: the maker pays at most b · ln n."""
    q = np.zeros(n)
    collected = 0.0
    for index, shares in trades:
        i = index % n
        collected += lmsr.buy_cost(q, i, shares, b)
        q[i] += shares
    # settlement: each winning share pays 1 (a negative q_i is the maker's own holding)
    loss = q[winner % n] - collected
    assert loss <= lmsr.worst_case_loss(b, n) + 1e-7 * (1 + abs(q).max())


@given(st.integers(2, 20), st.floats(1e-2, 1e4), st.floats(-1e6, 1e6), st.data())
def test_stable_at_extreme_states(n, b, ratio, data):
    """q/b up to ±1e6: every value is finite and consistent."""
    rest = data.draw(st.lists(st.floats(-1e6, 1e6), min_size=n - 1, max_size=n - 1))
    q = np.array([ratio, *rest]) * b
    c = lmsr.cost(q, b)
    p = lmsr.prices(q, b)
    assert math.isfinite(c) and c >= float(q.max()) - 1e-9 * abs(c)
    assert np.all(np.isfinite(p)) and float(p.sum()) == pytest.approx(1)
    buy = lmsr.buy_cost(q, 0, b, b)
    assert math.isfinite(buy) and 0 <= buy <= b * (1 + 1e-12)
    assert math.isfinite(lmsr.sell_proceeds(q, 0, b, b))
    shares = lmsr.shares_for_spend(q, 0, b / 10, b)
    assert math.isfinite(shares) and shares >= b / 10 * (1 - 1e-12)
    assert math.isfinite(lmsr.trade_cost(q, np.full(n, 1.0), b))
