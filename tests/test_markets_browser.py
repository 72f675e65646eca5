"""In Chromium: a customer watches the live quote, buys, sees the position and the new
probability; staff resolve; the customer sees the payout and a notification."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in
from voice.markets import service

pytestmark = pytest.mark.browser


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()


def test_trade_resolve_and_payout_in_a_browser(app, page, staff, customer):
    with app.app_context():
        market_id = service.create_market(staff, "Will offline mode ship by March?",
                                          ["Yes", "No"], liquidity=100).id
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, customer)
    page.goto(f"/markets/{market_id}")
    expect(page.locator("#price-chart")).to_be_visible()
    quote = page.locator("#quote")
    amount = page.get_by_label("Shares, or points to spend")
    amount.press_sequentially("1", delay=50)
    expect(quote).to_contain_text("1.000000 shares of Yes cost 0.51 points")  # 0.50125 up
    amount.press_sequentially("0", delay=50)  # now 10
    expect(quote).to_contain_text("10.000000 shares of Yes cost 5.13 points")
    expect(quote).to_contain_text("Yes goes to 52.5%")
    expect(quote).to_contain_text("Payout if Yes wins: 10.00 points")
    expect(page.locator("#max_cost")).to_have_value("5.13")  # the quoted limit travels along
    page.get_by_label("Buy for an amount").check()
    expect(quote).to_contain_text("19.090282 shares of Yes cost 10.00 points")
    page.get_by_label("Buy shares").check()
    expect(quote).to_contain_text("cost 5.13 points")
    page.get_by_role("button", name="Place trade").click()

    expect(page.get_by_text("Bought 10.000000 shares of “Yes” for 5.13 points")).to_be_visible()
    expect(page.locator('[data-price-for]').first).to_have_text("52.5%")
    position = page.locator("#my-position")
    expect(position).to_contain_text("10.000000")
    expect(position).to_contain_text("5.13")
    expect(page.locator("#balance")).to_have_text("994.87")
    sign_out(page)

    sign_in(page, staff)
    page.goto(f"/admin/markets/{market_id}")
    page.get_by_label("Winning outcome").select_option(label="Yes")
    page.get_by_label("Note to traders").fill("Offline mode shipped on 2 March.")
    page.get_by_role("button", name="Resolve and pay the winners").click()
    asked = page.get_by_role("dialog")  # it asks first
    asked.get_by_role("button", name="Resolve and pay the winners").click()
    expect(page.get_by_text("The market is resolved and the winners are paid.")).to_be_visible()
    sign_out(page)

    sign_in(page, customer)
    page.goto("/me/positions")
    expect(page.locator("#balance")).to_have_text("1,004.87")  # 994.87 + 10 winning shares
    expect(page.get_by_role("link", name="Notifications, 1 unread")).to_be_visible()
    page.get_by_role("link", name="Notifications, 1 unread").click()
    expect(page.get_by_text("Market resolved: Will offline mode ship by March?")).to_be_visible()
    assert errors == []


def test_the_live_quote_checks_the_balance_the_holdings_and_the_number(app, page, staff,
                                                                       customer):
    with app.app_context():
        market_id = service.create_market(staff, "Will the quote say what is wrong?",
                                          ["Yes", "No"], liquidity=100).id
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, customer)
    page.goto(f"/markets/{market_id}")
    quote = page.locator("#quote")
    amount = page.get_by_label("Shares, or points to spend")
    button = page.get_by_role("button", name="Place trade")

    def typed(text: str) -> None:
        amount.fill("")
        amount.press_sequentially(text, delay=20)

    page.get_by_label("Buy for an amount").check()
    typed("5000")
    expect(quote).to_contain_text("more than your balance of 1,000.00 points")
    expect(button).to_be_disabled()
    page.get_by_label("Buy shares").check()
    typed("5000")
    expect(quote).to_contain_text("more than your balance of 1,000.00 points")
    expect(button).to_be_disabled()
    page.get_by_label("Sell shares").check()
    typed("5")
    expect(quote).to_contain_text("You hold no shares of Yes")
    expect(button).to_be_disabled()
    page.get_by_label("Buy shares").check()
    for text, says in (("-5", "above zero"), ("abc", "is not a number"),
                       ("10,5", "Use a point for decimals")):
        typed(text)
        expect(quote).to_contain_text(says)
        expect(button).to_be_disabled()
    typed("10")
    expect(quote).to_contain_text("10.000000 shares of Yes cost 5.13 points")
    expect(button).to_be_enabled()
    # the server's refusal stays: a sale of shares not held is refused without the script
    assert errors == []
