"""Issue 13: "The new-market form shows one error per submit: all errors at once, on every
form." Each page form is posted with everything wrong at once; every field's own
message is on the page, next to that field (in the element its ``aria-describedby``
names), and what was typed is still there."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from html import unescape
from typing import Any

import pytest

from tests import factories
from voice.accounts import service as accounts
from voice.areas.service import create_area


def long_text(word: str, length: int) -> str:
    """A text of ``length`` characters, starting with a word of its own (to find it)."""
    return (word + " " + "x" * length)[:length]


@dataclass
class Post:
    """A form posted wrong: who posts, where, what, and what the page must then say."""

    role: str | None
    path: str
    data: dict[str, str]
    errors: dict[str, str]  # the error element's id prefix (the field's id) -> message
    kept: tuple[str, ...] = ()
    flashed: tuple[str, ...] = ()
    follow: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


Made = dict[str, Any]


def _people(app) -> Made:
    made: Made = {role: factories.user(role) for role in ("customer", "staff", "admin")}
    made["app"] = app
    return made


# --- the forms, each posted with several wrong fields -----------------------------------


def register(made: Made) -> Post:
    return Post(None, "/register", {
        "email": "not-an-address", "display_name": "N" * 81, "password": "short",
        "confirm": "different"}, {
        "email": "Enter a valid email address.",
        "display_name": "80 characters",
        "password": "A password has 8 to 200 characters.",
        "confirm": "The passwords differ."}, kept=("not-an-address", "N" * 81))


def register_taken(made: Made) -> Post:
    """A taken address is one of the errors, not a second submit's (it needs the database)."""
    taken = made["customer"].email
    return Post(None, "/register", {
        "email": taken.upper(), "display_name": "Ann", "password": "short",
        "confirm": "short"}, {
        "email": "That email is already registered.",
        "password": "A password has 8 to 200 characters."}, kept=(taken.upper(),))


def profile(made: Made) -> Post:
    return Post("customer", "/me", {"profile-display_name": "P" * 81},
                {"profile-display_name": "80 characters"}, kept=("P" * 81,))


def password(made: Made) -> Post:
    return Post("customer", "/me", {
        "password-current_password": "not-my-password", "password-new_password": "short",
        "password-confirm": "other"}, {
        "password-current_password": "Your current password is not right.",
        "password-new_password": "A password has 8 to 200 characters.",
        "password-confirm": "The passwords differ."})


def reset_request(made: Made) -> Post:
    return Post(None, "/reset-password", {"email": "nobody at all"},
                {"email": "Enter a valid email address."}, kept=("nobody at all",))


def reset_password(made: Made) -> Post:
    with made["app"].app_context():
        token = accounts.password_reset_token(made["customer"])
    return Post(None, f"/reset-password/{token}", {"password": "short", "confirm": "other"},
                {"password": "A password has 8 to 200 characters.",
                 "confirm": "The passwords differ."})


def delete_account(made: Made) -> Post:
    return Post("customer", "/me/delete", {"password": "not-my-password"},
                {"password": "That password is not right."})


def new_idea(made: Made) -> Post:
    description = long_text("Described", 10_001)
    return Post("customer", "/ideas/new", {
        "title": "Hm", "description": description, "area": "nowhere"}, {
        "title": "A title has 5 to 120 characters (yours has 2).",
        "description": "A description has at most 10,000 characters",
        "area": "There is no such product area."}, kept=('value="Hm"', description))


def comment(made: Made) -> Post:
    idea_id = factories.idea(made["staff"])
    body = long_text("Commented", 5_001)
    return Post("customer", f"/ideas/{idea_id}/comments", {"comment-body": body},
                {"comment-body": "A comment has at most 5,000 characters"}, kept=(body,))


def status_change(made: Made) -> Post:
    idea_id = factories.idea(made["customer"])
    note = long_text("Noted", 2_001)
    return Post("staff", f"/admin/ideas/{idea_id}/status", {
        "status-status": "shelved", "status-note": note}, {
        "status-status": "A status is one of open, under_review",
        "status-note": "A note has at most 2,000 characters"}, kept=(note,))


def merge_target(made: Made) -> Post:
    idea_id = factories.idea(made["customer"])
    return Post("staff", f"/admin/ideas/{idea_id}/merge", {"merge-into": "twelve"},
                {"merge-into": "Give the number of the idea to merge into."},
                kept=('value="twelve"',))


def new_survey(made: Made) -> Post:
    intro = long_text("Introduced", 5_001)
    return Post("staff", "/admin/surveys/new", {
        "title": "", "description": intro, "area": "nowhere",
        "opens_at": "2030-01-02T10:00", "closes_at": "2030-01-01T10:00"}, {
        "title": "This field is required.",
        "description": "5000 characters",
        "area": "There is no such product area.",
        "closes_at": "The survey must close after it opens."},
        kept=(intro, 'value="2030-01-02T10:00"', 'value="2030-01-01T10:00"'))


def survey_details(made: Made) -> Post:
    draft = factories.survey(made["staff"], ["nps"], status="draft")
    return Post("staff", f"/admin/surveys/{draft.id}", {
        "title": "T" * 201, "area": "nowhere", "opens_at": "next Tuesday"}, {
        "title": "200 characters", "area": "There is no such product area.",
        "opens_at": "Not a valid datetime value."}, kept=("T" * 201, 'value="next Tuesday"'))


def add_question(made: Made) -> Post:
    draft = factories.survey(made["staff"], ["nps"], status="draft")
    prompt = long_text("Prompted", 501)
    return Post("staff", f"/admin/surveys/{draft.id}/questions", {
        "new-kind": "single_choice", "new-prompt": prompt, "new-choices": "Only one"}, {
        "new-prompt": "500 characters",
        "new-choices": "A choice question needs 2 to 30 choices."},
        kept=(prompt, "Only one</textarea>"))


def edit_question(made: Made) -> Post:
    draft = factories.survey(made["staff"], ["nps"], status="draft")
    question_id = draft.questions[0].id
    prefix = f"q{question_id}"
    return Post("staff", f"/admin/surveys/{draft.id}/questions/{question_id}", {
        f"{prefix}-kind": "multi_choice", f"{prefix}-prompt": "",
        f"{prefix}-choices": "Same\nsame"}, {
        f"{prefix}-prompt": "This field is required.",
        f"{prefix}-choices": "Each choice must be different."}, kept=("Same\nsame",))


def answer_survey(made: Made) -> Post:
    survey = factories.survey(made["staff"])
    ids = factories.question_ids(survey)
    typed = "The export & import <both> are slow"
    return Post("customer", f"/surveys/{survey.id}", {
        f"q{ids['rating']}": "9", f"q{ids['text']}": typed}, {
        f"q{ids['nps']}": "This question needs an answer.",
        f"q{ids['csat']}": "This question needs an answer.",
        f"q{ids['single_choice']}": "This question needs an answer.",
        f"q{ids['rating']}": "1 to 5"}, kept=(typed,))


def new_market(made: Made) -> Post:
    return Post("staff", "/admin/markets/new", {
        "question": "Hm", "outcomes": "Yes", "liquidity": "lots",
        "closes_at": "2001-01-01T10:00"}, {
        "question": "A question has 5 to 200 characters.",
        "outcomes": "A market has 2 to 20 outcomes.",
        "liquidity": "The liquidity must be a number.",
        "closes_at": "The close time must be in the future."},
        kept=('value="lots"', 'value="2001-01-01T10:00"'))


def edit_market(made: Made) -> Post:
    market_id = factories.market(made["staff"]).id
    return Post("staff", f"/admin/markets/{market_id}/edit", {
        "edit-question": "Hm", "edit-outcomes": "Yes\nNo\nMaybe",
        "edit-closes_at": "2001-01-01T10:00"}, {
        "edit-question": "A question has 5 to 200 characters.",
        "edit-outcomes": "The number of outcomes is fixed when the market opens.",
        "edit-closes_at": "The close time must be in the future."},
        kept=("Yes\nNo\nMaybe</textarea>",))


def trade(made: Made) -> Post:
    market_id = factories.market(made["staff"]).id
    return Post("customer", f"/markets/{market_id}/trade", {
        "outcome_id": "999999", "action": "gamble", "amount": "a lot"}, {
        "outcome_id": "Not a valid choice", "action": "Not a valid choice",
        "amount": "The number of shares must be a number."}, kept=('value="a lot"',))


def resolve(made: Made) -> Post:
    market_id = factories.market(made["staff"]).id
    note = long_text("Resolved", 2_001)
    return Post("staff", f"/admin/markets/{market_id}/resolve", {
        "resolve-outcome_id": "999999", "resolve-note": note}, {
        "resolve-outcome_id": "Not a valid choice",
        "resolve-note": "2000 characters"}, kept=(note,))


def routing_rule(made: Made) -> Post:
    """Fields the form refuses (no team, an SLA that is not a number) and fields only the
    rule's checks refuse (a score range upside down, conditions of other sources)."""
    return Post("admin", "/admin/rules/new", {
        "name": "Upside down", "source": "survey_response", "team_id": "", "priority": "high",
        "sla_hours": "a day", "question_kind": "nps", "score_min": "9", "score_max": "2",
        "vote_threshold": "5", "probability_threshold": "150",
        "keywords": "refund, invoice"}, {
        "team_id": "a rule needs a target",
        "sla_hours": "Not a valid integer value",
        "score_max": "'At most' is below 'at least': nothing would match.",
        "vote_threshold": "A vote threshold applies to 'idea passing N votes'.",
        "probability_threshold": "Market conditions apply to market moves."},
        kept=('value="a day"', 'value="refund, invoice"', 'value="Upside down"'))


def routing_rule_saved(made: Made) -> Post:
    """Every field reads, so the service refuses: each of its problems on its field."""
    return Post("admin", "/admin/rules/new", {
        "name": "Too much", "source": "idea_votes", "team_id": "area", "priority": "high",
        "sla_hours": "0", "vote_threshold": "0", "move_points": "5"}, {
        "sla_hours": "The SLA is a whole number of hours, 1 to 8760.",
        "vote_threshold": "A vote threshold is 1 to",
        "probability_threshold": "Market conditions apply to market moves."},
        kept=('value="Too much"',))


def team(made: Made) -> Post:
    team_id = factories.team(made["admin"], "Operations")
    description = long_text("Described", 501)
    return Post("admin", f"/admin/teams/{team_id}", {
        "name": "A", "description": description, "webhook_url": "ftp://hooks.example",
        "webhook_secret": "short"}, {
        "name": "A team's name has 2 to 80 characters.",
        "description": "500 characters",
        "webhook_url": "A webhook URL is an http:// or https:// address.",
        "webhook_secret": "16 and 200 characters"},
        kept=('value="ftp://hooks.example"', description))


def team_taken(made: Made) -> Post:
    """Another team's name (in another case) is one of the errors; its own name is not."""
    factories.team(made["admin"], "Billing")
    team_id = factories.team(made["admin"], "Operations")
    return Post("admin", f"/admin/teams/{team_id}", {
        "name": "billing", "description": "", "webhook_url": "ftp://hooks.example",
        "webhook_secret": ""}, {
        "name": "A team with that name exists already.",
        "webhook_url": "A webhook URL is an http:// or https:// address."},
        kept=('value="billing"',))


def new_team_taken(made: Made) -> Post:
    factories.team(made["admin"], "Billing")
    return Post("admin", "/admin/teams", {"name": " BILLING ", "description": "D" * 501}, {
        "name": "A team with that name exists already.", "description": "500 characters"},
        kept=("D" * 501,))


def new_team(made: Made) -> Post:
    return Post("admin", "/admin/teams", {"name": " B ", "description": "D" * 501}, {
        "name": "A team's name has 2 to 80 characters.", "description": "500 characters"},
        kept=("D" * 501,))


def area_taken(made: Made) -> Post:
    with made["app"].app_context():
        create_area("Billing")
    return Post("admin", "/admin/areas", {
        "name": "billing", "description": "Y" * 501, "team_id": ""}, {
        "name": "An area with that name exists already.", "description": "500 characters"},
        kept=('value="billing"', "Y" * 501))


def area(made: Made) -> Post:
    return Post("admin", "/admin/areas", {
        "name": "Z", "description": "Y" * 501, "team_id": "999999"}, {
        "name": "An area's name has 2 to 80 characters.", "description": "500 characters",
        "team_id": "Not a valid choice"}, kept=('value="Z"', "Y" * 501))


def user_role(made: Made) -> Post:
    return Post("admin", f"/admin/users/{made['customer'].id}/role", {"role": "emperor"}, {},
                flashed=("A role is one of customer, staff, admin.",), follow=True)


def case_change(made: Made) -> Post:
    case_id = factories.case(customer_id=made["customer"].id)
    note = long_text("Internal", 5_001)
    return Post("staff", f"/admin/cases/{case_id}", {
        "state": "closed", "assignee_id": "999999", "reply": "", "note": note}, {
        "assignee_id": "Not a valid choice",
        "reply": "Write the reply the customer will get before closing this case.",
        "note": "5000 characters"}, kept=(note,))


def case_reply(made: Made) -> Post:
    case_id = factories.case(customer_id=made["customer"].id)
    reply = long_text("Replied", 20_001)  # a message is at most 20,000 (page and API)
    return Post("staff", f"/admin/cases/{case_id}", {
        "state": "teleported", "reply": reply, "note": ""}, {
        "state": "Not a valid choice", "reply": "20000 characters"}, kept=(reply,))


def public_update(made: Made) -> Post:
    body = long_text("Delivered", 20_001)
    return Post("staff", "/admin/updates", {
        "title": "ab", "body": body, "idea_ids": "12, twelve"}, {
        "title": "A title has 3 to 200 characters.",
        "body": "20000 characters",
        "idea_ids": "“twelve” is not an idea number."},
        kept=('value="ab"', 'value="12, twelve"', body))


FORMS: dict[str, Callable[[Made], Post]] = {
    function.__name__: function for function in (
        register, register_taken, profile, password, reset_request, reset_password, delete_account,
        new_idea, comment, status_change, merge_target, new_survey, survey_details,
        add_question, edit_question, answer_survey, new_market, edit_market, trade, resolve,
        routing_rule, routing_rule_saved, team, team_taken, new_team, new_team_taken, area,
        area_taken, user_role, case_change, case_reply, public_update)}


def error_of(page: str, field_id: str) -> str:
    """The text of the error element of ``field_id`` (the one aria-describedby names)."""
    found = re.search(rf'<(small|p) class="field-error" id="{re.escape(field_id)}-error"'
                      rf'[^>]*>(.*?)</\1>', page, re.S)
    assert found, f"no error shown next to {field_id}"
    return unescape(found.group(2))


def described_by(page: str, field_id: str) -> bool:
    """Whether an element points at the field's error (the input, or its fieldset)."""
    return f'aria-describedby="{field_id}-error"' in page


@pytest.mark.parametrize("form", FORMS)
def test_every_error_of_a_form_shows_at_once_and_the_typed_values_stay(app, login, form):
    made = _people(app)
    post = FORMS[form](made)
    browser = login(made[post.role] if post.role else None)
    response = browser.post(post.path, data=post.data, follow_redirects=post.follow)
    page = response.get_data(as_text=True)
    text = unescape(page)
    if not post.follow:
        assert response.status_code in (400, 409), page[:2000]
    for field_id, message in post.errors.items():
        assert message in error_of(page, field_id), (field_id, error_of(page, field_id))
        assert described_by(page, field_id), field_id
    shown = set(re.findall(r'class="field-error" id="([^"]+)-error"', page))
    assert shown >= set(post.errors), shown
    assert len(post.errors) >= 2 or post.flashed or form in SINGLE_FIELD
    for value in post.kept:
        assert value in text, value[:80]
    for message in post.flashed:
        assert message in text


#: Forms with one field the person types in: their one error, and what they typed.
SINGLE_FIELD = {"profile", "reset_request", "delete_account", "comment", "merge_target"}
