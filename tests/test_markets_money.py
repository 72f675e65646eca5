"""Markets' money and time (issue 13): parsing at the edges, the bounded spend search,
subsidies, the rounding margin, voiding with debts, the settlement's time, what a resolved
market shows."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_CEILING, Decimal, localcontext

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from tests import factories
from voice.clock import utcnow
from voice.markets import lmsr, money
from voice.units import format_points

MILLION = 1_000_000

# --- numbers that overflow the parser ----------------------------------------------------

HUGE = ("1e999999999", "-1e999999999", "1E+999999999", "-1e-999999999", "9" * 5000)


@pytest.mark.parametrize("value", HUGE)
def test_huge_shares_and_spends_are_refused_by_the_api(app, client, staff, customer,
                                                       token_for, value):
    market_id, (yes, _no) = factories.market(staff)
    headers = token_for(customer)
    for field in ("shares", "spend"):
        quoted = client.get(f"/api/v1/markets/{market_id}/quote",
                            query_string={"outcome_id": yes, field: value})
        assert quoted.status_code == 400, quoted.get_data(as_text=True)
        assert quoted.json["error"]["code"] == f"invalid_{field}"
        traded = client.post(f"/api/v1/markets/{market_id}/trades", headers=headers,
                             json={"outcome_id": yes, field: value})
        assert traded.status_code == 400, traded.get_data(as_text=True)
        assert traded.json["error"]["code"] == f"invalid_{field}"


@pytest.mark.parametrize("value", HUGE)
@pytest.mark.parametrize("action", ["buy_shares", "buy_spend", "sell_shares"])
def test_huge_amounts_on_the_trade_page_get_a_sentence(app, login, staff, customer, value,
                                                       action):
    market_id, (yes, _no) = factories.market(staff)
    browser = login(customer)
    response = browser.post(f"/markets/{market_id}/trade",
                            data={"outcome_id": yes, "action": action, "amount": value})
    assert response.status_code == 400, response.get_data(as_text=True)[:500]
    assert 'class="field-error" id="amount-error"' in response.get_data(as_text=True)


@pytest.mark.parametrize("value", ["1e999999999", "-1e999999999"])
def test_huge_limits_and_subsidies_are_refused(app, staff, value):
    from voice.errors import Invalid
    from voice.markets import service

    with pytest.raises(Invalid):
        service.parse_limit(value, "max_cost") if value.startswith("-") else (
            service.liquidity_hundredths(subsidy=value))
    with app.app_context(), pytest.raises(Invalid):
        service.liquidity_hundredths(liquidity=value)


@pytest.mark.parametrize("field", ["shares", "spend"])
@pytest.mark.parametrize("number", ["1e999999999", "-1e999999999"])
def test_huge_json_numbers_are_refused(app, client, staff, customer, token_for, field,
                                       number):
    market_id, (yes, _no) = factories.market(staff)
    traded = client.post(f"/api/v1/markets/{market_id}/trades",
                         headers={**token_for(customer), "Content-Type": "application/json"},
                         data=f'{{"outcome_id": {yes}, "{field}": {number}}}')
    assert traded.status_code == 400, traded.get_data(as_text=True)
    assert traded.json["error"]["code"] == f"invalid_{field}"


# --- the exact reference: LMSR in 60-digit decimals ----------------------------------------

def _expm1(t: Decimal) -> Decimal:
    """e^t − 1 without cancellation for small t (a series), in the current context."""
    if abs(t) >= Decimal("1e-5"):
        return t.exp() - 1
    term, total, k = t, t, 1
    while abs(term) > abs(total) * Decimal("1e-70"):
        k += 1
        term = term * t / k
        total += term
    return total


def _log1p(u: Decimal) -> Decimal:
    """ln(1 + u) without cancellation for small u (a series), in the current context."""
    if abs(u) >= Decimal("1e-5"):
        return (1 + u).ln()
    power, total, k = u, u, 1
    while abs(power) > abs(total) * Decimal("1e-70"):
        k += 1
        power *= -u
        total += power / k
    return total


def exact_cost(q_micro, index, shares_micro, liquidity) -> Decimal:
    """C(q + s·e_i) − C(q) in 60-digit decimals (points): b · ln(1 + p_i (e^t − 1)), each
    step taken where it loses no digits (shifted by the largest q, series near zero, and
    the sum of positive terms when a sale takes the price near 0)."""
    with localcontext() as context:
        context.prec, context.Emax, context.Emin = 60, 10**9, -10**9
        b = Decimal(liquidity) / 100
        z = [(Decimal(q) - Decimal(q_micro[index])) / MILLION / b for q in q_micro]
        t = Decimal(shares_micro) / MILLION / b
        top = max(z)
        weights = [(zj - top).exp() for zj in z]
        total = sum(weights)
        u = weights[index] * _expm1(t) / total
        if u < Decimal("-0.5"):  # 1 + u = (Σ_{j≠i} w_j + w_i e^t) / Σ w_j, all positive
            rest = sum(w for j, w in enumerate(weights) if j != index)
            log_ratio = (rest + (z[index] + t - top).exp()).ln() - total.ln()
        else:
            log_ratio = _log1p(u)
        return +(b * log_ratio)


def exact_charge(q_micro, index, shares_micro, liquidity) -> int:
    """The exact cost in hundredths, rounded up (at least 1), or the exact proceeds
    rounded down (as a negative cost)."""
    value = exact_cost(q_micro, index, shares_micro, liquidity) * 100
    if shares_micro > 0:
        return max(1, int(value.to_integral_value(ROUND_CEILING)))
    return int(value.to_integral_value(ROUND_CEILING))  # −floor(proceeds)


# --- a 0.01-point buy on a lopsided market --------------------------------------------------


@pytest.fixture
def engine_calls(monkeypatch):
    """Counts the engine's cost evaluations; gives up (fails) past 1,000 of them."""
    calls = {"n": 0}

    def counted(function):
        def wrapper(*args, **kwargs):
            calls["n"] += 1
            if calls["n"] > 1_000:
                raise AssertionError("more than 1,000 engine evaluations for one quote")
            return function(*args, **kwargs)
        return wrapper

    for name in ("buy_cost", "sell_proceeds", "cost_with_error"):
        if hasattr(lmsr, name):
            monkeypatch.setattr(lmsr, name, counted(getattr(lmsr, name)))
    return calls


LOPSIDED = ([2_500_000 * 1_000_000, 0], 10_000_000)  # 2.5 million shares of Yes, b = 100,000


def test_a_tiny_buy_on_a_lopsided_market_takes_few_engine_evaluations(engine_calls):
    q, liquidity = LOPSIDED
    quote = money.price_trade(q, liquidity, 1, spend=1)
    assert quote.cost <= 1 and quote.shares > 0
    assert engine_calls["n"] <= 8
    assert money.price_trade(q, liquidity, 1, shares=quote.shares).cost == quote.cost
    assert money.price_trade(q, liquidity, 1, shares=quote.shares + 1).cost > 1


def _fits(q, liquidity, index, shares, spend) -> bool:
    try:
        return money.price_trade(q, liquidity, index, shares=shares).cost <= spend
    except money.Unpriceable:
        return False


STATES = st.tuples(
    st.integers(100, 100_000_000),  # b from 1 to 1,000,000 points
    st.lists(st.floats(-1e6, 1e6), min_size=2, max_size=6),  # q / b of each outcome
    st.integers(0, 5),
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(state=STATES, spend=st.one_of(st.integers(1, 100), st.integers(1, 100_000_000)))
def test_a_spend_buys_the_most_shares_it_covers_in_bounded_steps(state, spend):
    liquidity, z, index = state
    index %= len(z)
    q = [round(zj * liquidity / 100 * 1_000_000) for zj in z]
    counter = {"n": 0}
    real = lmsr.cost_with_error if hasattr(lmsr, "cost_with_error") else lmsr.buy_cost

    def counted(*args, **kwargs):
        counter["n"] += 1
        return real(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(lmsr, real.__name__, counted)
        try:
            quote = money.price_trade(q, liquidity, index, spend=spend)
        except money.Unpriceable as refused:
            quote = None
            assert refused.code == "invalid_spend"
    assert counter["n"] <= 64
    if quote is None:
        return
    assert 0 < quote.cost <= spend
    assert quote.shares <= money.MAX_TRADE_SHARES * MILLION
    assert quote.cost == money.price_trade(q, liquidity, index, shares=quote.shares).cost
    assert not _fits(q, liquidity, index, quote.shares + 1, spend) or (
        quote.shares == money.MAX_TRADE_SHARES * MILLION)


# --- the rounding margin ----------------------------------------------------------------------

NEAR_ONE = ([1_000_000 * 1_000_000, 0], 100)  # b = 1, q = (1,000,000, 0): Yes at 1 − e^−1e6


def test_at_a_price_near_one_a_buy_costs_its_exact_cost_rounded_up():
    q, liquidity = NEAR_ONE
    assert money.price_trade(q, liquidity, 0, shares=100 * 1_000_000).cost == 10_000
    assert money.price_trade(q, liquidity, 0, shares=10_000).cost == 1  # 0.01 shares: 0.01


def test_selling_a_million_shares_at_b_one_pays_the_exact_proceeds_rounded_down():
    q, liquidity = NEAR_ONE
    sale = money.price_trade(q, liquidity, 0, shares=-1_000_000 * 1_000_000)
    assert sale.cost == -99_999_930  # 1e6 − ln 2 = 999,999.3068...
    assert sale.cost == exact_charge(q, 0, -1_000_000 * 1_000_000, liquidity)


TRADES = st.one_of(st.integers(1, 1_000), st.integers(1, 10**12))  # millionths of a share


@settings(max_examples=400, deadline=None, derandomize=True)
@given(state=STATES, n=st.sampled_from([2, 3, 20]), shares=TRADES, sell=st.booleans())
def test_the_engine_error_is_within_its_bound_against_60_digit_decimals(state, n, shares,
                                                                        sell):
    """The proof of the margin: over q/b up to ±1e6, b from 1 to 1e6 points, 2 to 20
    outcomes and 1e-6 to 1e6 shares, |float − exact| ≤ the engine's bound, the bound is
    a few ulps of the magnitudes involved (far below a hundredth), and so a charge is
    the exact cost rounded up and proceeds the exact proceeds rounded down, but where the
    exact value lies within the bound of a hundredth (then in the market maker's favour)."""
    liquidity, z, index = state
    z = (z * 20)[:n]
    index %= n
    q = [round(zj * liquidity / 100 * MILLION) for zj in z]
    signed = -shares if sell else shares
    shifted = money._shifted(q, index)
    b = liquidity / 100
    value, error = lmsr.cost_with_error(shifted, index, signed / MILLION, b)
    exact = exact_cost(q, index, signed, liquidity)
    assert abs(Decimal(value) - exact) <= Decimal(error) / 4, str((value, exact, error, q, index,
                                                                signed, liquidity))
    magnitude = abs(value) + b * (max(abs(zj - z[index]) for zj in z) + abs(signed / MILLION / b)
                                  + 40)
    assert error <= 64 * lmsr.ERROR_ULPS * 2.3e-16 * magnitude
    charged = money.price_trade(q, liquidity, index, shares=signed).cost
    rounded = exact_charge(q, index, signed, liquidity)
    assert charged >= rounded  # never in the trader's favour
    if charged != rounded:  # only where the exact value is within the bound of a boundary
        near = exact * 100 - (int((exact * 100).to_integral_value(ROUND_CEILING)) - 1)
        assert min(near, 1 - near) <= Decimal(error) * 100 * 2 or charged == 1


# --- quotes are rate-limited ------------------------------------------------------------


@pytest.mark.parametrize("app_config", [{"RATELIMIT_ENABLED": True}])
def test_quotes_are_rate_limited_per_client(app, staff):
    from voice.markets.limits import QUOTE_PER_MINUTE

    market_id, (yes, _no) = factories.market(staff)
    client = app.test_client()
    url = f"/api/v1/markets/{market_id}/quote"
    answers = [client.get(url, query_string={"outcome_id": yes, "shares": 1},
                          environ_base={"REMOTE_ADDR": "10.0.0.7"})
               for _ in range(QUOTE_PER_MINUTE + 1)]
    assert [a.status_code for a in answers] == [200] * QUOTE_PER_MINUTE + [429]
    assert answers[-1].json["error"]["code"] == "rate_limited"
    other = client.get(url, query_string={"outcome_id": yes, "shares": 1},
                       environ_base={"REMOTE_ADDR": "10.0.0.8"})
    assert other.status_code == 200


# --- a market opened by subsidy never loses more than the subsidy ------------------------


def _worst_case(liquidity: int, n: int) -> Decimal:
    with localcontext() as context:
        context.prec = 60
        return Decimal(liquidity) * Decimal(n).ln()


def test_a_subsidy_of_ten_over_twenty_outcomes_loses_at_most_ten(app, staff):
    from voice.markets import service

    liquidity = service.liquidity_hundredths(subsidy="10", n=20)
    assert liquidity == 333  # 10 / ln 20 = 3.338...: rounded down, not to 3.34
    assert _worst_case(liquidity, 20) <= 1_000
    with app.app_context():
        market = service.create_market(staff, "Which of twenty?", [f"o{i}" for i in range(20)],
                                       subsidy="10")
        assert market.liquidity == 333
        assert service.get_market(market.id).subsidy <= 1_000


@settings(max_examples=300, deadline=None, derandomize=True)
@given(subsidy=st.one_of(st.decimals(Decimal("0.01"), Decimal("2000000"), places=2),
                         st.decimals(Decimal("0.5"), Decimal("100"), places=6)),
       n=st.integers(2, 20))
def test_b_from_a_subsidy_never_loses_more_than_the_subsidy(subsidy, n):
    from voice.errors import Invalid
    from voice.markets.service import liquidity_hundredths

    try:
        liquidity = liquidity_hundredths(subsidy=subsidy, n=n)
    except Invalid:
        assert subsidy / Decimal(n).ln() < 1 or subsidy / Decimal(n).ln() > 1_000_000
        return
    assert _worst_case(liquidity, n) <= subsidy * 100  # b · ln n ≤ S
    assert _worst_case(liquidity + 1, n) > subsidy * 100  # and the largest such b


# --- voiding leaves every trader where their net spend says ------------------------------


def _net_spends(market_id: int) -> dict[int, int]:
    from sqlalchemy import func, select

    from voice.extensions import db
    from voice.markets.models import Position

    return {user_id: int(total) for user_id, total in db.session.execute(
        select(Position.user_id, func.sum(Position.net_spend))
        .where(Position.market_id == market_id).group_by(Position.user_id))}


def _balances(ids) -> dict[int, int]:
    from sqlalchemy import select

    from voice.accounts.models import User
    from voice.extensions import db

    return dict(db.session.execute(select(User.id, User.balance).where(User.id.in_(ids))).all())


def test_a_profit_spent_elsewhere_is_clawed_back_as_a_debt(app, staff, make_user, login):
    from voice.errors import Conflict
    from voice.extensions import db
    from voice.markets import service
    from voice.markets.models import LedgerEntry, Market

    market_id, (yes, no) = factories.market(staff, liquidity=100)
    other_id, (other_yes, _) = factories.market(staff, liquidity=100)
    alice, bob, carol, dave, erin = (make_user() for _ in range(5))
    with app.app_context():
        for outcome, pumps in ((yes, (bob, carol)), (no, (dave, erin))):  # pump and dump
            service.trade(alice.id, market_id, outcome, shares=500 * MILLION)
            for victim in pumps:
                service.trade(victim.id, market_id, outcome, spend=100_000)
            service.trade(alice.id, market_id, outcome, sell_all=True)
        profit = -_net_spends(market_id)[alice.id]
        assert profit > 6_932  # more than the market's worst case, b · ln 2 = 69.32
        spend = _balances([alice.id])[alice.id]
        service.trade(alice.id, other_id, other_yes, spend=spend)  # the profit moves on
        assert _balances([alice.id])[alice.id] == 0
        service.void_market(staff, market_id)
        market = db.session.get(Market, market_id)
        assert market.maker_balance == 0  # the maker loses nothing, let alone b · ln n
        assert _balances([alice.id, bob.id, carol.id, dave.id, erin.id]) == {
            alice.id: -profit, bob.id: 100_000, carol.id: 100_000, dave.id: 100_000,
            erin.id: 100_000}
        assert service.audit_books().balanced
        clawback = db.session.scalars(select_ledger(alice.id, "clawback")).one()
        assert clawback.amount == -profit
    page = login(alice).get("/me/positions").get_data(as_text=True)
    assert f"You owe {format_points(profit)} points" in page
    with app.app_context():  # the debt: no buying; selling repays it
        with pytest.raises(Conflict):
            service.trade(alice.id, other_id, other_yes, spend=100)
        sale = service.trade(alice.id, other_id, other_yes, sell_all=True)
        assert _balances([alice.id])[alice.id] == -profit - sale.trade.cost
        assert db.session.get(LedgerEntry, clawback.id) is not None
        assert service.audit_books().balanced


def select_ledger(user_id: int, kind: str):
    from sqlalchemy import select

    from voice.markets.models import LedgerEntry

    return select(LedgerEntry).where(LedgerEntry.user_id == user_id, LedgerEntry.kind == kind,
                                     LedgerEntry.account == "user")


MOVES = st.lists(st.tuples(
    st.integers(0, 3),  # the trader
    st.sampled_from([True, True, False]),  # in the market to be voided (else the other one)
    st.integers(0, 1),  # the outcome
    st.sampled_from(["buy", "sell_all", "spend_all", "spend_all", "sell_some"]),
    st.integers(1, 1_000),  # shares
), min_size=3, max_size=16)


def test_voiding_keeps_the_maker_within_b_ln_n_whatever_traders_did(app, staff, make_user):
    """Trades in the market to be voided and money moved to another market before the
    void: afterwards each trader's balance moved by exactly their net spend, the maker
    lost at most b · ln n (in fact nothing) and the books balance."""
    from voice.errors import ServiceError
    from voice.extensions import db
    from voice.markets import service
    from voice.markets.models import Market

    traders = [make_user() for _ in range(4)]

    @settings(max_examples=30, deadline=None, derandomize=True)
    @given(moves=MOVES, moving=st.lists(st.tuples(
        st.integers(0, 3), st.just(False), st.integers(0, 1), st.just("spend_all"),
        st.just(0)), min_size=1, max_size=4))
    @example(moves=[(0, True, 0, "buy", 500), (1, True, 0, "spend_all", 1),
                    (2, True, 0, "spend_all", 1), (0, True, 0, "sell_all", 1)],
             moving=[(0, False, 1, "spend_all", 0)])  # a pump and dump, the profit moved
    def check(moves, moving):
        with app.app_context():
            markets = [factories.market(staff, liquidity=100) for _ in range(2)]
            voided = markets[0]
            for who, here, outcome, kind, amount in [*moves, *moving]:
                market_id, outcome_ids = markets[0] if here else markets[1]
                size = {"buy": {"shares": amount * MILLION},
                        "sell_all": {"sell_all": True},
                        "sell_some": {"shares": -amount * MILLION // 3},
                        "spend_all": {"spend": _balances([traders[who].id])[traders[who].id]},
                        }[kind]
                try:
                    service.trade(traders[who].id, market_id, outcome_ids[outcome], **size)
                except ServiceError:
                    db.session.rollback()
            ids = [t.id for t in traders]
            before, net = _balances(ids), _net_spends(voided.id)
            service.void_market(staff, voided.id)
            db.session.expire_all()
            after = _balances(ids)
            assert after == {i: before[i] + net.get(i, 0) for i in ids}
            maker = db.session.get(Market, voided.id).maker_balance
            assert -maker <= _worst_case(10_000, 2)
            assert service.audit_books().balanced
            db.session.remove()

    check()


# --- the settlement's time comes from inside its lock ---------------------------------------


@pytest.mark.parametrize("settle", ["void", "resolve"])
def test_the_settlement_time_is_read_after_the_lock(app, staff, monkeypatch, settle):
    from voice.markets import service
    from voice.markets.service import settlement

    market_id, (yes, _no) = factories.market(staff)
    order: list[str] = []
    real_lock, real_clock = settlement.lock_market, settlement.utcnow
    monkeypatch.setattr(settlement, "lock_market",
                        lambda *a: (order.append("lock"), real_lock(*a))[1])
    monkeypatch.setattr(settlement, "utcnow", lambda: (order.append("clock"), real_clock())[1])
    with app.app_context():
        if settle == "void":
            service.void_market(staff, market_id)
        else:
            service.resolve_market(staff, market_id, yes)
    assert order == ["lock", "clock"]


@pytest.mark.postgresql
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_a_trade_committed_just_before_the_void_is_stamped_before_it(app, backend, staff,
                                                                     customer, monkeypatch):
    """The trade commits between the void's start and its lock (a thread of its own,
    run from inside the void, before the lock is taken): its time is no later than the
    void's. PostgreSQL only: on SQLite the void's BEGIN IMMEDIATE holds the database before
    the void starts, so no trade can commit there and the race does not exist."""
    import threading

    from sqlalchemy import select

    from voice.extensions import db
    from voice.markets import service
    from voice.markets.models import Market, Trade
    from voice.markets.service import settlement

    market_id, (yes, _no) = factories.market(staff)
    real_lock = settlement.lock_market

    def trade_then_lock(market: int):
        def trade():
            with app.app_context():
                service.trade(customer.id, market_id, yes, shares=MILLION)
                db.session.remove()

        thread = threading.Thread(target=trade)
        thread.start()
        thread.join(timeout=30)
        return real_lock(market)

    monkeypatch.setattr(settlement, "lock_market", trade_then_lock)
    with app.app_context():
        service.void_market(staff, market_id)
        voided_at = db.session.get(Market, market_id).resolved_at
        stamps = db.session.scalars(select(Trade.created_at)).all()
        assert len(stamps) == 1 and stamps[0] <= voided_at
        assert service.audit_books().balanced


# --- a settled market is shown as settled, not as a forecast ------------------------------


def test_linked_markets_say_how_a_settled_market_ended(app, staff, customer):
    from voice.markets import service

    idea_ids = [factories.idea(customer, title=f"Idea number {n}") for n in range(3)]
    resolved = factories.market(staff, outcomes=("Yes", "No", "Maybe"), idea_id=idea_ids[0])
    voided = factories.market(staff, idea_id=idea_ids[1])
    factories.market(staff, outcomes=("Yes", "No", "Maybe"), idea_id=idea_ids[2])
    with app.app_context():
        service.resolve_market(staff, resolved.id, resolved.outcomes[0])
        service.void_market(staff, voided.id)
        linked = service.linked_markets(idea_ids)
    assert (linked[idea_ids[0]].status, linked[idea_ids[0]].outcome) == ("resolved", "Yes")
    assert linked[idea_ids[0]].summary == "Resolved: Yes"
    assert linked[idea_ids[0]].is_settled
    assert (linked[idea_ids[1]].status, linked[idea_ids[1]].summary) == ("voided", "Voided")
    assert linked[idea_ids[1]].outcome is None
    assert linked[idea_ids[2]].summary == "33% likely" and not linked[idea_ids[2]].is_settled


def test_market_pages_show_the_outcome_not_a_forecast(app, login, staff, customer):
    from voice.markets import service

    future = utcnow() + timedelta(days=30)
    resolved = factories.market(staff, question="Will the resolved one ship?", closes_at=future)
    voided = factories.market(staff, question="Will the voided one ship?", closes_at=future)
    with app.app_context():
        service.resolve_market(staff, resolved.id, resolved.outcomes[0])
        service.void_market(staff, voided.id)
    browser = login(customer)
    listing = browser.get("/markets").get_data(as_text=True)
    assert "Resolved: Yes" in listing and "Voided" in listing
    assert "50.0%" not in listing  # no price shown as a forecast for either
    assert "closes " not in listing
    page = browser.get(f"/markets/{resolved.id}").get_data(as_text=True)
    assert "closed " not in page and "closes " not in page  # not "closed" on a future date
    assert "liquidity b" not in page  # staff words, not for customers
    assert "50.0%" not in page
