"""In Chromium: staff build and publish a survey with every kind of question through
the builder; a customer answers it on a phone; staff read the results and charts."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.conftest import sign_in

pytestmark = pytest.mark.browser

QUESTIONS = [
    ("nps", "How likely are you to recommend Northwind to a friend?", True, []),
    ("csat", "How satisfied are you with support?", True, []),
    ("ces", "How easy was it to get your answer?", False, []),
    ("rating", "Rate the mobile app", False, []),
    ("single_choice", "Which plan are you on?", True, ["Free", "Pro", "Team"]),
    ("multi_choice", "What do you use?", False, ["Editor", "Reports", "API"]),
    ("text", "What should we fix first?", False, []),
]


def test_build_answer_on_a_phone_and_read_the_results(page, chromium, live_server, staff,
                                                      customer):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    # --- staff build the survey through the builder
    sign_in(page, staff)
    page.goto("/admin/surveys")
    page.get_by_role("button", name="New survey").click()
    page.get_by_label("Title").fill("Support check-in")
    page.get_by_label("Introduction").fill("Two minutes, **promise**.")
    page.get_by_role("button", name="Create and add questions").click()
    expect(page.get_by_text("Survey created.")).to_be_visible()

    add = page.locator("#add-question")
    for number, (kind, prompt, required, choices) in enumerate(QUESTIONS, start=1):
        add.get_by_label("Kind").select_option(kind)
        choices_box = add.get_by_label("Choices")
        # shown for choice kinds only (expect waits for the page's script to toggle it)
        if choices:
            expect(choices_box).to_be_visible()
        else:
            expect(choices_box).to_be_hidden()
        add.get_by_label("Question").fill(prompt)
        if choices:
            choices_box.fill("\n".join(choices))
        add.get_by_label("An answer is required").set_checked(required)
        add.get_by_role("button", name="Add question").click()
        expect(page.locator("article.builder-question")).to_have_count(number)
        expect(page.get_by_text("Question added.")).to_be_visible()

    # move the text question above the multi-choice one, then publish
    page.get_by_role("button", name="Move question 7 up").click()
    expect(page.locator("article.builder-question").nth(5)).to_contain_text(
        "What should we fix first?")
    page.get_by_role("button", name="Publish").click()
    page.get_by_role("dialog").get_by_role("button", name="Publish").click()  # it asks first
    expect(page.get_by_text("The survey is open for answers.")).to_be_visible()
    survey_url = page.get_by_role("button", name="Answer page").get_attribute("href")

    # --- a customer answers on a phone
    phone = chromium.new_context(base_url=live_server, viewport={"width": 390, "height": 844},
                                 is_mobile=True, has_touch=True)
    phone.set_default_timeout(10_000)
    mobile = phone.new_page()
    mobile.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(mobile, customer)
    mobile.goto("/surveys")
    mobile.get_by_role("link", name="Support check-in").first.click()
    assert mobile.url.endswith(survey_url)
    expect(mobile.get_by_text("0 = Not at all likely")).to_be_visible()
    assert mobile.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # send without the required answers first: messages next to the questions
    mobile.get_by_role("button", name="Send my answers").click()
    expect(mobile.locator(".field-error")).to_have_count(3)
    nps = mobile.locator("fieldset.question-nps")
    expect(nps.get_by_text("This question needs an answer.")).to_be_visible()

    nps.get_by_text("9", exact=True).click()
    mobile.locator("fieldset.question-csat").get_by_text("Satisfied", exact=True).click()
    mobile.locator("fieldset.question-ces").get_by_text("2", exact=True).click()
    mobile.locator("fieldset.question-rating").get_by_text("4 stars").click()
    mobile.locator("fieldset.question-single_choice").get_by_label("Pro").check()
    multi = mobile.locator("fieldset.question-multi_choice")
    multi.get_by_label("Editor").check()
    multi.get_by_label("API").check()
    mobile.locator("fieldset.question-text textarea").fill("Faster exports, please.")
    mobile.get_by_role("button", name="Send my answers").click()
    expect(mobile.get_by_role("heading", name="Thank you!")).to_be_visible()

    mobile.goto(survey_url)
    expect(mobile.get_by_text("You answered this survey on")).to_be_visible()
    phone.close()

    # --- staff read the results: the NPS score and charts drawn by Chart.js
    page.get_by_role("button", name="Results").click()
    expect(page.locator("[data-response-count]")).to_have_text("1")
    expect(page.locator(".big-number", has_text="NPS")).to_contain_text("NPS +100.0")
    expect(page.get_by_text("CSAT 100.0%")).to_be_visible()
    expect(page.get_by_text("Faster exports, please.")).to_be_visible()
    page.wait_for_selector("canvas[data-rendered='true']")
    drawn = page.evaluate(
        "Array.from(document.querySelectorAll('canvas[data-chart]'))"
        ".filter(c => window.Chart.getChart(c) !== undefined).length")
    assert drawn == 7  # six distributions and the weekly NPS line
    assert errors == []
