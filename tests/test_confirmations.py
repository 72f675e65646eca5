"""Issue 13: irreversible actions ask first, without JavaScript (a confirm page).

For each of the seven actions (resolve, void, merge, deactivate, publish, close, remove a
question): a POST without ``confirmed=yes`` changes nothing and answers a page naming the
object; that page's form, posted as it is, does the action; a POST with invalid input
shows the original form's errors, not the question. The dialog that asks the same with
JavaScript is tested in tests/test_confirmations_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select
from werkzeug.datastructures import MultiDict

from tests import factories
from voice.accounts.models import User
from voice.confirmation import Ask
from voice.extensions import db
from voice.ideas.models import Idea
from voice.markets.models import Market
from voice.surveys.models import Question, Survey

CONFIRM_FIELD = '<input type="hidden" name="confirmed" value="yes">'


def text(response) -> str:
    return response.get_data(as_text=True)


class _ConfirmForm(HTMLParser):
    """The confirm page's form: its action, hidden fields, button and Cancel link."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.fields: MultiDict = MultiDict()
        self.button = ""
        self.cancel: str | None = None
        self._in_button = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "form" and "confirm-actions" in (attributes.get("class") or ""):
            self.action = attributes["action"]
        elif self.action and tag == "input":
            self.fields.add(attributes["name"], attributes.get("value") or "")
        elif self.action and tag == "button":
            self._in_button = True
        elif self.action and tag == "a" and attributes.get("role") == "button":
            self.cancel = attributes["href"]

    def handle_endtag(self, tag: str) -> None:
        self._in_button = self._in_button and tag != "button"

    def handle_data(self, data: str) -> None:
        if self._in_button:
            self.button += data.strip()


def confirm_form(response) -> _ConfirmForm:
    """The question page's form, after checking it is one (200, the confirmed field)."""
    page = text(response)
    assert response.status_code == 200, (response.status_code, page[:400])
    assert CONFIRM_FIELD in page
    assert re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page) is None  # no inline script
    assert " style=" not in page
    parsed = _ConfirmForm()
    parsed.feed(page)
    assert parsed.action and parsed.fields.get("confirmed") == "yes"
    return parsed


def post_as_is(browser, form: _ConfirmForm):
    """What pressing the confirm page's button sends: its fields, nothing added."""
    return browser.client.post(form.action, data=form.fields)


def heading(response) -> str:
    found = re.search(r'<h1 id="confirm-question">(.*?)</h1>', text(response), re.S)
    assert found, text(response)[:400]
    return found.group(1)


# --- the wording -------------------------------------------------------------------------


def test_named_fills_every_value_once():
    ask = Ask("Resolve “{question}” as {choice}?", "Holders of {choice} win.", "Resolve")
    named = ask.named(question="Ship {choice} by June?")
    assert named.question == "Resolve “Ship {choice} by June?” as {choice}?"
    both = ask.named(question="Ship {choice}?", choice="Yes")
    # a value holding braces is not filled again; what is not given stays for the script
    assert both.question == "Resolve “Ship {choice}?” as Yes?"
    assert both.consequence == "Holders of Yes win." and both.action_label == "Resolve"


# --- markets: resolve and void -----------------------------------------------------------


@pytest.fixture
def market(app, staff, customer):
    made = factories.market(staff, question="Offline mode by June?",
                            trades=[(customer, 0, 10_000_000)])
    return {"id": made.id, "yes": made.outcomes[0], "no": made.outcomes[1]}


def market_row(app, market_id: int) -> tuple[str, int | None, str]:
    with app.app_context():
        row = db.session.get(Market, market_id)
        return row.status, row.resolved_outcome_id, row.resolution_note


def balance(app, user) -> int:
    with app.app_context():
        return db.session.get(User, user.id).balance


def test_resolving_asks_first_and_the_confirm_page_resolves(app, login, staff, customer,
                                                            market):
    browser = login(staff)
    before = balance(app, customer)
    note = 'It shipped on "2 June".\nSee the <release notes> & the blog.'
    asked = browser.post(f"/admin/markets/{market['id']}/resolve", data={
        "resolve-outcome_id": market["no"], "resolve-note": note})
    form = confirm_form(asked)
    assert heading(asked) == "Resolve “Offline mode by June?” as No?"
    assert "Traders holding No are paid" in text(asked) and "cannot be undone" in text(asked)
    assert form.button == "Resolve and pay the winners"
    assert form.cancel == f"/admin/markets/{market['id']}"
    assert form.fields.get("resolve-note") == note  # carried exactly, quotes and all
    assert market_row(app, market["id"]) == ("open", None, "")
    assert balance(app, customer) == before
    done = post_as_is(browser, form)
    assert done.status_code == 302 and done.headers["Location"] == f"/admin/markets/{market['id']}"
    assert market_row(app, market["id"]) == ("resolved", market["no"], note)


def test_resolving_with_a_wrong_outcome_shows_the_form_not_the_question(app, login, staff,
                                                                        market):
    refused = login(staff).post(f"/admin/markets/{market['id']}/resolve", data={
        "resolve-outcome_id": "999999", "resolve-note": "Kept while I fix it"})
    assert refused.status_code == 400
    assert CONFIRM_FIELD not in text(refused) and "Not a valid choice" in text(refused)
    assert "Kept while I fix it</textarea>" in text(refused)
    assert market_row(app, market["id"])[0] == "open"


def test_voiding_asks_first_and_the_confirm_page_voids(app, login, staff, customer, market):
    browser = login(staff)
    before = balance(app, customer)
    asked = browser.post(f"/admin/markets/{market['id']}/void", data={"void-note": "Unclear."})
    form = confirm_form(asked)
    assert heading(asked) == "Void “Offline mode by June?”?"
    assert "Every trader gets back what they spent" in text(asked)
    assert form.button == "Void and refund every trader"
    assert market_row(app, market["id"])[0] == "open"
    assert post_as_is(browser, form).status_code == 302
    assert market_row(app, market["id"]) == ("voided", None, "Unclear.")
    assert balance(app, customer) > before  # refunded


def test_voiding_with_a_note_too_long_shows_the_form(app, login, staff, market):
    long_note = "x" * 2001
    refused = login(staff).post(f"/admin/markets/{market['id']}/void",
                                data={"void-note": long_note})
    assert refused.status_code == 400 and CONFIRM_FIELD not in text(refused)
    assert f"{long_note}</textarea>" in text(refused)
    assert market_row(app, market["id"])[0] == "open"


def test_the_manage_page_forms_carry_the_question_for_the_script(app, login, staff, market):
    page = text(login(staff).get(f"/admin/markets/{market['id']}"))
    assert 'data-confirm="Resolve “Offline mode by June?” as {choice}?"' in page
    assert 'data-confirm-choice="resolve-outcome_id"' in page
    assert 'data-confirm-action="Resolve and pay the winners"' in page
    assert 'data-confirm="Void “Offline mode by June?”?"' in page


# --- ideas: merge --------------------------------------------------------------------------


def merged_into(app, idea_id: int) -> int | None:
    with app.app_context():
        return db.session.get(Idea, idea_id).merged_into_id


def test_merging_asks_first_naming_both_ideas(app, login, staff, customer, make_user):
    dup = factories.idea(customer, "Dark mode please", voters=[customer])
    keep = factories.idea(make_user(), "Night theme for the app")
    browser = login(staff)
    asked = browser.post(f"/admin/ideas/{dup}/merge", data={"merge-into": str(keep)})
    form = confirm_form(asked)
    assert heading(asked) == (f"Merge “Dark mode please” into idea #{keep}, "
                              f"“Night theme for the app”?")
    assert "votes and subscribers move there" in text(asked)
    assert form.cancel == f"/ideas/{dup}" and form.button == "Merge"
    assert merged_into(app, dup) is None
    done = post_as_is(browser, form)
    assert done.status_code == 302 and done.headers["Location"] == f"/ideas/{keep}"
    assert merged_into(app, dup) == keep


@pytest.mark.parametrize(("into", "message"), [
    ("", "Give the number of the idea to merge into."),
    ("999999", "No idea has that number."),
    ("self", "cannot be merged into itself"),
])
def test_merging_with_a_wrong_number_shows_the_form(app, login, staff, customer, into,
                                                    message):
    dup = factories.idea(customer, "Dark mode please")
    typed = str(dup) if into == "self" else into
    refused = login(staff).post(f"/admin/ideas/{dup}/merge", data={"merge-into": typed})
    assert refused.status_code == 400, refused.status_code
    assert CONFIRM_FIELD not in text(refused) and message in text(refused)
    if typed:
        assert f'value="{typed}"' in text(refused)  # what was typed is kept
    assert merged_into(app, dup) is None


def test_the_idea_page_merge_form_carries_the_question(app, login, staff, customer):
    idea_id = factories.idea(customer, "Dark mode please")
    page = text(login(staff).get(f"/ideas/{idea_id}"))
    assert 'data-confirm="Merge “Dark mode please” into idea #{choice}?"' in page
    assert 'data-confirm-choice="merge-into"' in page


# --- admin: deactivate ---------------------------------------------------------------------


def active(app, user) -> bool:
    with app.app_context():
        return db.session.get(User, user.id).active


def test_deactivating_asks_first_and_reactivating_does_not(app, login, admin, make_user):
    victim = make_user(email="pat@example.com", name="Pat Doe")
    browser = login(admin)
    asked = browser.post(f"/admin/users/{victim.id}/active", data={"active": "0"})
    form = confirm_form(asked)
    assert heading(asked) == "Deactivate Pat Doe (pat@example.com)?"
    assert "cannot sign in until an admin reactivates them" in text(asked)
    assert form.button == "Deactivate" and form.cancel == "/admin/users"
    assert active(app, victim)
    assert post_as_is(browser, form).status_code == 302
    assert not active(app, victim)
    back = browser.post(f"/admin/users/{victim.id}/active", data={"active": "1"})
    assert back.status_code == 302 and active(app, victim)  # undoing asks nothing


def test_deactivating_nobody_is_a_404_not_a_question(app, login, admin):
    missing = login(admin).post("/admin/users/999999/active", data={"active": "0"})
    assert missing.status_code == 404 and CONFIRM_FIELD not in text(missing)


def test_the_users_page_asks_only_before_deactivating(app, login, admin, make_user):
    make_user(email="on@example.com", name="On User")
    off = make_user(email="off@example.com", name="Off User")
    with app.app_context():
        db.session.get(User, off.id).active = False
        db.session.commit()
    page = text(login(admin).get("/admin/users"))
    assert 'data-confirm="Deactivate On User (on@example.com)?"' in page
    assert "Off User (off@example.com)" not in page  # Reactivate posts unasked


# --- surveys: publish, close, remove a question -------------------------------------------


def status_of(app, survey_id: int) -> str:
    with app.app_context():
        return db.session.get(Survey, survey_id).status


def test_publishing_a_draft_asks_first(app, login, staff):
    made = factories.survey(staff, ["nps"], title="Onboarding", status="draft")
    browser = login(staff)
    asked = browser.post(f"/admin/surveys/{made.id}/publish")
    form = confirm_form(asked)
    assert heading(asked) == "Publish “Onboarding”?"
    assert "cannot go back to being a draft" in text(asked) and form.button == "Publish"
    assert form.cancel == f"/admin/surveys/{made.id}"
    assert status_of(app, made.id) == "draft"
    assert post_as_is(browser, form).status_code == 302
    assert status_of(app, made.id) == "open"


def test_closing_asks_first_and_reopening_does_not(app, login, staff):
    made = factories.survey(staff, ["nps"], title="Onboarding")
    browser = login(staff)
    asked = browser.post(f"/admin/surveys/{made.id}/close")
    form = confirm_form(asked)
    assert heading(asked) == "Close “Onboarding”?" and form.button == "Close the survey"
    assert status_of(app, made.id) == "open"
    assert post_as_is(browser, form).status_code == 302
    assert status_of(app, made.id) == "closed"
    page = text(browser.get(f"/admin/surveys/{made.id}"))
    assert 'data-confirm="Publish' not in page and ">Reopen</button>" in page
    assert browser.post(f"/admin/surveys/{made.id}/publish").status_code == 302  # unasked
    assert status_of(app, made.id) == "open"


def question_prompts(app, survey_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Question.prompt).where(
            Question.survey_id == survey_id).order_by(Question.position)))


def test_removing_a_question_asks_first_naming_it(app, login, staff):
    made = factories.survey(staff, [{"kind": "nps", "prompt": "Recommend us?"},
                                    {"kind": "text", "prompt": "Anything else?"}],
                            title="Onboarding", status="draft")
    second = made.questions[1].id
    browser = login(staff)
    builder = text(browser.get(f"/admin/surveys/{made.id}"))
    assert 'data-confirm="Remove question 2, “Anything else?”, from “Onboarding”?"' in builder
    assert 'data-confirm="Publish “Onboarding”?"' in builder
    asked = browser.post(f"/admin/surveys/{made.id}/questions/{second}/delete")
    form = confirm_form(asked)
    assert heading(asked) == "Remove question 2, “Anything else?”, from “Onboarding”?"
    assert form.cancel == f"/admin/surveys/{made.id}#question-{second}"
    assert question_prompts(app, made.id) == ["Recommend us?", "Anything else?"]
    assert post_as_is(browser, form).status_code == 302
    assert question_prompts(app, made.id) == ["Recommend us?"]


def test_removing_a_question_of_another_survey_is_a_404(app, login, staff):
    one = factories.survey(staff, ["nps"], status="draft")
    other = factories.survey(staff, ["text"], status="draft")
    refused = login(staff).post(
        f"/admin/surveys/{one.id}/questions/{other.questions[0].id}/delete")
    assert refused.status_code == 404 and CONFIRM_FIELD not in text(refused)
    assert question_prompts(app, other.id) == ["Your text?"]


def test_a_confirmed_field_other_than_yes_still_asks(app, login, staff):
    made = factories.survey(staff, ["nps"], title="Onboarding")
    asked = login(staff).post(f"/admin/surveys/{made.id}/close", data={"confirmed": "1"})
    confirm_form(asked)
    assert status_of(app, made.id) == "open"
