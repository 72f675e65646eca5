"""In Chromium: a customer gives a detractor NPS score; the team's owner finds the case in the
inbox, replies and closes it; the customer reads the reply in their notifications."""

from __future__ import annotations

import re

import pytest

from tests.conftest import sign_in
from voice.admin import service

pytestmark = pytest.mark.browser


def sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()


def test_detractor_case_is_answered_and_the_customer_hears_back(app, page, admin, staff,
                                                                customer):
    from voice.surveys import service as surveys

    with app.app_context():
        triage = service.ensure_defaults()
        service.add_owner(admin, triage.id, staff.email)
        survey_id = surveys.create_survey(staff, "How are we doing?", status="open", questions=[
            {"kind": "nps", "prompt": "How likely are you to recommend us?"},
            {"kind": "text", "prompt": "Why that score?", "required": False}]).id
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # --- the customer answers 3 out of 10
    sign_in(page, customer)
    page.goto(f"/surveys/{survey_id}")
    page.locator("fieldset.question-nps").get_by_text("3", exact=True).click()
    page.locator("fieldset.question-text textarea").fill("Support took a week to answer.")
    page.get_by_role("button", name="Send my answers").click()
    assert page.get_by_role("heading", name="Thank you!").is_visible()
    sign_out(page)

    # --- the owner finds it in the team inbox, overdue or not, and opens it
    sign_in(page, staff)
    page.get_by_role("link", name="Admin").click()
    page.get_by_role("navigation", name="Staff").get_by_role("link", name="Team inbox").click()
    page.get_by_label("Team", exact=True).select_option(label="Triage")
    page.get_by_role("button", name="Filter").click()
    row = page.locator("tr.case-row", has_text="How are we doing?")
    assert row.count() == 1
    assert "New" in row.inner_text() and "Triage" in row.inner_text()
    row.locator("a[data-case-link]").click()  # the row also links the customer
    assert page.get_by_text("Support took a week to answer.").is_visible()

    # closing without a reply is refused, with the reason next to the field
    page.get_by_label("State").select_option("closed")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("Write the reply the customer will get before closing").is_visible()

    page.get_by_label("State").select_option("closed")
    page.get_by_label("Reply to the customer").fill(
        "Sorry for the wait. We added two people to support and now answer within a day.")
    page.get_by_role("button", name="Save").click()
    assert page.get_by_text("The customer has your reply.").is_visible()
    assert page.locator("hgroup .state-closed").is_visible()
    page.goto("/admin/cases?state=open")
    assert page.locator("tr.case-row", has_text="How are we doing?").count() == 0
    sign_out(page)

    # --- the customer sees the reply
    sign_in(page, customer)
    bell = page.get_by_role("link", name=re.compile(r"Notifications, 1 unread"))
    bell.click()
    notice = page.locator(".notification").first
    assert "A reply about your survey answer" in notice.inner_text()
    assert "We added two people to support" in notice.inner_text()
    assert errors == []


def test_the_dashboard_draws_its_charts(app, page, admin):
    with app.app_context():
        service.ensure_defaults()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, admin)
    page.goto("/admin")
    assert page.get_by_role("heading", name="Staff dashboard").is_visible()
    page.wait_for_function(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(c => window.Chart && window.Chart.getChart(c)).length === 3")
    assert errors == []
