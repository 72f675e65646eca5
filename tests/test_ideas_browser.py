"""Ideas in Chromium: a customer registers, searches, sees a similar idea while typing,
votes without a reload and comments; staff change the status; the customer's bell shows it."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.conftest import PASSWORD
from voice.ideas import service

pytestmark = pytest.mark.browser


def test_customer_and_staff_walk_the_board(app, page, chromium, live_server, make_user):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    staff = make_user("staff", name="Sam Staff")
    with app.app_context():
        author = make_user(name="Olga Author")
        target = service.submit_idea(author, "Export invoices as PDF files",
                                     "Our accountant needs every invoice as a PDF.").id
        service.submit_idea(author, "Dark mode in the mobile app", "Too bright at night.")

    # Register.
    page.goto("/register")
    page.get_by_label("Display name").fill("Cara Customer")
    page.get_by_label("Email").fill("cara@example.com")
    page.get_by_label("Password", exact=False).first.fill("long-enough-pw")
    page.get_by_label("Repeat the password").fill("long-enough-pw")
    page.get_by_role("main").get_by_role("button", name="Register").click()
    expect(page.get_by_text("Welcome to Voice, Cara Customer.")).to_be_visible()

    # Search the board.
    page.goto("/ideas")
    page.get_by_label("Search ideas").fill("invoices")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("link", name="Export invoices as PDF files")).to_be_visible()
    expect(page.get_by_role("link", name="Dark mode in the mobile app")).to_have_count(0)

    # While typing a title, the similar idea shows up.
    page.goto("/ideas/new")
    page.get_by_label("Title").press_sequentially("Download my invoice in pdf", delay=20)
    similar = page.locator("#similar-ideas")
    expect(similar).to_be_visible()
    expect(similar.get_by_role("link", name="Export invoices as PDF files")).to_be_visible()
    similar.get_by_role("link", name="Export invoices as PDF files").click()
    expect(page).to_have_url(re.compile(rf"/ideas/{target}$"))

    # Vote without a reload: a marker set on the window survives.
    page.evaluate("window.__stillHere = true")
    vote = page.get_by_role("button", name="Vote for Export invoices as PDF files")
    vote.click()
    unvote = page.get_by_role("button", name="Remove your vote for Export invoices as PDF files")
    expect(unvote).to_have_attribute("aria-pressed", "true")
    expect(unvote.locator("[data-vote-count]")).to_have_text("1")
    assert page.evaluate("window.__stillHere") is True
    with app.app_context():
        assert service.get_idea(target).vote_count == 1

    # Comment.
    page.get_by_label("Your comment").fill("We need this for **every** month.")
    page.get_by_role("button", name="Post").click()
    expect(page.get_by_text("Your comment is posted.")).to_be_visible()
    expect(page.locator(".comment-body strong", has_text="every")).to_be_visible()

    # Staff change the status in a browser of their own.
    staff_context = chromium.new_context(base_url=live_server)
    staff_page = staff_context.new_page()
    staff_page.on("pageerror", lambda error: errors.append(str(error)))
    staff_page.goto("/login")
    staff_page.get_by_label("Email").fill(staff.email)
    staff_page.get_by_label("Password").fill(PASSWORD)
    staff_page.get_by_role("main").get_by_role("button", name="Sign in").click()
    staff_page.goto(f"/ideas/{target}")
    staff_page.get_by_label("Status").select_option("planned")
    staff_page.get_by_label("Public note").fill("Planned for the June release.")
    staff_page.get_by_role("button", name="Change the status").click()
    expect(staff_page.get_by_text("The status is changed")).to_be_visible()
    staff_context.close()

    # The customer sees it on the bell and the notifications page.
    page.goto("/ideas")
    expect(page.locator("[data-unread-count]")).to_have_text("1")
    page.get_by_role("link", name=re.compile("Notifications")).click()
    expect(page.get_by_text('"Export invoices as PDF files" is now planned')).to_be_visible()
    expect(page.get_by_text("Planned for the June release.")).to_be_visible()
    assert errors == []
