"""Issue 13 in Chromium: irreversible actions ask first. With JavaScript a <dialog> asks
(static/js/confirm.js): focus goes into it, Cancel and Escape leave the object as it was
and give the focus back to the button, the action button does it, axe finds nothing
serious. Without JavaScript the confirm page asks (voice/confirmation.py)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import sign_in
from tests.test_a11y_browser import _axe_serious
from voice.accounts.models import User
from voice.extensions import db
from voice.ideas.models import Idea
from voice.markets.models import Market
from voice.surveys.models import Survey

pytestmark = pytest.mark.browser

QUESTION = "Offline mode by June?"


def _row(app, model, row_id: int, column: str):
    with app.app_context():
        value = getattr(db.session.get(model, row_id), column)
        db.session.remove()
        return value


def test_the_dialog_asks_before_resolving(app, page, staff, customer):
    made = factories.market(staff, question=QUESTION, trades=[(customer, 0, 10_000_000)])
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, staff)
    page.goto(f"/admin/markets/{made.id}")
    page.get_by_label("Winning outcome").select_option(label="No")
    opener = page.get_by_role("button", name="Resolve and pay the winners")
    opener.click()
    dialog = page.get_by_role("dialog", name=f"Resolve “{QUESTION}” as No?")  # labelled
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Traders holding No are paid 1 point a share")
    cancel = dialog.get_by_role("button", name="Cancel")
    expect(cancel).to_be_focused()  # focus is in the dialog, on the safe answer
    assert _axe_serious(page) == []

    cancel.click()
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    opener.press("Enter")  # the keyboard opens it too; Escape closes it
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()
    expect(opener).to_be_focused()
    assert _row(app, Market, made.id, "status") == "open"

    opener.click()
    dialog.get_by_role("button", name="Resolve and pay the winners").click()
    expect(page.get_by_text("The market is resolved and the winners are paid.")).to_be_visible()
    assert _row(app, Market, made.id, "resolved_outcome_id") == made.outcomes[1]
    assert errors == []


def test_the_merge_dialog_names_the_number_typed_and_fits_a_phone(app, page, staff, customer):
    dup = factories.idea(customer, "Dark mode please")
    keep = factories.idea(customer, "Night theme for the app")
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, staff)
    page.goto(f"/ideas/{dup}")
    merge = page.get_by_role("button", name="Merge", exact=True)
    merge.click()  # nothing typed: no question, the page says what is missing
    expect(page.get_by_text("Give the number of the idea to merge into.").first).to_be_visible()
    number = page.get_by_label("Merge into idea number")
    number.fill(str(keep))
    number.press("Enter")  # submitted from the field: the focus comes back to the button
    dialog = page.get_by_role("dialog", name=f"Merge “Dark mode please” into idea #{keep}?")
    expect(dialog).to_be_visible()
    page.keyboard.press("Escape")
    expect(page.get_by_role("button", name="Merge", exact=True)).to_be_focused()
    page.get_by_role("button", name="Merge", exact=True).click()
    expect(dialog).to_be_visible()
    box = dialog.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    dialog.get_by_role("button", name="Merge").click()
    expect(page.get_by_text(f"Merged. Its votes and subscribers moved to #{keep}.")
           ).to_be_visible()
    assert _row(app, Idea, dup, "merged_into_id") == keep


def test_the_dialog_asks_before_deactivating_and_not_before_reactivating(app, page, admin,
                                                                         make_user):
    victim = make_user(email="pat@example.com", name="Pat Doe")
    sign_in(page, admin)
    page.goto("/admin/users?q=pat")
    page.get_by_role("button", name="Deactivate").click()
    dialog = page.get_by_role("dialog", name="Deactivate Pat Doe (pat@example.com)?")
    dialog.get_by_role("button", name="Cancel").click()
    assert _row(app, User, victim.id, "active") is True
    page.get_by_role("button", name="Deactivate").click()
    dialog.get_by_role("button", name="Deactivate").click()
    expect(page.get_by_text("pat@example.com is deactivated.")).to_be_visible()
    assert _row(app, User, victim.id, "active") is False
    page.get_by_role("button", name="Reactivate").click()  # undoing asks nothing
    expect(page.get_by_text("pat@example.com is active.")).to_be_visible()
    assert _row(app, User, victim.id, "active") is True


def test_the_confirm_page_passes_axe(app, page, staff):
    made = factories.survey(staff, ["nps"], title="Onboarding")
    sign_in(page, staff)
    page.goto(f"/admin/surveys/{made.id}")
    # the page a browser without the script gets: the form posted without the dialog
    page.evaluate("document.querySelector('form[data-confirm]').removeAttribute('data-confirm')")
    page.get_by_role("button", name="Close").click()
    expect(page.get_by_role("heading", name="Close “Onboarding”?")).to_be_visible()
    assert _axe_serious(page) == []
    assert _row(app, Survey, made.id, "status") == "open"


def test_without_javascript_the_confirm_page_asks(app, chromium, live_server, staff):
    made = factories.survey(staff, ["nps"], title="Onboarding", status="draft")
    context = chromium.new_context(base_url=live_server, java_script_enabled=False,
                                   viewport={"width": 390, "height": 844})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        sign_in(page, staff)
        page.goto(f"/admin/surveys/{made.id}")
        page.get_by_role("button", name="Publish").click()
        expect(page.get_by_role("heading", name="Publish “Onboarding”?")).to_be_visible()
        assert page.get_by_role("dialog").count() == 0
        page.get_by_role("button", name="Cancel").click()  # the link styled as a button
        expect(page.get_by_role("heading", name="Onboarding")).to_be_visible()
        assert _row(app, Survey, made.id, "status") == "draft"

        page.get_by_role("button", name="Publish").click()
        page.get_by_role("main").get_by_role("button", name="Publish").click()
        expect(page.get_by_text("The survey is open for answers.")).to_be_visible()
        assert _row(app, Survey, made.id, "status") == "open"
        assert page.evaluate("document.documentElement.scrollWidth") <= 390
    finally:
        context.close()
