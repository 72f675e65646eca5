"""Issue 14 in Chromium: a detractor answers a survey; staff reply from the inbox with a
saved reply and close the case; the customer answers on "My conversations"; the case
reopens and shows the thread to both; staff close it again; the idea the customer had
asked for is later marked done, and the customer's other case, about it, closes itself."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import sign_in
from tests.test_a11y_browser import _phone_checks
from voice.admin import service as staff_side
from voice.admin.models import Case
from voice.extensions import db
from voice.surveys import service as surveys

pytestmark = pytest.mark.browser


def sign_out(page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def test_a_detractor_and_staff_talk_it_through(app, page, admin, staff, customer):
    with app.app_context():
        triage_id = staff_side.ensure_defaults().id
        staff_side.add_owner(admin, triage_id, staff.email)
        survey_id = surveys.create_survey(staff, "How are we doing?", status="open", questions=[
            {"kind": "nps", "prompt": "How likely are you to recommend us?"},
            {"kind": "text", "prompt": "Why that score?", "required": False}]).id
    # The customer had also asked for something: their idea opened a case of its own.
    idea_id = factories.idea(customer, "Answer the phone from 8 am")
    with app.app_context():
        idea_case_id = db.session.scalar(db.select(Case.id).where(
            Case.source_type == "idea", Case.source_id == idea_id))
    assert idea_case_id is not None
    factories.reply_template(admin, triage_id, "Sorry",
                             "Hi {customer}, sorry about {title}. We called support.")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # --- the customer answers 2 out of 10
    sign_in(page, customer)
    page.goto(f"/surveys/{survey_id}")
    page.locator("fieldset.question-nps").get_by_text("2", exact=True).click()
    page.locator("fieldset.question-text textarea").fill("Nobody answers the phone.")
    page.get_by_role("button", name="Send my answers").click()
    expect(page.get_by_role("heading", name="Thank you!")).to_be_visible()
    sign_out(page)
    with app.app_context():
        case_id = db.session.scalar(db.select(Case.id).where(
            Case.customer_id == customer.id, Case.source_type == "survey_response"))
    assert case_id is not None

    # --- staff open it from the inbox, reply with the saved reply (filled in place by
    # case.js) and close the case
    sign_in(page, staff)
    page.goto("/admin/cases")
    with page.expect_navigation():
        page.locator(f'a[data-case-link][href="/admin/cases/{case_id}"]').click()
    page.get_by_label("Saved reply").select_option(label="Sorry")
    page.get_by_role("button", name="Use").click()
    reply = page.get_by_label("Reply to the customer")
    expect(reply).to_have_value(re.compile(rf"^Hi {customer.display_name}, sorry about "))
    assert f"/admin/cases/{case_id}" in page.url and "template=" not in page.url  # no reload
    reply.fill(reply.input_value() + " It rings through now.")
    page.get_by_label("State").select_option("closed")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_text("The customer has your reply.")).to_be_visible()
    expect(page.locator("hgroup .state-closed")).to_be_visible()
    sign_out(page)

    # --- the customer reads it in "My conversations" and answers
    sign_in(page, customer)
    page.get_by_role("link", name="My conversations").click()
    conversation = page.locator("li.conversation").first
    expect(conversation).to_contain_text("New reply")
    expect(conversation).to_contain_text("It rings through now.")
    conversation.get_by_role("link").click()
    expect(page.locator(".thread-reply")).to_contain_text(staff.display_name)
    page.get_by_label("Your answer").fill("Still nothing at **9 am**.")
    page.get_by_role("button", name="Send").click()
    expect(page.get_by_text("The team has your answer.")).to_be_visible()
    expect(page.locator(".thread-customer strong", has_text="9 am")).to_be_visible()
    expect(page.locator(".thread-entry")).to_have_count(2)
    expect(page.get_by_text("We are on it")).to_be_visible()
    thread_url = page.url
    page.set_viewport_size({"width": 390, "height": 844})  # a phone: no sideways scroll, axe
    assert _phone_checks(page) == []
    page.goto("/me/conversations")
    assert _phone_checks(page) == []
    page.goto(thread_url)
    page.set_viewport_size({"width": 1280, "height": 900})
    sign_out(page)

    # --- staff see the reopened case with the whole thread, and close it again
    sign_in(page, staff)
    page.goto(f"/admin/cases/{case_id}")
    expect(page.locator("hgroup .state-in_progress")).to_be_visible()
    thread = page.locator(".case-thread")
    expect(thread.locator(".thread-reply")).to_contain_text("It rings through now.")
    expect(thread.locator(".thread-customer")).to_contain_text("Still nothing at 9 am.")
    expect(thread.locator(".thread-event", has_text="Closed → In progress")).to_be_visible()
    page.set_viewport_size({"width": 390, "height": 844})
    assert _phone_checks(page) == []
    page.set_viewport_size({"width": 1280, "height": 900})
    page.get_by_label("Reply to the customer").fill("Fixed the 9 am shift too.")
    page.get_by_label("State").select_option("closed")
    page.get_by_role("button", name="Save").click()
    expect(page.locator("hgroup .state-closed")).to_be_visible()
    expect(thread.locator(".thread-reply")).to_have_count(2)

    # --- later the idea ships: its case closes itself, with the public note as its reply
    page.goto(f"/admin/cases/{idea_case_id}")
    expect(page.locator("hgroup .state-closed")).to_have_count(0)
    page.goto(f"/ideas/{idea_id}")
    page.get_by_label("Status").select_option("done")
    page.get_by_label("Public note").fill("Shipped: the lines open at 8 am from Monday.")
    page.get_by_role("button", name="Change the status").click()
    page.goto(f"/admin/cases/{idea_case_id}")
    expect(page.locator("hgroup .state-closed")).to_be_visible()
    expect(page.locator(".case-thread .thread-reply")).to_contain_text(
        "the lines open at 8 am")
    sign_out(page)
    sign_in(page, customer)
    page.goto(f"/me/conversations/{idea_case_id}")
    expect(page.locator(".thread-reply")).to_contain_text("the lines open at 8 am")
    assert errors == []
