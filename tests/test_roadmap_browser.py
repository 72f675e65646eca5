"""The roadmap in Chromium (issue 15): at 390 px nothing scrolls sideways and axe finds
nothing serious; a customer votes from a card with JavaScript (no reload) and without it
(a plain POST that comes back to the roadmap)."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from tests import factories
from tests.conftest import sign_in
from tests.test_a11y_browser import _phone_checks
from voice.clock import utcnow
from voice.extensions import db
from voice.ideas.models import Vote
from voice.markets import service as markets

pytestmark = pytest.mark.browser

LONG_AREA = "Invoices, receipts and purchase orders (EMEA)"
LONG_TITLE = ("Let every invoice export carry the purchase-order number, the cost centre "
              "and a tax breakdown")
TITLE = "Export invoices as PDF files"


def _seed(app, staff, customer) -> dict[str, int]:
    """A card in each column, long titles and area names, an open and a resolved market."""
    area = factories.area(LONG_AREA).slug
    ids = {
        "planned": factories.idea(customer, TITLE, area=area),
        "long": factories.idea(customer, LONG_TITLE, area=area),
        "building": factories.idea(customer, LONG_TITLE + " (in progress)"),
        "done": factories.idea(customer, LONG_TITLE + " (done)", area=area),
    }
    factories.move_idea(staff, ids["planned"], ("planned", None))
    factories.move_idea(staff, ids["long"], ("planned", utcnow() - timedelta(days=5)))
    factories.move_idea(staff, ids["building"], ("in_progress", None))
    factories.move_idea(staff, ids["done"], ("done", None))
    factories.market(staff, idea_id=ids["long"])
    settled = factories.market(staff, question="Shipped by spring?", idea_id=ids["done"])
    with app.app_context():
        markets.resolve_market(staff, settled.id, settled.outcomes[0], "Shipped.")
    ids["area"] = area  # type: ignore[assignment]
    return ids


def _voted(app, user, idea_id: int) -> bool:
    with app.app_context():
        return db.session.scalar(select(Vote.id).where(
            Vote.user_id == user.id, Vote.idea_id == idea_id)) is not None


def test_the_roadmap_works_on_a_phone(app, page, make_user):
    staff, customer = make_user("staff"), make_user("customer")
    ids = _seed(app, staff, customer)
    page.set_viewport_size({"width": 390, "height": 844})
    problems: list[str] = []
    for signed_in in (False, True):
        if signed_in:
            sign_in(page, customer)
        for path in ("/roadmap", f"/roadmap?area={ids['area']}"):
            page.goto(path)
            expect(page.get_by_role("heading", name=re.compile("^In progress"))).to_be_visible()
            problems += [f"{path} (signed in: {signed_in}): {p}" for p in _phone_checks(page)]
    assert problems == [], "\n".join(problems)
    # the columns are one under the other on a phone
    tops = page.evaluate("""() => [...document.querySelectorAll('.roadmap-column')]
        .map(column => column.getBoundingClientRect().top)""")
    assert tops == sorted(tops) and len(set(tops)) == 3


def test_a_vote_from_a_card_with_javascript_stays_on_the_page(app, page, make_user):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    staff, customer, voter = make_user("staff"), make_user("customer"), make_user("customer")
    ids = _seed(app, staff, customer)
    sign_in(page, voter)
    page.goto("/roadmap")
    page.evaluate("window.__same_page = true")
    card = page.locator(f"#roadmap-idea-{ids['planned']}")
    card.get_by_role("button", name=f"Vote for {TITLE}").click()
    expect(card.get_by_role("button", name=f"Remove your vote for {TITLE}")
           ).to_be_visible()
    expect(card.locator("[data-vote-count]")).to_have_text("1")
    assert page.evaluate("window.__same_page") is True  # no reload
    assert _voted(app, voter, ids["planned"])
    assert not errors


def test_a_vote_from_a_card_without_javascript(app, chromium, live_server, make_user):
    staff, customer, voter = make_user("staff"), make_user("customer"), make_user("customer")
    ids = _seed(app, staff, customer)
    context = chromium.new_context(base_url=live_server, java_script_enabled=False,
                                   viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    try:
        page = context.new_page()
        sign_in(page, voter)
        page.goto(f"/roadmap?area={ids['area']}")
        card = page.locator(f"#roadmap-idea-{ids['planned']}")
        with page.expect_navigation():
            card.get_by_role("button", name=f"Vote for {TITLE}").click()
        assert page.url.endswith(f"/roadmap?area={ids['area']}"), page.url
        card = page.locator(f"#roadmap-idea-{ids['planned']}")
        expect(card.get_by_role("button", name=f"Remove your vote for {TITLE}")
               ).to_be_visible()
        assert _voted(app, voter, ids["planned"])
    finally:
        context.close()
