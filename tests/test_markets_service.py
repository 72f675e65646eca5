"""The markets service on both databases: exact money, refusals, settlement, concurrency."""

from __future__ import annotations

import math
from datetime import timedelta
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import event, func, inspect, select

from tests import factories
from tests.conftest import run_in_threads
from voice.accounts.models import User
from voice.clock import utcnow
from voice.errors import Conflict, Forbidden, Invalid, NotFound
from voice.extensions import db
from voice.loop.models import Notification
from voice.markets import service
from voice.markets.models import LedgerEntry, Market, MarketEvent, Outcome, Position, Trade
from voice.markets.service import parse_shares, price_trade


def balance(app, user) -> int:
    with app.app_context():
        return db.session.get(User, user.id).balance


def books(app) -> service.Books:
    with app.app_context():
        return service.audit_books()


# --- the grant --------------------------------------------------------------------------


def test_customers_get_the_starting_grant_staff_do_not(app, customer, staff, admin):
    assert balance(app, customer) == 100_000  # 1,000 points in hundredths
    assert balance(app, staff) == 0 and balance(app, admin) == 0
    with app.app_context():
        rows = db.session.scalars(select(LedgerEntry)).all()
        assert [(r.user_id, r.kind, r.amount) for r in rows] == [(customer.id, "grant", 100_000)]
    assert books(app).balanced


# --- creating markets ---------------------------------------------------------------------


def test_create_market_records_b_outcomes_and_the_first_price_point(app, staff):
    market_id, outcome_ids = factories.market(staff, outcomes=("A", "B", "C"), liquidity="250.5")
    with app.app_context():
        view = service.get_market(market_id)
        assert view.market.liquidity == 25_050
        assert [o.label for o in view.outcomes] == ["A", "B", "C"]
        assert view.prices == pytest.approx([1 / 3] * 3)
        assert view.subsidy == math.ceil(25_050 * math.log(3))
        assert view.status == "open"
        assert len(service.price_history(market_id)) == 1
        assert [e.kind for e in service.market_events(market_id)] == ["created"]


def test_a_subsidy_gives_b_over_ln_n(app, staff):
    with app.app_context():
        market = service.create_market(staff, "Four-way question?", ["a", "b", "c", "d"],
                                       subsidy=Decimal("138.63"))
        assert market.liquidity == round(138.63 / math.log(4) * 100)  # b ≈ 100.00


@pytest.mark.parametrize(
    ("outcomes", "kwargs", "field"),
    [
        (["Yes"], {"liquidity": 100}, "outcomes"),
        ([f"o{i}" for i in range(21)], {"liquidity": 100}, "outcomes"),
        (["Yes", "yes"], {"liquidity": 100}, "outcomes"),
        (["Yes", "No"], {"liquidity": 0}, "liquidity"),
        (["Yes", "No"], {"liquidity": -5}, "liquidity"),
        (["Yes", "No"], {"liquidity": "nan"}, "liquidity"),
        (["Yes", "No"], {"liquidity": math.inf}, "liquidity"),
        (["Yes", "No"], {"liquidity": 1e9}, "liquidity"),
        (["Yes", "No"], {}, "liquidity"),
        (["Yes", "No"], {"liquidity": 100, "subsidy": 50}, "liquidity"),
        (["Yes", "No"], {"subsidy": 0}, "subsidy"),
        (["Yes", "No"], {"liquidity": 100, "idea_id": 999}, "idea_id"),
        (["Yes", "No"], {"liquidity": 100, "closes_at": utcnow() - timedelta(hours=1)},
         "closes_at"),
    ],
)
def test_create_market_refuses_bad_input(app, staff, outcomes, kwargs, field):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            service.create_market(staff, "Will it ship?", outcomes, **kwargs)
        assert refused.value.field == field
        assert db.session.scalar(select(func.count(Market.id))) == 0


def test_only_staff_create_markets(app, customer):
    with app.app_context(), pytest.raises(Forbidden):
        service.create_market(customer, "Will it ship?", ["Yes", "No"], liquidity=100)


def test_wording_is_editable_only_before_the_first_trade(app, staff, customer):
    market_id, outcome_ids = factories.market(staff)
    with app.app_context():
        service.edit_market(staff, market_id, question="Will offline mode ship by April?",
                            outcomes=["Ships", "Slips"], description="New words")
        view = service.get_market(market_id)
        assert view.market.question == "Will offline mode ship by April?"
        assert [o.label for o in view.outcomes] == ["Ships", "Slips"]
        with pytest.raises(Invalid):
            service.edit_market(staff, market_id, question="Three now?", outcomes=["a", "b", "c"])
        service.trade(customer.id, market_id, outcome_ids[0], shares=1_000_000)
        with pytest.raises(Conflict) as refused:
            service.edit_market(staff, market_id, question="Changed after trading",
                                outcomes=["Ships", "Slips"])
        assert refused.value.code == "market_has_trades"
        assert db.session.get(Market, market_id).question == "Will offline mode ship by April?"


# --- trading: the published values ---------------------------------------------------------


def test_buying_ten_shares_costs_5_13(app, staff, customer):
    market_id, (yes, no) = factories.market(staff)
    with app.app_context():
        result = service.trade(customer.id, market_id, yes, shares=10 * 1_000_000)
        assert result.trade.cost == 513  # 5.124948 rounded up
        assert result.balance == 100_000 - 513
        assert result.prices[0] == pytest.approx(0.524979, abs=1e-6)
        market = db.session.get(Market, market_id)
        assert market.maker_balance == 513
        assert db.session.get(Outcome, yes).shares == 10_000_000
        position = db.session.scalar(select(Position).where(Position.user_id == customer.id))
        assert (position.shares, position.cost_basis, position.net_spend) == (10_000_000, 513, 513)
    assert books(app).balanced


def test_spending_ten_buys_19_090282_shares(app, staff, customer):
    market_id, (yes, _no) = factories.market(staff)
    with app.app_context():
        result = service.trade(customer.id, market_id, yes, spend=1000)
        # 19.090283 exactly would cost 10.000000...; rounded down to the millionth
        assert result.trade.shares == 19_090_282
        assert result.trade.cost == 1000
        assert result.balance == 99_000


def test_buy_then_sell_back_loses_the_rounding(app, staff, customer):
    market_id, (yes, _no) = factories.market(staff)
    with app.app_context():
        service.trade(customer.id, market_id, yes, shares=10_000_000)
        sold = service.trade(customer.id, market_id, yes, sell_all=True)
        assert sold.trade.shares == -10_000_000
        assert sold.trade.cost == -512  # 5.124948 rounded down
        assert sold.balance == 100_000 - 1
        position = db.session.scalar(select(Position).where(Position.user_id == customer.id))
        assert (position.shares, position.cost_basis, position.realised) == (0, 0, -1)
        assert db.session.get(Market, market_id).maker_balance == 1
    assert books(app).balanced


def test_a_partial_sale_realises_profit_on_average_cost(app, staff, make_user):
    market_id, (yes, _no) = factories.market(staff)
    alice, bob = make_user(), make_user()
    with app.app_context():
        service.trade(alice.id, market_id, yes, shares=20_000_000)
        service.trade(bob.id, market_id, yes, shares=50_000_000)
        sale = service.trade(alice.id, market_id, yes, shares=-5_000_000)
        position = db.session.scalar(select(Position).where(Position.user_id == alice.id))
        bought = 100_000 - db.session.get(User, alice.id).balance - sale.trade.cost
        removed = bought * 5 // 20
        assert position.cost_basis == bought - removed
        assert position.realised == -sale.trade.cost - removed
        assert position.realised > 0  # the price rose after bob's buy


# --- refusals -------------------------------------------------------------------------------


def expect_refusal(app, error_type, code, **trade_kwargs):
    with app.app_context(), pytest.raises(error_type) as refused:
        service.trade(**trade_kwargs)
    assert refused.value.code == code


def test_trade_refusals_change_nothing(app, staff, customer, make_user):
    market_id, (yes, no) = factories.market(staff)
    other_id, (other_yes, _) = factories.market(staff)
    base = {"user_id": customer.id, "market_id": market_id}
    expect_refusal(app, Invalid, "invalid_outcome", outcome_id=other_yes, shares=1_000_000,
                   **base)
    expect_refusal(app, Invalid, "invalid_outcome", outcome_id="x", shares=1_000_000, **base)
    expect_refusal(app, Conflict, "insufficient_shares", outcome_id=yes, shares=-1, **base)
    expect_refusal(app, Conflict, "insufficient_shares", outcome_id=yes, sell_all=True, **base)
    expect_refusal(app, Conflict, "insufficient_balance", outcome_id=yes, spend=100_001, **base)
    expect_refusal(app, Invalid, "invalid_trade", outcome_id=yes, shares=1, spend=1, **base)
    expect_refusal(app, Invalid, "invalid_shares", outcome_id=yes, shares=0, **base)
    expect_refusal(app, Invalid, "invalid_spend", outcome_id=yes, spend=-5, **base)
    expect_refusal(app, Forbidden, "forbidden", user_id=staff.id, market_id=market_id,
                   outcome_id=yes, shares=1_000_000)
    expect_refusal(app, NotFound, "not_found", user_id=customer.id, market_id=9999,
                   outcome_id=yes, shares=1_000_000)
    # limits: the quote is 5.13; a limit of 5.12 is passed, 5.13 is not
    expect_refusal(app, Conflict, "price_moved", outcome_id=yes, shares=10_000_000,
                   max_cost=Decimal("5.12"), **base)
    with app.app_context():
        assert db.session.scalar(select(func.count(Trade.id))) == 0
        assert db.session.get(User, customer.id).balance == 100_000
        assert db.session.get(Outcome, yes).shares == 0
        service.trade(customer.id, market_id, yes, shares=10_000_000, max_cost=Decimal("5.13"))
    expect_refusal(app, Conflict, "price_moved", outcome_id=yes, shares=-10_000_000,
                   min_proceeds=Decimal("5.13"), **base)
    expect_refusal(app, Conflict, "insufficient_shares", outcome_id=yes, shares=-10_000_001,
                   **base)
    assert books(app).balanced


def test_buying_beyond_the_balance_is_refused(app, staff, customer):
    market_id, (yes, _no) = factories.market(staff)
    # 2000 shares at b=100 cost ≈ 2000 − 69.3 points: more than the 1,000 granted
    expect_refusal(app, Conflict, "insufficient_balance", user_id=customer.id,
                   market_id=market_id, outcome_id=yes, shares=2_000 * 1_000_000)


def test_price_moved_carries_a_fresh_quote(app, staff, make_user):
    market_id, (yes, _no) = factories.market(staff)
    alice, bob = make_user(), make_user()
    with app.app_context():
        first = service.quote(market_id, yes, shares=10_000_000)
        service.trade(bob.id, market_id, yes, shares=30_000_000)
        with pytest.raises(service.PriceMoved) as moved:
            service.trade(alice.id, market_id, yes, shares=10_000_000,
                          max_cost=Decimal(first.cost) / 100)
        assert moved.value.quote.cost > first.cost


@pytest.mark.parametrize("value", ["nan", "inf", "-inf", "abc", "", None, True, 0, "0.0000001",
                                   "1e12", 1e300, [1]])
def test_bad_share_counts_are_refused(value):
    with pytest.raises(Invalid):
        parse_shares(value)


def test_share_counts_are_exact_to_the_millionth():
    assert parse_shares("1.2345678") == 1_234_567
    assert parse_shares(-2.5) == -2_500_000
    assert parse_shares("1000000") == 1_000_000 * 1_000_000
    with pytest.raises(Invalid):
        parse_shares(-1, signed=False)
    assert service.parse_points("10.009", "spend") == 1000
    for bad in ("0.001", "-1", "nan", "1e7"):
        with pytest.raises(Invalid):
            service.parse_points(bad, "spend")


def test_no_trade_after_close_time_or_settlement(app, staff, customer):
    closes = utcnow() + timedelta(hours=1)
    market_id, (yes, _no) = factories.market(staff, closes_at=closes)
    expect_refusal(app, Conflict, "market_not_open", user_id=customer.id, market_id=market_id,
                   outcome_id=yes, shares=1_000_000, now=closes + timedelta(seconds=1))
    with app.app_context():
        assert service.get_market(market_id).status == "open"
        service.trade(customer.id, market_id, yes, shares=1_000_000)
        service.resolve_market(staff, market_id, yes)
    expect_refusal(app, Conflict, "market_not_open", user_id=customer.id, market_id=market_id,
                   outcome_id=yes, sell_all=True)


# --- resolve and void ---------------------------------------------------------------------------


def test_resolve_pays_each_winning_share_one_point(app, staff, make_user):
    market_id, (yes, no) = factories.market(staff)
    alice, bob = make_user(), make_user()
    with app.app_context():
        a = service.trade(alice.id, market_id, yes, shares=30_500_000)
        b = service.trade(bob.id, market_id, no, shares=12_000_000)
        service.resolve_market(staff, market_id, yes, note="Shipped on 2 March.")
        assert db.session.get(User, alice.id).balance == 100_000 - a.trade.cost + 3_050
        assert db.session.get(User, bob.id).balance == 100_000 - b.trade.cost
        market = db.session.get(Market, market_id)
        assert market.status == "resolved" and market.resolved_outcome_id == yes
        assert market.resolved_by_id == staff.id and market.resolution_note == "Shipped on 2 March."
        assert market.maker_balance == a.trade.cost + b.trade.cost - 3_050
        # the maker's loss is bounded by b ln 2
        assert -market.maker_balance <= math.ceil(10_000 * math.log(2))
        position = db.session.scalar(select(Position).where(Position.user_id == alice.id))
        assert (position.shares, position.settled_shares) == (0, 30_500_000)
        assert position.realised == 3_050 - a.trade.cost
        notices = db.session.scalars(select(Notification).order_by(Notification.user_id)).all()
        assert [(n.user_id, n.kind) for n in notices] == [(alice.id, "market_resolved"),
                                                          (bob.id, "market_resolved")]
        assert notices[0].link == f"/markets/{market_id}"
        assert [e.kind for e in service.market_events(market_id)] == ["created", "resolved"]
        for again in (lambda: service.resolve_market(staff, market_id, no),
                      lambda: service.void_market(staff, market_id)):
            with pytest.raises(Conflict) as refused:
                again()
            assert refused.value.code == "market_settled"
        assert db.session.get(User, bob.id).balance == 100_000 - b.trade.cost
    assert books(app).balanced


def test_resolve_refuses_an_outcome_of_another_market_and_customers(app, staff, customer):
    market_id, _ids = factories.market(staff)
    _other, (other_yes, _) = factories.market(staff)
    with app.app_context():
        with pytest.raises(Invalid):
            service.resolve_market(staff, market_id, other_yes)
        with pytest.raises(Forbidden):
            service.resolve_market(customer, market_id, _ids[0])
        assert db.session.get(Market, market_id).status == "open"


def test_void_refunds_net_spend_and_claws_back_profit(app, staff, make_user):
    market_id, (yes, no) = factories.market(staff)
    second_id, (second_yes, _) = factories.market(staff, liquidity=1000)
    alice, bob, carol = make_user(), make_user(), make_user()
    with app.app_context():
        a_buy = service.trade(alice.id, market_id, yes, shares=100_000_000)
        b_buy = service.trade(bob.id, market_id, yes, shares=400_000_000)
        a_sell = service.trade(alice.id, market_id, yes, sell_all=True)
        profit = -a_sell.trade.cost - a_buy.trade.cost
        assert profit > 0
        c_buy = service.trade(carol.id, market_id, no, shares=5_000_000)
        # alice spends all but 3.00 points in another market: the clawback is short
        spend = db.session.get(User, alice.id).balance - 300
        service.trade(alice.id, second_id, second_yes, spend=spend)
        left = db.session.get(User, alice.id).balance
        assert left >= 300
        service.void_market(staff, market_id, note="The question was ambiguous.")
        # issue 13: the whole profit is clawed back; below zero it is a debt
        assert db.session.get(User, alice.id).balance == left - profit
        assert db.session.get(User, bob.id).balance == 100_000
        assert db.session.get(User, carol.id).balance == 100_000
        market = db.session.get(Market, market_id)
        assert market.status == "voided"
        assert market.unrecovered == 0
        assert market.maker_balance == 0
        event_row = db.session.scalar(select(MarketEvent).where(MarketEvent.kind == "voided"))
        assert event_row.data["unrecovered"] == 0
        assert event_row.data["debts"] == {str(alice.id): profit - left}
        assert event_row.data["refunded"] == b_buy.trade.cost + c_buy.trade.cost
        assert event_row.note == "The question was ambiguous."
        kinds = db.session.scalars(select(Notification.kind)).all()
        assert sorted(kinds) == ["market_voided"] * 3
        with pytest.raises(Conflict):
            service.void_market(staff, market_id)
    assert books(app).balanced


# --- rounding never pays a trader -------------------------------------------------------------


states = st.lists(st.integers(-300_000_000, 300_000_000), min_size=2, max_size=6)


@given(states, st.integers(100, 100_000), st.integers(1, 500_000_000), st.data())
@settings(max_examples=300, deadline=None)
def test_a_buy_sell_cycle_never_profits(q, liquidity, shares, data):
    index = data.draw(st.integers(0, len(q) - 1))
    buy = price_trade(q, liquidity, index, shares=shares)
    after = list(q)
    after[index] += shares
    sell = price_trade(after, liquidity, index, shares=-shares)
    assert buy.cost >= 1
    assert -sell.cost <= buy.cost


@given(states, st.integers(100, 100_000), st.integers(1, 10_000_000), st.data())
@settings(max_examples=300, deadline=None)
def test_spending_never_gets_more_than_paid_for(q, liquidity, spend, data):
    index = data.draw(st.integers(0, len(q) - 1))
    try:
        bought = price_trade(q, liquidity, index, spend=spend)
    except Invalid:
        return  # too small to buy a millionth
    assert 1 <= bought.cost <= spend
    # those shares priced on their own cost the same: the charge covers them
    assert price_trade(q, liquidity, index, shares=bought.shares).cost == bought.cost
    after = list(q)
    after[index] += bought.shares
    assert -price_trade(after, liquidity, index, shares=-bought.shares).cost <= bought.cost


@given(st.lists(st.tuples(st.integers(0, 2), st.integers(-50_000_000, 80_000_000)),
                min_size=1, max_size=30), st.integers(500, 50_000))
@settings(max_examples=200, deadline=None)
def test_round_trips_of_any_sequence_leave_the_maker_whole(trades, liquidity):
    """Trade any sequence, then undo it: the maker ends with at least what it started."""
    q = [0, 0, 0]
    maker = 0
    done = []
    for index, shares in trades:
        if shares == 0:
            continue
        maker += price_trade(q, liquidity, index, shares=shares).cost
        q[index] += shares
        done.append((index, shares))
    for index, shares in reversed(done):
        maker += price_trade(q, liquidity, index, shares=-shares).cost
        q[index] -= shares
    assert q == [0, 0, 0]
    assert maker >= 0


# --- concurrency -------------------------------------------------------------------------------


def test_concurrent_traders_lose_nothing(app, staff, make_user):
    market_id, (yes, no, later) = factories.market(staff, outcomes=("Yes", "No", "Later"))
    traders = [make_user() for _ in range(14)]
    outcome_ids = [yes, no, later]

    def work(i: int):
        user = traders[i]
        mine = outcome_ids[i % 3]
        done = []
        done.append(service.trade(user.id, market_id, mine, shares=(i + 1) * 1_000_000))
        done.append(service.trade(user.id, market_id, outcome_ids[(i + 1) % 3],
                                  spend=250 + 37 * i))
        done.append(service.trade(user.id, market_id, mine, shares=-500_000))
        if i % 2:
            done.append(service.trade(user.id, market_id, outcome_ids[(i + 1) % 3],
                                      sell_all=True))
        done.append(service.trade(user.id, market_id, mine, spend=99))
        return [r.trade.shares for r in done]

    results = run_in_threads(app, work, len(traders))
    assert [r for r in results if isinstance(r, Exception)] == []
    with app.app_context():
        trades = db.session.scalar(select(func.count(Trade.id)))
        assert trades == sum(len(r) for r in results) == 14 * 4 + 7
        q_total = sum(o.shares for o in db.session.scalars(select(Outcome)))
        assert q_total == sum(sum(r) for r in results)
        audit = service.audit_books()
        assert audit.user_mismatches == {} and audit.maker_mismatches == {}
        assert audit.q_mismatches == {}
        assert audit.users_total + audit.makers_total == 14 * 100_000 == audit.grants_total
        assert db.session.get(Market, market_id).trade_count == trades
        assert len(service.price_history(market_id)) == trades + 1
    assert_each_trade_priced_on_the_state_before_it(app, market_id)


def test_concurrent_sells_cannot_oversell(app, staff, customer):
    market_id, (yes, _no) = factories.market(staff)
    with app.app_context():
        service.trade(customer.id, market_id, yes, shares=5_000_000)

    def work(i: int):
        return service.trade(customer.id, market_id, yes, shares=-1_000_000)

    results = run_in_threads(app, work, 8)
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 3 and {r.code for r in refused} == {"insufficient_shares"}
    with app.app_context():
        assert db.session.get(Outcome, yes).shares == 0
    assert books(app).balanced
    assert_each_trade_priced_on_the_state_before_it(app, market_id)


def test_one_trader_on_many_markets_at_once(app, staff, customer):
    """Trades on different markets run side by side and meet on the trader's row: none
    may lose another's change of the balance or read a position from before it."""
    markets = [factories.market(staff) for _ in range(8)]

    def work(i: int):
        market_id, (yes, no) = markets[i]
        bought = service.trade(customer.id, market_id, yes if i % 2 else no, spend=100 + i)
        more = service.trade(customer.id, market_id, yes if i % 2 else no, shares=1_000_000)
        sold = service.trade(customer.id, market_id, yes if i % 2 else no, shares=-500_000)
        return [bought.trade, more.trade, sold.trade]

    results = run_in_threads(app, work, len(markets))
    assert [r for r in results if isinstance(r, Exception)] == []
    with app.app_context():
        spent = sum(t.cost for trades in results for t in trades)
        assert db.session.get(User, customer.id).balance == 100_000 - spent
        for (market_id, _ids), trades in zip(markets, results, strict=True):
            position = db.session.scalar(select(Position).where(Position.market_id == market_id))
            assert position.shares == sum(t.shares for t in trades)
            assert position.net_spend == sum(t.cost for t in trades)
            assert position.cost_basis - position.realised == sum(t.cost for t in trades)
    assert books(app).balanced
    for market_id, _ids in markets:
        assert_each_trade_priced_on_the_state_before_it(app, market_id)


def assert_each_trade_priced_on_the_state_before_it(app, market_id: int) -> None:
    """Replay the market's trades in the order they were written: each must have been
    priced on q as the trades before it left it (a quote on a stale q, read before the
    market's lock was held, shows here as a price or cost that does not replay)."""
    with app.app_context():
        liquidity = db.session.get(Market, market_id).liquidity
        outcome_ids = db.session.scalars(select(Outcome.id).where(Outcome.market_id == market_id)
                                         .order_by(Outcome.position)).all()
        q = [0] * len(outcome_ids)
        trades = db.session.scalars(select(Trade).where(Trade.market_id == market_id)
                                    .order_by(Trade.id)).all()
        assert trades
        for done in trades:
            index = outcome_ids.index(done.outcome_id)
            again = price_trade(q, liquidity, index, shares=done.shares)
            assert (done.cost, done.price_before, done.price_after) == (
                again.cost, again.prices_before[index], again.prices_after[index]), done.id
            q[index] += done.shares
        assert q == [db.session.get(Outcome, o).shares for o in outcome_ids]


# --- one trade's statements -------------------------------------------------------------------


def test_a_trade_is_two_reads_and_seven_writes(app, staff, customer):
    """Market and outcomes locked in one read, the trader and their position in another;
    then one statement per row written, the position an upsert; nothing read back."""
    from tests.conftest import counting_statements
    from voice import signals

    market_id, (yes, _no) = factories.market(staff)
    expected = ["SELECT markets.", "SELECT users.", "INSERT INTO trades",
                "INSERT INTO ledger_entries", "UPDATE users", "UPDATE markets",
                "UPDATE market_outcomes", "INSERT INTO positions",
                "INSERT INTO market_price_points"]
    for size in ({"shares": 2_000_000}, {"spend": 300}, {"shares": -1_000_000}):
        with signals.market_traded.muted(), counting_statements(app) as statements, \
                app.app_context():
            result = service.trade(customer.id, market_id, yes, **size)
            assert result.trade.id and result.trade.created_at  # no statement to read them
        assert len(statements) == len(expected), statements
        assert all(s.startswith(e) for e, s in zip(expected, statements, strict=True)), statements
    assert books(app).balanced


def test_the_trade_returned_is_the_row_written(app, staff, customer):
    market_id, (yes, _no) = factories.market(staff)
    with app.app_context():
        result = service.trade(customer.id, market_id, yes, spend=250)
        assert inspect(result.trade).detached  # complete, so reading it sends nothing
        stored = db.session.get(Trade, result.trade.id)
        columns = [c.key for c in Trade.__table__.columns]
        assert {c: getattr(result.trade, c) for c in columns} == {
            c: getattr(stored, c) for c in columns}
        assert result.balance == db.session.get(User, customer.id).balance == 100_000 - 250


def test_a_trade_inside_an_enclosing_transaction_updates_what_it_loaded(app, staff, customer):
    """Called inside another service's transaction, a trade's writes show in the objects
    that transaction had already loaded (the user, the outcome, the position, the market)."""
    from voice.database import write_transaction

    market_id, (yes, _no) = factories.market(staff)
    with app.app_context():
        service.trade(customer.id, market_id, yes, shares=3_000_000)
        with write_transaction():
            user = db.session.get(User, customer.id)
            outcome = db.session.get(Outcome, yes)
            position = db.session.scalar(select(Position).where(Position.user_id == user.id))
            market = db.session.get(Market, market_id)
            before = (user.balance, outcome.shares, position.shares, market.trade_count,
                      market.maker_balance, market.volume)
            sale = service.trade(customer.id, market_id, yes, shares=-1_000_000)
            proceeds = -sale.trade.cost
            assert (user.balance, outcome.shares, position.shares, market.trade_count,
                    market.maker_balance, market.volume) == (
                before[0] + proceeds, before[1] - 1_000_000, before[2] - 1_000_000,
                before[3] + 1, before[4] - proceeds, before[5] + proceeds)
            assert position.net_spend == db.session.scalar(
                select(func.sum(Trade.cost)).where(Trade.user_id == user.id))
    assert books(app).balanced


def test_a_trade_sees_what_its_enclosing_transaction_changed(app, staff, customer):
    """Changes the enclosing transaction has not flushed yet (here a grant) reach the
    database before the trade reads the balance, and are not overwritten after it."""
    from voice.database import write_transaction

    market_id, (yes, _no) = factories.market(staff, liquidity=10_000)
    with app.app_context():
        with write_transaction():
            user = db.session.get(User, customer.id)
            user.balance += 50_000
            db.session.add(LedgerEntry(account="user", user_id=user.id, amount=50_000,
                                       kind="grant", created_at=utcnow()))
            result = service.trade(customer.id, market_id, yes, spend=120_000)
        assert result.balance == db.session.get(User, customer.id).balance == 30_000
    assert books(app).balanced


# --- reading: positions, leaderboard, linked markets ---------------------------------------------


def count_queries(app):
    counter = {"n": 0}

    def before(_conn, _cursor, statement, *_args):
        if statement.lstrip().upper().startswith("SELECT"):  # not SQLite's BEGIN
            counter["n"] += 1

    event.listen(db.engine, "before_cursor_execute", before)
    return counter, lambda: event.remove(db.engine, "before_cursor_execute", before)


def test_positions_and_leaderboard(app, staff, make_user):
    market_id, (yes, no) = factories.market(staff)
    alice, bob, _carol = make_user(), make_user(), make_user()
    with app.app_context():
        a = service.trade(alice.id, market_id, yes, shares=50_000_000)
        b = service.trade(bob.id, market_id, no, shares=10_000_000)
        grouped = service.positions_for(alice.id)
        assert len(grouped) == 1
        row = grouped[0].rows[0]
        price = service.get_market(market_id).prices[0]
        assert row.value == math.floor(50 * price * 100)
        assert row.unrealised == row.value - a.trade.cost
        board = service.leaderboard()
        assert board.total == 3
        worth = {r.user_id: r.net_worth for r in board.items}
        assert worth[alice.id] == 100_000 - a.trade.cost + row.value
        assert worth[bob.id] == 100_000 - b.trade.cost + math.floor(10 * (1 - price) * 100)
        assert [r.rank for r in board.items] == [1, 2, 3]
        assert board.items[0].net_worth >= board.items[1].net_worth >= board.items[2].net_worth


def test_linked_markets_in_one_query(app, staff):
    from voice.ideas.models import Idea

    with app.app_context():
        ideas = [Idea(title=f"Idea {i}", description="") for i in range(3)]
        db.session.add_all(ideas)
        db.session.commit()
        idea_ids = [i.id for i in ideas]
    first, (yes, _) = factories.market(staff, idea_id=idea_ids[0])
    second, _ids = factories.market(staff, outcomes=("A", "B", "C"), idea_id=idea_ids[1])
    with app.app_context():
        counter, stop = count_queries(app)
        linked = service.linked_markets(idea_ids)
        stop()
        assert counter["n"] == 1
        assert set(linked) == {idea_ids[0], idea_ids[1]}
        assert linked[idea_ids[0]] == service.LinkedMarket(first, "Will offline mode ship by "
                                                           "March?", 0.5, "open")
        assert linked[idea_ids[1]].probability == pytest.approx(1 / 3)
        assert service.linked_markets([]) == {}


def test_the_trade_list_total_is_the_markets_counter_and_matches_its_trades(
        app, staff, make_user):
    """The pager's total comes from ``markets.trade_count`` (no count over the trades):
    every way a trade is written keeps it equal to the trade rows, sales at account
    closing included."""
    from sqlalchemy import func, select

    from voice.markets.models import Trade

    market_id, outcomes = factories.market(staff)
    buyers = [make_user() for _ in range(3)]
    with app.app_context():
        for n in range(7):
            service.trade(buyers[n % 3].id, market_id, outcomes[n % 2], spend=100)
        service.settle_positions_of(buyers[0].id)
        db.session.commit()
        stored = db.session.scalar(
            select(func.count(Trade.id)).where(Trade.market_id == market_id))
        listing = service.market_trades(market_id, 1, 5)
        assert stored > 7  # the closing account's sales are trades too
        assert listing.total == stored
        assert len(listing.items) == 5
        assert len(service.market_trades(market_id, 2, 5).items) == stored - 5


# --- one rule of who may trade, one writer of the books -----------------------------------------


def test_who_may_trade_is_decided_by_the_service(app, staff, customer):
    from flask_login import AnonymousUserMixin

    market_id, (yes, _no) = factories.market(staff)
    with app.app_context():
        view = service.get_market(market_id)
        shown = db.session.get(User, customer.id)
        assert service.may_trade(shown, view)
        assert not service.may_trade(db.session.get(User, staff.id), view)
        assert not service.may_trade(AnonymousUserMixin(), view)
        assert not service.may_trade(None, view)
        service.resolve_market(staff, market_id, yes)
        settled = service.get_market(market_id)
        assert not service.may_trade(db.session.get(User, customer.id), settled)
        with pytest.raises(Conflict) as refused:
            service.quote(market_id, yes, shares=1_000_000)  # no quote on a settled market
        assert refused.value.code == "market_not_open"


def test_a_settlement_inside_an_enclosing_transaction_updates_what_it_loaded(
        app, staff, make_user):
    """Resolution writes through the same Core writer as a trade: the objects an
    enclosing transaction had loaded show the payout and the settled position."""
    from voice.database import write_transaction

    market_id, (yes, _no) = factories.market(staff)
    alice = make_user()
    with app.app_context():
        bought = service.trade(alice.id, market_id, yes, shares=4_000_000)
        with write_transaction():
            user = db.session.get(User, alice.id)
            position = db.session.scalar(select(Position).where(Position.user_id == alice.id))
            market = db.session.get(Market, market_id)
            before = (user.balance, market.maker_balance)
            service.resolve_market(db.session.get(User, staff.id), market_id, yes)
            assert (user.balance, market.maker_balance) == (before[0] + 400,
                                                            before[1] - 400)
            assert (position.shares, position.settled_shares, position.cost_basis,
                    position.realised) == (0, 4_000_000, 0, 400 - bought.trade.cost)
    assert books(app).balanced


def test_resolution_writes_each_kind_of_row_once(app, staff, make_user):
    """Positions, ledger rows and balances of every trader in one statement each."""
    from tests.conftest import counting_statements

    market_id, (yes, no) = factories.market(staff)
    traders = [make_user() for _ in range(4)]
    with app.app_context():
        for n, trader in enumerate(traders):
            service.trade(trader.id, market_id, (yes, no)[n % 2], shares=2_000_000)
    with counting_statements(app) as statements, app.app_context():
        service.resolve_market(staff, market_id, yes)
    for table in ("INSERT INTO ledger_entries", "UPDATE users", "INSERT INTO positions"):
        assert sum(s.startswith(table) for s in statements) == 1, (table, statements)
    assert not any(s.startswith("UPDATE positions") for s in statements), statements
    assert books(app).balanced


def test_the_grant_is_connected_once_by_the_hooks(app):
    from voice import signals
    from voice.markets import hooks

    hooks.connect()
    hooks.connect()
    receivers = [r() if callable(r) and not hasattr(r, "__code__") else r
                 for r in signals.user_registered.receivers.values()]
    assert [r for r in receivers if r is service.grant_starting_balance] == [
        service.grant_starting_balance]


# --- the pure core: position arithmetic -------------------------------------------------------


def test_position_changes_of_a_trade_a_resolution_and_a_void():
    from voice.markets import money

    buy = price_trade([0, 0], 10_000, 0, shares=10_000_000)
    held = money.Holding(shares=10_000_000, cost_basis=buy.cost)
    assert money.traded(buy, money.Holding()) == money.PositionChange(
        shares=10_000_000, cost_basis=buy.cost, net_spend=buy.cost)
    sale = price_trade([10_000_000, 0], 10_000, 0, shares=-4_000_000)
    removed = buy.cost * 4 // 10
    assert money.traded(sale, held) == money.PositionChange(
        shares=-4_000_000, cost_basis=-removed, realised=-sale.cost - removed,
        net_spend=sale.cost)
    assert money.resolved(held, 1_000) == money.PositionChange(
        shares=-10_000_000, cost_basis=-buy.cost, realised=1_000 - buy.cost,
        settled_shares=10_000_000)
    after_sales = money.Holding(shares=2, cost_basis=1, realised=40)
    assert money.voided(after_sales) == money.PositionChange(
        shares=-2, cost_basis=-1, realised=-40, settled_shares=2)
    # issue 13: clawbacks are whole; what the balance does not cover is a debt
    plan = money.void_plan({1: 500, 2: -300, 3: -900, 4: 0}, {2: 1_000, 3: 200})
    assert (plan.refunds, plan.clawbacks, plan.debts) == ({1: 500}, {2: 300, 3: 900},
                                                          {3: 700})
    assert (plan.refunded, plan.clawed) == (500, 1_200)
