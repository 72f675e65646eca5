"""The customer, whole (issue 14): the staff's page and API call of one customer.

Attributes, a summary of every domain, and one timeline of every interaction, newest
first and paged, each linking to its object; identified survey responses only. The
statements of a page are pinned and do not grow with the customer's history.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from tests import factories
from tests.conftest import counting_statements
from voice.admin import service
from voice.admin.models import Case, CaseNote
from voice.admin.service.customers import TIMELINE_DEPTH
from voice.clock import utcnow
from voice.extensions import db
from voice.ideas.models import Comment, Idea, Vote
from voice.markets.models import Trade
from voice.surveys import service as surveys
from voice.surveys.models import Response, Survey

EVERY_KIND = {"idea", "vote", "comment", "response", "trade", "case", "reply", "message"}


def _token(app, survey_id: int, nonce: str) -> str:
    with app.app_context():
        return surveys.response_token(survey_id, nonce)


def _case_of(app, customer_id: int, source_type: str) -> int:
    with app.app_context():
        return db.session.scalar(select(Case.id).where(
            Case.customer_id == customer_id, Case.source_type == source_type))


@pytest.fixture
def history(app, make_user, staff, customer):
    """One of each interaction of ``customer``, made through the services, and an
    anonymous survey the same customer answered (which must never show)."""
    other = make_user(name="Other Author")
    own_idea = factories.idea(customer, "Offline mode for the app")
    voted = factories.idea(other, "Dark mode everywhere", voters=[customer],
                           comments=[(customer, "Yes, **please**: my eyes hurt.")])
    identified = factories.survey(staff, ["nps"], title="Quarterly pulse")
    factories.response(identified.id, customer, {identified.questions[0].id: 3})
    secret = factories.survey(staff, ["nps", "text"], title="Secret pulse", anonymous=True)
    ids = factories.question_ids(secret)
    factories.response(secret.id, customer, {ids["nps"]: 10, ids["text"]: "Anonymous words"},
                       anonymous_token=_token(app, secret.id, "browser-1"))
    market_id, _ = factories.market(staff, question="Will offline mode ship?",
                                    trades=[(customer, 0, 10_000_000)])
    case_id = _case_of(app, customer.id, "survey_response")
    with app.app_context():
        service.change_case(staff, case_id, reply="Sorry to hear it: what went wrong?")
        service.post_customer_message(customer, case_id, "Support never answered my mail.")
    with app.app_context():
        comment_id = db.session.scalar(select(Comment.id).where(Comment.author_id == customer.id))
    return {"own_idea": own_idea, "voted": voted, "comment_id": comment_id,
            "survey_id": identified.id, "secret_id": secret.id, "market_id": market_id,
            "case_id": case_id}


def test_the_page_shows_who_the_summary_and_every_interaction(app, login, staff, customer,
                                                              history):
    answer = login(staff).get(f"/admin/customers/{customer.id}")
    assert answer.status_code == 200
    page = answer.get_data(as_text=True)
    assert customer.email in page and customer.display_name in page
    figures = dict(re.findall(r'data-figure="(\w+)">(\d+)', page))
    assert figures == {"ideas": "1", "votes": "1", "comments": "1", "responses": "1",
                       "trades": "1", "open_cases": "2"}  # the idea's case and the NPS one
    assert "last NPS 3" in page
    kinds = re.findall(r'data-kind="(\w+)"', page)
    assert set(kinds) == EVERY_KIND
    assert kinds[:2] == ["message", "reply"]  # newest first: the thread came last
    assert f'href="/ideas/{history["voted"]}#comment-{history["comment_id"]}"' in page
    assert f'href="/ideas/{history["own_idea"]}"' in page
    assert f'href="/admin/surveys/{history["survey_id"]}/results"' in page
    assert f'href="/markets/{history["market_id"]}"' in page
    assert f'href="/admin/cases/{history["case_id"]}"' in page
    assert "bought 10.00 Yes for" in page
    assert "Yes, please: my eyes hurt." in page  # the comment's start, as plain text


def test_anonymous_answers_never_appear(app, login, token_for, staff, customer, history):
    page = login(staff).get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert "Secret pulse" not in page and "Anonymous words" not in page
    assert f"/admin/surveys/{history['secret_id']}/results" not in page
    data = login(staff).client.get(f"/api/v1/admin/customers/{customer.id}",
                                   headers=token_for(staff)).json
    responses = [item for item in data["timeline"]["items"] if item["kind"] == "response"]
    assert [item["object"] for item in responses] == [
        {"type": "survey", "id": history["survey_id"]}]
    assert data["summary"]["responses"] == 1
    assert data["summary"]["last_nps"] == 3  # the anonymous 10 came later, and never counts


def test_the_api_answers_the_contract(app, client, token_for, staff, customer, history):
    answer = client.get(f"/api/v1/admin/customers/{customer.id}", headers=token_for(staff))
    assert answer.status_code == 200
    data = answer.json
    assert set(data) == {"user", "attributes", "summary", "timeline"}
    assert data["user"]["id"] == customer.id and data["user"]["email"] == customer.email
    assert data["attributes"] == {}
    assert {"ideas", "votes", "comments", "responses", "trades", "open_cases",
            "last_nps"} <= set(data["summary"])
    timeline = data["timeline"]
    assert (timeline["page"], timeline["per_page"]) == (1, 20)
    assert timeline["total"] == len(timeline["items"]) == 9  # 2 cases: the idea's and NPS
    times = [item["at"] for item in timeline["items"]]
    assert times == sorted(times, reverse=True)
    message = timeline["items"][0]
    assert message["kind"] == "message" and message["object"] == {
        "type": "case", "id": history["case_id"]}
    assert message["detail"] == "Support never answered my mail."
    assert message["link"] == f"/admin/cases/{history['case_id']}"


def test_pages_of_the_timeline_follow_on(app, client, token_for, staff, customer, history):
    headers = token_for(staff)
    url = f"/api/v1/admin/customers/{customer.id}"
    whole = [(i["kind"], i["id"]) for i in
             client.get(f"{url}?per_page=100", headers=headers).json["timeline"]["items"]]
    paged = []
    for page in (1, 2, 3, 4):
        items = client.get(f"{url}?per_page=3&page={page}", headers=headers).json[
            "timeline"]["items"]
        paged += [(i["kind"], i["id"]) for i in items]
    assert paged == whole and len(whole) == 9


def test_staff_only_and_unknown_users(app, client, login, token_for, staff, customer):
    assert login(customer).get(f"/admin/customers/{customer.id}").status_code == 403
    assert login(staff).get("/admin/customers/99999").status_code == 404
    refused = client.get(f"/api/v1/admin/customers/{customer.id}", headers=token_for(customer))
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    missing = client.get("/api/v1/admin/customers/99999", headers=token_for(staff))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_a_customer_with_nothing_yet(app, login, staff, customer):
    page = login(staff).get(f"/admin/customers/{customer.id}").get_data(as_text=True)
    assert "Nothing yet" in page


def test_staff_pages_link_the_customer(app, login, staff, customer, history):
    link = f'href="/admin/customers/{customer.id}"'
    browser = login(staff)
    assert link in browser.get(f"/ideas/{history['voted']}").get_data(as_text=True)  # comment
    assert link in browser.get(f"/ideas/{history['own_idea']}").get_data(as_text=True)
    assert link in browser.get(f"/markets/{history['market_id']}").get_data(as_text=True)
    assert link in browser.get("/admin/cases").get_data(as_text=True)
    # customers see the names, not the staff's links
    assert link not in login(customer).get(f"/ideas/{history['voted']}").get_data(as_text=True)


def test_survey_results_link_identified_answers_only(app, login, staff, customer):
    identified = factories.survey(staff, ["text"], title="Named")
    factories.response(identified.id, customer, {identified.questions[0].id: "Named words"})
    secret = factories.survey(staff, ["text"], title="Unnamed", anonymous=True)
    factories.response(secret.id, customer, {secret.questions[0].id: "Unnamed words"},
                       anonymous_token=_token(app, secret.id, "b"))
    browser = login(staff)
    link = f'href="/admin/customers/{customer.id}"'
    named = browser.get(f"/admin/surveys/{identified.id}/results").get_data(as_text=True)
    assert "Named words" in named and link in named
    unnamed = browser.get(f"/admin/surveys/{secret.id}/results").get_data(as_text=True)
    assert "Unnamed words" in unnamed and "/admin/customers/" not in unnamed


# --- at volume ----------------------------------------------------------------------------


def _bulk_history(app, customer_id: int, author_id: int, market, each: int) -> int:
    """``each`` ideas, votes, comments, trades, identified responses, cases and case
    messages of ``customer_id``, written in bulk (a history no test makes one by one)."""
    start = utcnow() - timedelta(days=400)
    at = [start + timedelta(minutes=n) for n in range(each)]
    market_id, (outcome_id, _) = market
    with app.app_context():
        triage = service.ensure_defaults().id
        mine = db.session.scalars(insert(Idea).returning(Idea.id), [
            {"title": f"Idea {n}", "author_id": customer_id, "created_at": at[n]}
            for n in range(each)]).all()
        db.session.execute(insert(Idea), [
            {"title": f"Other idea {n}", "author_id": author_id, "created_at": at[n]}
            for n in range(each)])
        db.session.execute(insert(Vote), [{"idea_id": i, "user_id": customer_id,
                                           "created_at": at[n]} for n, i in enumerate(mine)])
        db.session.execute(insert(Comment), [{"idea_id": mine[n], "author_id": customer_id,
                                              "body": f"Comment {n}", "created_at": at[n]}
                                             for n in range(each)])
        db.session.execute(insert(Trade), [
            {"market_id": market_id, "outcome_id": outcome_id, "user_id": customer_id,
             "shares": 1_000_000, "cost": 50, "price_before": .5, "price_after": .5,
             "created_at": at[n]} for n in range(each)])
        surveys_made = db.session.scalars(insert(Survey).returning(Survey.id), [
            {"title": f"Survey {n}", "status": "closed"} for n in range(each)]).all()
        db.session.execute(insert(Response), [
            {"survey_id": s, "user_id": customer_id, "created_at": at[n]}
            for n, s in enumerate(surveys_made)])
        cases = db.session.scalars(insert(Case).returning(Case.id), [
            {"source_type": "idea", "source_id": i, "rule_id": 999, "team_id": triage,
             "customer_id": customer_id, "state": "closed", "title": f"Case {n}",
             "due_at": at[n], "created_at": at[n], "updated_at": at[n]}
            for n, i in enumerate(mine)]).all()
        db.session.execute(insert(CaseNote), [
            {"case_id": c, "author_id": customer_id, "kind": "customer", "body": f"Msg {n}",
             "created_at": at[n] + timedelta(seconds=30)} for n, c in enumerate(cases)])
        db.session.commit()
    return 7 * each


# session user; the user; four domains' counts; four domains' newest rows; the host's
# attributes (issue 15); the bell
CUSTOMER_PAGE = 12
CUSTOMER_API = 11  # the token's user; the user; four counts; four timelines; attributes


def statements_of(app, client, path: str, expect: int = 200, **kwargs) -> list[str]:
    with counting_statements(app) as statements:
        answer = client.get(path, **kwargs)
    assert answer.status_code == expect, answer.get_data(as_text=True)[:300]
    return statements


def test_the_statements_do_not_grow_with_the_history(app, login, token_for, make_user, staff,
                                                     customer, history):
    big = make_user(name="Ten Thousand")
    market = factories.market(staff, question="Busy market?")
    made = _bulk_history(app, big.id, customer.id, market, each=1430)
    assert made >= 10_000
    browser = login(staff)
    headers = token_for(staff)
    browser.get(f"/admin/customers/{customer.id}")  # the session's first request warms up
    small_page = statements_of(app, browser.client, f"/admin/customers/{customer.id}")
    big_page = statements_of(app, browser.client, f"/admin/customers/{big.id}")
    assert len(small_page) == len(big_page) == CUSTOMER_PAGE, big_page
    small_api = statements_of(app, browser.client, f"/api/v1/admin/customers/{customer.id}",
                              headers=headers)
    big_api = statements_of(app, browser.client, f"/api/v1/admin/customers/{big.id}",
                            headers=headers)
    assert len(small_api) == len(big_api) == CUSTOMER_API, big_api

    data = browser.client.get(f"/api/v1/admin/customers/{big.id}", headers=headers).json
    assert data["timeline"]["total"] == made
    assert data["summary"] == {
        "ideas": 1430, "votes": 1430, "comments": 1430, "responses": 1430, "trades": 1430,
        "open_cases": 0, "last_nps": None, "positions": 0, "cases": 1430, "messages": 1430}
    first = data["timeline"]["items"][0]
    assert (first["kind"], first["detail"]) == ("message", "Msg 1429")

    # The deepest page reads no more statements; past it, a sentence, nothing read.
    last = TIMELINE_DEPTH // 20
    deep = statements_of(app, browser.client, f"/admin/customers/{big.id}?page={last}")
    assert len(deep) == CUSTOMER_PAGE
    past = browser.client.get(f"/api/v1/admin/customers/{big.id}?page={last + 1}",
                              headers=headers)
    assert past.status_code == 400 and past.json["error"]["code"] == "invalid_paging"
    assert "reaches back 2,000 interactions" in past.json["error"]["message"]
    page = browser.get(f"/admin/customers/{big.id}?page=500")
    assert page.status_code == 400
    assert "reaches back 2,000 interactions" in page.get_data(as_text=True)


def test_the_deepest_page_holds_the_right_rows(app, login, token_for, make_user, staff,
                                               customer):
    big = make_user(name="Many")
    made = _bulk_history(app, big.id, customer.id, factories.market(staff), each=300)
    url = f"/api/v1/admin/customers/{big.id}"
    headers = token_for(staff)
    client = login(staff).client
    whole = []
    for page in range(1, 21):  # 20 pages of 100: the whole depth
        whole += client.get(f"{url}?per_page=100&page={page}", headers=headers).json[
            "timeline"]["items"]
    assert len(whole) == min(made, TIMELINE_DEPTH)
    order = [(i["at"], i["kind"], i["id"]) for i in whole]
    assert order == sorted(order, reverse=True) and len(set(order)) == len(order)
    tail = client.get(f"{url}?per_page=7&page=285", headers=headers).json["timeline"]["items"]
    assert [(i["kind"], i["id"]) for i in tail] == [
        (i["kind"], i["id"]) for i in whole[284 * 7:285 * 7]]
