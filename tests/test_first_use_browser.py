"""Issue 13 in Chromium: a signed-out visitor's ▲ survives signing in (one click casts it)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


def test_a_signed_out_vote_is_one_click_away_after_signing_in(app, page, make_user):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    staff = make_user("staff")
    customer = make_user("customer")
    idea_id = factories.idea(staff, "Export invoices as PDF files")
    page.goto(f"/ideas/{idea_id}")
    with page.expect_navigation(url=re.compile(r"/login")):
        page.get_by_role("button", name="Vote for Export invoices as PDF files").click()
    page.get_by_label("Email").fill(customer.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Sign in").click()
    assert re.search(rf"/ideas/{idea_id}\?vote=1$", page.url), page.url
    cast = page.get_by_role("button", name="Cast your vote")
    expect(cast).to_be_visible()
    with page.expect_navigation():
        cast.click()
    expect(page.get_by_role("button", name="Remove your vote for Export invoices as PDF files")
           ).to_be_visible()
    expect(page.get_by_role("button", name="Cast your vote")).to_have_count(0)
    assert not errors
