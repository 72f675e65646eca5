"""Rate limits, with the app built with RATELIMIT_ENABLED=True.

Login (page and token call), registration (page and API), password reset (per
address and per email asked for), idea submission (one counter per user for the page
and the API) and trading. Each limit lets exactly its number through, then answers
429 (a page or the contract's JSON ``rate_limited``), writes nothing more, and
counts per client: another user or address is not held back. tests/test_accounts.py
has the login page's limit too.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from tests.test_authorization import fast_hashing  # noqa: F401 - a fixture
from voice.extensions import db


@pytest.fixture
def app_config():
    return {"RATELIMIT_ENABLED": True}


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_token_calls_are_limited_per_address(app, customer):
    client = app.test_client()
    answers = [client.post("/api/v1/tokens", json={"email": customer.email,
                                                   "password": "wrong-password"},
                           environ_base={"REMOTE_ADDR": "10.0.0.1"}) for _ in range(11)]
    assert [a.status_code for a in answers] == [401] * 10 + [429]
    assert answers[-1].json["error"]["code"] == "rate_limited"
    # the right password does not get past the limit either
    blocked = client.post("/api/v1/tokens", json={"email": customer.email,
                                                  "password": PASSWORD},
                          environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert blocked.status_code == 429
    other = client.post("/api/v1/tokens", json={"email": customer.email, "password": PASSWORD},
                        environ_base={"REMOTE_ADDR": "10.0.0.2"})
    assert other.status_code == 201


def test_registration_is_limited_on_the_page_and_the_api(app, login, fast_hashing):  # noqa: F811
    from voice.accounts.models import User

    browser = login()
    token = browser.csrf_token()
    pages = [browser.client.post("/register", data={
        "email": f"page{n}@example.com", "display_name": f"Page {n}", "password": PASSWORD,
        "confirm": PASSWORD, "csrf_token": token}) for n in range(11)]
    # the first signs the browser in (later posts are sent home) but every post counts
    assert pages[0].status_code == 302
    assert pages[-1].status_code == 429
    assert "Slow down" in pages[-1].get_data(as_text=True)
    made = rows(app, User)
    client = app.test_client()
    api = [client.post("/api/v1/accounts", json={
        "email": f"api{n}@example.com", "password": PASSWORD, "display_name": f"Api {n}"},
        environ_base={"REMOTE_ADDR": "10.0.0.9"}) for n in range(11)]
    assert [a.status_code for a in api] == [201] * 10 + [429]
    assert rows(app, User) == made + 10


def test_password_reset_is_limited_per_address_and_per_email(app, login, customer):
    from voice.loop.models import OutboxMail

    browser = login()
    token = browser.csrf_token()

    def ask(email, address="10.0.1.1"):
        return browser.client.post("/reset-password", data={"email": email,
                                                             "csrf_token": token},
                                   environ_base={"REMOTE_ADDR": address})

    # per email asked for (known or not): 3 an hour, from any address
    same = [ask(customer.email, f"10.0.2.{n}").status_code for n in range(4)]
    assert same == [200, 200, 200, 429]
    unknown = [ask("nobody@example.com", f"10.0.3.{n}").status_code for n in range(4)]
    assert unknown == [200, 200, 200, 429]  # the limit reveals nothing either
    assert rows(app, OutboxMail) == 3
    # per address: 5 a minute, whatever the emails
    spread = [ask(f"someone{n}@example.com", "10.0.4.1").status_code for n in range(6)]
    assert spread == [200] * 5 + [429]


def test_idea_submission_shares_one_counter_between_page_and_api(app, login, token_for,
                                                                  make_user):
    from voice.ideas.models import Idea

    author, bystander = make_user("customer"), make_user("customer")
    headers = token_for(author)
    client = app.test_client()
    statuses = [client.post("/api/v1/ideas", json={"title": f"Idea number {n} here",
                                                   "description": ""},
                            headers=headers).status_code for n in range(3)]
    browser = login(author)
    for n in range(2):
        statuses.append(browser.post("/ideas/new", data={"title": f"Page idea {n} here",
                                                         "description": ""}).status_code)
    statuses.append(client.post("/api/v1/ideas", json={"title": "One too many ideas"},
                                headers=headers).status_code)
    statuses.append(browser.post("/ideas/new", data={"title": "One too many again",
                                                     "description": ""}).status_code)
    assert statuses == [201, 201, 201, 302, 302, 429, 429]
    assert rows(app, Idea) == 5
    other = client.post("/api/v1/ideas", json={"title": "Someone else's idea"},
                        headers=token_for(bystander))
    assert other.status_code == 201


def test_trading_is_limited_per_user(app, make_user, token_for):
    from voice.markets import service
    from voice.markets.models import Trade

    staff, trader, other = make_user("staff"), make_user("customer"), make_user("customer")
    with app.app_context():
        market = service.create_market(staff, "Will the limit hold?", ["Yes", "No"],
                                       liquidity=1000)
        market_id = market.id
    client = app.test_client()
    outcome = client.get(f"/api/v1/markets/{market_id}").json["outcomes"][0]["id"]
    headers = token_for(trader)
    statuses = [client.post(f"/api/v1/markets/{market_id}/trades",
                            json={"outcome_id": outcome, "spend": 0.01},
                            headers=headers).status_code for _ in range(61)]
    assert statuses == [201] * 60 + [429]
    assert rows(app, Trade) == 60
    assert client.post(f"/api/v1/markets/{market_id}/trades",
                       json={"outcome_id": outcome, "spend": 1},
                       headers=token_for(other)).status_code == 201
    with app.app_context():
        assert service.audit_books().balanced


def test_only_routes_with_a_limit_do_the_limiter_bookkeeping(app, customer):
    """The limiter is skipped on routes that carry no limit (voice.extensions): they
    answer without rate-limit headers, while a limited route still counts and says so."""
    from voice.extensions import limited_endpoints

    client = app.test_client()
    board = client.get("/ideas")
    assert board.status_code == 200 and "X-RateLimit-Limit" not in board.headers
    token = client.post("/api/v1/tokens", json={"email": customer.email,
                                                "password": "wrong-password"})
    assert token.status_code == 401 and token.headers["X-RateLimit-Limit"] == "10"
    assert token.headers["X-RateLimit-Remaining"] == "9"
    endpoints = limited_endpoints(app)
    assert {"api.create_token", "api.trade", "api.submit_response", "markets.trade",
            "accounts.login"} <= endpoints
    assert "ideas.index" not in endpoints and "api.vote" not in endpoints


def test_trades_share_one_counter_between_page_and_api(app, login, make_user, token_for):
    """60 a minute in all: the market page's form and the API draw on one budget."""
    from voice.markets import service
    from voice.markets.models import Trade

    staff, trader = make_user("staff"), make_user("customer")
    with app.app_context():
        market_id = service.create_market(staff, "Will one counter hold?", ["Yes", "No"],
                                          liquidity=1000).id
    client = app.test_client()
    outcome = client.get(f"/api/v1/markets/{market_id}").json["outcomes"][0]["id"]
    headers = token_for(trader)
    statuses = [client.post(f"/api/v1/markets/{market_id}/trades",
                            json={"outcome_id": outcome, "spend": 0.01},
                            headers=headers).status_code for _ in range(59)]
    browser = login(trader)
    form = {"outcome_id": outcome, "action": "buy_spend", "amount": "0.01"}
    statuses.append(browser.post(f"/markets/{market_id}/trade", data=form).status_code)
    statuses.append(browser.post(f"/markets/{market_id}/trade", data=form).status_code)
    statuses.append(client.post(f"/api/v1/markets/{market_id}/trades",
                                json={"outcome_id": outcome, "spend": 0.01},
                                headers=headers).status_code)
    assert statuses == [201] * 59 + [302, 429, 429]
    assert rows(app, Trade) == 60


def test_survey_answers_share_one_counter_between_page_and_api(app, login, make_user,
                                                                token_for):
    """30 a minute in all, refused answers included: the page and the API share them."""
    from voice.surveys import service
    from voice.surveys.models import Response

    staff, customer = make_user("staff"), make_user("customer")
    with app.app_context():
        survey = service.create_survey(staff, "One counter", status="open", questions=[
            {"kind": "text", "prompt": "Anything to add?", "required": False}])
        survey_id, question_id = survey.id, survey.questions[0].id
    client = app.test_client()
    headers = token_for(customer)
    body = {"answers": {str(question_id): "Once"}}
    statuses = [client.post(f"/api/v1/surveys/{survey_id}/responses", json=body,
                            headers=headers).status_code for _ in range(29)]
    browser = login(customer)
    form = {f"q{question_id}": "Again"}
    statuses.append(browser.post(f"/surveys/{survey_id}", data=form).status_code)
    statuses.append(browser.post(f"/surveys/{survey_id}", data=form).status_code)
    statuses.append(client.post(f"/api/v1/surveys/{survey_id}/responses", json=body,
                                headers=headers).status_code)
    assert statuses[:29] == [201] + [409] * 28
    assert statuses[29] != 429
    assert statuses[30:] == [429, 429]
    assert rows(app, Response) == 1


def test_signing_in_shares_one_counter_between_page_and_token_call(app, login, customer):
    """Ten sign-in tries a minute per address, on the login page and the token call
    together: a client cannot get twenty by alternating."""
    client = app.test_client()
    wrong = {"email": customer.email, "password": "not-the-password"}
    api = [client.post("/api/v1/tokens", json=wrong).status_code for _ in range(5)]
    browser = login()
    token = browser.csrf_token()
    pages = [browser.client.post("/login", data={**wrong, "csrf_token": token}).status_code
             for _ in range(5)]
    assert api == [401] * 5
    assert 429 not in pages
    assert browser.client.post("/login", data={**wrong, "csrf_token": token}).status_code == 429
    assert client.post("/api/v1/tokens", json=wrong).status_code == 429


def test_answers_on_a_conversation_share_one_counter_between_page_and_api(
        app, login, token_for, make_user):
    """10 a minute per customer, page and API together; another customer is not held back
    and nothing past the limit is written."""
    from tests import factories
    from voice.admin.models import CaseNote

    staff, customer, other = make_user("staff"), make_user("customer"), make_user("customer")
    case_id = factories.case(customer_id=customer.id)
    other_case = factories.case(customer_id=other.id, source_id=2)
    for case in (case_id, other_case):
        factories.staff_message(staff, case, "How can we help?")
    client, headers = app.test_client(), token_for(customer)
    statuses = [client.post(f"/api/v1/me/cases/{case_id}/messages", json={"body": f"API {n}"},
                            headers=headers).status_code for n in range(6)]
    browser = login(customer)
    statuses += [browser.post(f"/me/conversations/{case_id}",
                              data={"body": f"Page {n}"}).status_code for n in range(4)]
    statuses.append(client.post(f"/api/v1/me/cases/{case_id}/messages",
                                json={"body": "one too many"}, headers=headers).status_code)
    statuses.append(browser.post(f"/me/conversations/{case_id}",
                                 data={"body": "one too many"}).status_code)
    assert statuses == [201] * 6 + [302] * 4 + [429, 429]
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(CaseNote).where(
            CaseNote.kind == "customer", CaseNote.case_id == case_id)) == 10
    assert client.post(f"/api/v1/me/cases/{other_case}/messages", json={"body": "Mine"},
                       headers=token_for(other)).status_code == 201
