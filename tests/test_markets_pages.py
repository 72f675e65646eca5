"""The markets pages as plain form posts (no JavaScript), with CSRF on."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests import factories
from voice.accounts.models import User
from voice.extensions import db
from voice.markets import service
from voice.markets.models import Market, Trade


@pytest.fixture
def market(app, staff):
    made = factories.market(staff, description="**Resolves** on 1 April.")
    return {"id": made.id, "yes": made.outcomes[0], "no": made.outcomes[1]}


def text(response) -> str:
    return response.get_data(as_text=True)


def test_the_list_and_the_market_page(app, login, market, customer):
    page = text(login().get("/markets"))
    assert "Will offline mode ship by March?" in page and "50.0%" in page
    anonymous = text(login().get(f"/markets/{market['id']}"))
    assert "<strong>Resolves</strong>" in anonymous  # Markdown, sanitised
    assert "Sign in" in anonymous and 'id="trade-form"' not in anonymous
    assert 'data-chart=\'{"labels"' in anonymous
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", anonymous) is None  # no inline script
    signed_in = text(login(customer).get(f"/markets/{market['id']}"))
    assert 'id="trade-form"' in signed_in and "/api/v1/markets/" in signed_in
    assert login().get("/markets/999").status_code == 404


def trade_form(market, **fields):
    data = {"outcome_id": market["yes"], "action": "buy_shares", "amount": "10"}
    data.update(fields)
    return data


def test_buy_without_javascript(app, login, market, customer):
    browser = login(customer)
    response = browser.post(f"/markets/{market['id']}/trade", data=trade_form(market))
    assert response.status_code == 302
    page = text(browser.get(f"/markets/{market['id']}"))
    assert "Bought 10.000000 shares of “Yes” for 5.13 points" in page
    assert "52.5%" in page  # the new probability
    assert 'id="my-position"' in page
    positions = text(browser.get("/me/positions"))
    assert "Will offline mode ship by March?" in positions and "10.000000" in positions
    assert "994.87" in positions
    # sell all, then spend
    assert browser.post(f"/markets/{market['id']}/trade",
                        data=trade_form(market, action="sell_all", amount="")).status_code == 302
    assert browser.post(f"/markets/{market['id']}/trade",
                        data=trade_form(market, action="buy_spend", amount="10")).status_code == 302
    with app.app_context():
        shares = db.session.scalars(select(Trade.shares).order_by(Trade.id)).all()
        assert shares == [10_000_000, -10_000_000, 19_090_282]


def test_a_passed_limit_shows_price_moved_and_a_fresh_quote(app, login, market, customer):
    browser = login(customer)
    response = browser.post(f"/markets/{market['id']}/trade",
                            data=trade_form(market, max_cost="5.00"))
    assert response.status_code == 409
    page = text(response)
    assert "The price moved" in page and "Fresh quote" in page and "5.13" in page
    with app.app_context():
        assert db.session.scalar(select(func.count(Trade.id))) == 0


@pytest.mark.parametrize(("fields", "status", "message"), [
    ({"amount": "0"}, 400, "above zero"),
    ({"amount": "nan"}, 400, "finite"),
    ({"amount": "lots"}, 400, "must be a number"),
    ({"amount": "99999999"}, 400, "at most"),
    ({"action": "sell_shares", "amount": "5"}, 409, "more shares than you hold"),
    ({"action": "buy_spend", "amount": "5000"}, 409, "more than your balance"),
    ({"outcome_id": "12345"}, 400, "Not a valid choice"),
])
def test_bad_trades_re_render_with_the_message(app, login, market, customer, fields, status,
                                               message):
    response = login(customer).post(f"/markets/{market['id']}/trade",
                                    data=trade_form(market, **fields))
    assert response.status_code == status
    assert message in text(response)
    with app.app_context():
        assert db.session.get(User, customer.id).balance == 100_000


def test_staff_cannot_trade(app, login, market, staff):
    browser = login(staff)
    assert 'id="trade-form"' not in text(browser.get(f"/markets/{market['id']}"))
    response = browser.post(f"/markets/{market['id']}/trade", data=trade_form(market))
    assert response.status_code == 403
    assert "only customers trade" in text(response)


def test_trading_needs_a_sign_in(app, login, market):
    response = login().post(f"/markets/{market['id']}/trade", data=trade_form(market))
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_leaderboard_page(app, login, market, make_user):
    alice = make_user(name="Alice Trader")
    login(alice).post(f"/markets/{market['id']}/trade", data=trade_form(market, amount="100"))
    page = text(login().get("/markets/leaderboard"))
    assert "Alice Trader" in page and "1,011.08" in page


def test_staff_pages_are_guarded(app, login, market, customer):
    for path in ("/admin/markets", "/admin/markets/new", f"/admin/markets/{market['id']}"):
        assert login(customer).get(path).status_code == 403
        assert login().get(path).status_code == 302
    response = login(customer).post(f"/admin/markets/{market['id']}/resolve",
                                    data={"resolve-outcome_id": market["yes"]})
    assert response.status_code == 403


def test_staff_create_a_market(app, login, staff):
    from voice.ideas.models import Idea

    with app.app_context():
        idea = Idea(title="Offline mode", description="")
        db.session.add(idea)
        db.session.commit()
        idea_id = idea.id
    browser = login(staff)
    form = text(browser.get(f"/admin/markets/new?idea_id={idea_id}"))
    assert f'value="{idea_id}"' in form
    refused = browser.post("/admin/markets/new", data={
        "question": "Only one outcome?", "outcomes": "Yes", "liquidity": "100"})
    assert refused.status_code == 400 and "2 to 20 outcomes" in text(refused)
    refused = browser.post("/admin/markets/new", data={
        "question": "Zero liquidity?", "outcomes": "Yes\nNo", "liquidity": "0"})
    assert refused.status_code == 400 and "liquidity b is between" in text(refused)
    created = browser.post("/admin/markets/new", data={
        "question": "Will offline mode ship?", "outcomes": "Yes\nNo\nPartly", "liquidity": "",
        "subsidy": "109.86", "idea_id": str(idea_id), "closes_at": "2099-03-01T12:00"})
    assert created.status_code == 302
    with app.app_context():
        market = db.session.scalar(select(Market))
        # issue 13: 109.86 / ln 3 = 99.997 rounded DOWN (b = 100 would lose 109.861)
        assert market.idea_id == idea_id and market.liquidity == 9_999
        assert market.closes_at.year == 2099
        assert service.linked_markets([idea_id])[idea_id].probability == pytest.approx(1 / 3)


def test_staff_edit_resolve_and_void(app, login, market, staff, customer, make_user):
    browser = login(staff)
    edit = {"edit-question": "Will offline mode ship by April?", "edit-outcomes": "Yes\nNo",
            "edit-description": "", "edit-closes_at": ""}
    assert browser.post(f"/admin/markets/{market['id']}/edit", data=edit).status_code == 302
    login(customer).post(f"/markets/{market['id']}/trade", data=trade_form(market))
    refused = browser.post(f"/admin/markets/{market['id']}/edit",
                           data={**edit, "edit-question": "Changed after a trade?"})
    assert refused.status_code == 409 and "fixed once someone has traded" in text(refused)
    resolved = browser.post(f"/admin/markets/{market['id']}/resolve", data={
        "resolve-outcome_id": market["yes"], "resolve-note": "It shipped.", "confirmed": "yes"})
    assert resolved.status_code == 302
    page = text(browser.get(f"/admin/markets/{market['id']}"))
    assert "resolved" in page and "It shipped." in page and staff.display_name in page
    again = browser.post(f"/admin/markets/{market['id']}/void",
                         data={"void-note": "oops", "confirmed": "yes"})
    assert again.status_code == 409 and "already resolved" in text(again)
    with app.app_context():
        assert db.session.get(User, customer.id).balance == 100_000 - 513 + 1000
        other = service.create_market(db.session.merge(staff), "Another question?",
                                      ["A", "B"], liquidity=50)
        other_id = other.id
    voided = browser.post(f"/admin/markets/{other_id}/void",
                          data={"void-note": "Unclear.", "confirmed": "yes"})
    assert voided.status_code == 302
    listing = text(browser.get("/admin/markets"))
    assert "voided" in listing and "Another question?" in listing
    public = text(login(customer).get(f"/markets/{market['id']}"))
    assert "Resolved: <strong>Yes</strong>" in public and "It shipped." in public
