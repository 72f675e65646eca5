"""Issue 13, "First use and the staff side": a signed-out vote survives the sign-in,
closed cases reopen, forms report every error at once, staff errors show where the eye is,
and typed survey answers survive a survey closing under the customer."""

from __future__ import annotations

import re
from html import unescape

from sqlalchemy import select

from tests import factories
from tests.conftest import PASSWORD
from voice.admin import service as staff_side
from voice.admin.models import AuditEntry, Case
from voice.extensions import db
from voice.ideas.models import Vote
from voice.surveys import service as surveys


def _votes(app, idea_id: int) -> int:
    with app.app_context():
        return len(db.session.scalars(select(Vote).where(Vote.idea_id == idea_id)).all())


def _text(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- a signed-out vote is not lost ---------------------------------------------------------


def test_a_signed_out_vote_leads_back_to_a_one_click_vote(app, login, customer, staff):
    idea_id = factories.idea(staff)
    browser = login(None)
    sent = browser.post(f"/ideas/{idea_id}/vote")
    assert sent.status_code == 302 and "/login" in sent.headers["Location"]
    next_url = re.search(r"next=([^&]+)", sent.headers["Location"]).group(1)
    signed_in = browser.post("/login", data={"email": customer.email, "password": PASSWORD,
                                             "next": next_url.replace("%2F", "/")})
    assert signed_in.status_code == 302
    landed = browser.get(signed_in.headers["Location"], follow_redirects=True)
    assert landed.status_code == 200
    page = _text(landed)
    assert "Cast your vote" in page
    assert _votes(app, idea_id) == 0  # a GET never casts a vote
    cast = browser.post(f"/ideas/{idea_id}/vote")
    assert cast.status_code == 302
    assert _votes(app, idea_id) == 1


def test_the_vote_prompt_is_gone_once_voted(app, login, customer, staff):
    idea_id = factories.idea(staff)
    browser = login(customer)
    browser.post(f"/ideas/{idea_id}/vote")
    page = _text(browser.get(f"/ideas/{idea_id}/vote", follow_redirects=True))
    assert "Cast your vote" not in page


def test_create_an_account_keeps_next_and_lands_there(app, login, staff):
    idea_id = factories.idea(staff)
    browser = login(None)
    target = f"/ideas/{idea_id}/vote"
    login_page = _text(browser.get(f"/login?next={target}"))
    link = re.search(r'href="(/register[^"]*)">Create an account', login_page).group(1)
    assert "next=" in link
    form_page = _text(browser.get(link))
    action = re.search(r'<form method="post" action="([^"]*)"', form_page)
    path = action.group(1) if action and action.group(1) else link
    registered = browser.post(path, data={
        "display_name": "Newcomer", "email": "new@example.com",
        "password": "a long enough password", "confirm": "a long enough password"})
    assert registered.status_code == 302, registered.get_data(as_text=True)
    landed = browser.get(registered.headers["Location"], follow_redirects=True)
    assert "Cast your vote" in _text(landed)


# --- a closed case can be reopened ------------------------------------------------------


def test_staff_reopen_a_closed_case(app, login, staff):
    case_id = factories.case(sla_hours=24)
    with app.app_context():
        staff_side.change_case(staff, case_id, state="closed")
    browser = login(staff)
    page = _text(browser.get(f"/admin/cases/{case_id}"))
    assert "Reopen" in page
    with app.app_context():
        before = db.session.get(Case, case_id)
        team_id, assignee_id, due_before = before.team_id, before.assignee_id, before.due_at
    saved = browser.post(f"/admin/cases/{case_id}", data={
        "state": "in_progress", "team_id": str(team_id), "assignee_id": ""})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.state == "in_progress" and case.closed_at is None
        assert case.assignee_id == assignee_id
        assert case.due_at > due_before  # the SLA counts again from the reopening
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_id == case_id)).all()
        assert "case.reopen" in actions


# --- the new-market form reports every error at once ---------------------------------------


def test_the_new_market_form_shows_every_error_in_one_submit(app, login, staff):
    browser = login(staff)
    refused = browser.post("/admin/markets/new", data={
        "question": "Hm", "outcomes": "Yes", "liquidity": "lots"})
    assert refused.status_code == 400
    page = _text(refused)
    assert "A question has 5 to 200 characters." in page
    assert "A market has 2 to 20 outcomes." in page
    assert "The liquidity must be a number." in page


# --- staff errors on the idea page show at the top -----------------------------------------


def _flashes(page: str) -> str:
    found = re.search(r'<div class="flashes"[^>]*>(.*?)</div>', page, re.S)
    return found.group(1) if found else ""


def test_a_refused_staff_action_on_an_idea_is_flashed_at_the_top(app, login, staff):
    idea_id = factories.idea(staff)
    browser = login(staff)
    refused = browser.post(f"/admin/ideas/{idea_id}/merge", data={"merge-into": str(idea_id)})
    assert refused.status_code in (400, 409)
    flashes = _flashes(_text(refused))
    assert "flash-error" in flashes and "merge" in flashes.lower()
    refused = browser.post(f"/admin/ideas/{idea_id}/votes", data={"proxy-email": "nobody@x.io"})
    assert refused.status_code >= 400
    assert "flash-error" in _flashes(_text(refused))


# --- typed survey answers survive the survey closing -----------------------------------------


def test_answers_typed_while_staff_close_the_survey_stay_on_the_page(app, login, staff,
                                                                     customer):
    made = factories.survey(staff, ["nps", "text"])
    ids = factories.question_ids(made)
    browser = login(customer)
    assert browser.get(f"/surveys/{made.id}").status_code == 200  # the customer starts typing
    with app.app_context():
        surveys.close_survey(staff, made.id)
    typed = "The export button is hidden behind three menus & hard to find."
    sent = browser.post(f"/surveys/{made.id}", data={
        f"q{ids['nps']}": "7", f"q{ids['text']}": typed})
    assert sent.status_code in (200, 409)
    page = _text(sent)
    assert "closed" in page.lower()
    assert typed in page
    assert "Your answers were not sent" in page
