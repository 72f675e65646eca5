"""SQL statements per request on the hot endpoints, pinned.

Each test counts the statements one request sends (a SQLAlchemy
``before_cursor_execute`` listener; transaction control such as BEGIN, COMMIT and
SAVEPOINT is left out, so SQLite and PostgreSQL count alike), pins the number, and
checks that it does not grow with the number of items shown: a regression to N+1
(a query per idea, per trade, per outcome) fails here before it shows in bench/.
When a change adds a query on purpose, update the pinned number and say why in the
commit.
"""

from __future__ import annotations

import os

import pytest

from tests import factories
from tests.conftest import counting_statements


def statements_of(app, client, method: str, path: str, *, expect: int = 200, **kwargs):
    with counting_statements(app) as statements:
        answer = client.open(path, method=method, **kwargs)
    assert answer.status_code == expect, answer.get_data(as_text=True)[:500]
    if os.environ.get("VOICE_SHOW_SQL"):  # to see what a request sends: VOICE_SHOW_SQL=1 -s
        print(f"\n{method} {path}: {len(statements)} statements")
        for statement in statements:
            print("   ", statement[:150])
    return statements


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def people(app, make_user, token_for):
    customers = [make_user() for _ in range(4)]
    return {"staff": make_user("staff"), "customers": customers,
            "tokens": [token_for(c) for c in customers]}


def test_healthz_is_one_query(app, client):
    assert statements_of(app, client, "GET", "/healthz") == ["SELECT 1"]


# --- ideas --------------------------------------------------------------------------------


# anonymous /ideas?sort=trending: the page with its total (one query), areas, linked markets
IDEA_LIST_PAGE = 3
IDEA_LIST_API = 2  # anonymous /api/v1/ideas?sort=trending: the page with its total, markets
# signed in: + the token's user (one join); the viewer's votes come with the page's query
IDEA_LIST_API_SIGNED_IN = 3


@pytest.mark.parametrize("count", [3, 25])
def test_idea_list_first_page(app, client, people, count):
    customers = people["customers"]
    areas = [factories.area(f"Area {n}").slug for n in range(3)]
    for n in range(count):
        factories.idea(customers[n % 4], f"Idea number {n} about exports", f"Description {n}",
                       areas[n % 3], voters=customers[: n % 4])
    page = statements_of(app, client, "GET", "/ideas?sort=trending")
    assert len(page) == IDEA_LIST_PAGE, page
    api = statements_of(app, client, "GET", "/api/v1/ideas?sort=trending")
    assert len(api) == IDEA_LIST_API, api
    signed_in = statements_of(app, client, "GET", "/api/v1/ideas?sort=trending",
                              headers=people["tokens"][0])
    assert len(signed_in) == IDEA_LIST_API_SIGNED_IN, signed_in


# the token's user, lock the idea, insert the vote (ON CONFLICT DO NOTHING), counters and
# hot score in one UPDATE, subscribe (ON CONFLICT DO NOTHING), routing's version token
VOTE = 6
UNVOTE = 4  # token's user, lock the idea, delete, counters and hot score


def test_vote_toggle(app, client, people):
    area = factories.area("Area 0").slug
    idea_id = factories.idea(people["customers"][0], "Idea number 0 about exports",
                             "Description 0", area)
    headers = people["tokens"][3]
    path = f"/api/v1/ideas/{idea_id}/vote"
    statements_of(app, client, "POST", path, headers=people["tokens"][2])  # first signal:
    # routing makes its default team and rules, once per installation
    cast = statements_of(app, client, "POST", path, headers=headers)
    assert len(cast) == VOTE, cast
    removed = statements_of(app, client, "DELETE", path, headers=headers)
    assert len(removed) == UNVOTE, removed


# --- surveys ------------------------------------------------------------------------------


# survey with its questions (FOR KEY SHARE), spend the token, response, answers (one
# executemany), routing: version token, then a case for the detractor (is it open? insert,
# its team), and last the tallies (one executemany) and the response count.
SURVEY_RESPONSE = {"sqlite": 10, "postgresql": 10}


def test_survey_response(app, client, people, backend):
    from voice.surveys import service

    with app.app_context():
        survey = service.create_survey(
            people["staff"], "How are we doing?", "", anonymous=True, status="open",
            questions=[{"kind": "nps", "prompt": "Recommend us?"},
                       {"kind": "csat", "prompt": "Satisfied?"},
                       {"kind": "single_choice", "prompt": "Which?", "choices": ["A", "B"]}])
        survey_id = survey.id
        questions = [q.id for q in service.load_survey(survey_id).questions]
        tokens = [service.response_token(survey_id) for _ in range(3)]
    path = f"/api/v1/surveys/{survey_id}/responses"

    def body(token, score):
        return {"token": token, "answers": {str(questions[0]): score, str(questions[1]): 4,
                                            str(questions[2]): "B"}}

    statements_of(app, client, "POST", path, expect=201, json=body(tokens[0], 9))
    answered = statements_of(app, client, "POST", path, expect=201, json=body(tokens[1], 3))
    assert len(answered) == SURVEY_RESPONSE[backend], answered


# --- markets ------------------------------------------------------------------------------


# the token's user, the market with its outcomes (locked), the user with the position
# (locked), trade, both ledger rows (one statement), balance, maker and counters, q,
# position upsert, price point, routing's version token; nothing read back.
TRADE = {"sqlite": 11, "postgresql": 11}


def test_trade(app, client, people, backend):
    market_id, outcomes = factories.market(people["staff"], ("Yes", "No", "Later"),
                                           question="Will exports ship by June?")
    path = f"/api/v1/markets/{market_id}/trades"
    statements_of(app, client, "POST", path, expect=201, headers=people["tokens"][0],
                  json={"outcome_id": outcomes[0], "shares": 2})
    first = statements_of(app, client, "POST", path, expect=201, headers=people["tokens"][1],
                          json={"outcome_id": outcomes[1], "spend": 3})
    assert len(first) == TRADE[backend], first
    again = statements_of(app, client, "POST", path, expect=201, headers=people["tokens"][1],
                          json={"outcome_id": outcomes[1], "shares": 1})
    assert len(again) == TRADE[backend], again  # the position exists: updated, not inserted


MARKET_PAGE = 5  # market + outcomes, chart count + points, trades page (total: the counter)


def test_market_page_does_not_grow_with_trades(app, client, people):
    from voice.markets import service

    market_id, outcomes = factories.market(people["staff"], ("Yes", "No", "Later"),
                                           question="Will exports ship by June?")
    counts = []
    for trades in (1, 30):
        with app.app_context():
            for n in range(trades):
                customer = people["customers"][n % 4]
                service.trade(customer.id, market_id, outcomes[n % 3], spend=100)
        counts.append(len(statements_of(app, client, "GET", f"/markets/{market_id}")))
    assert counts == [MARKET_PAGE, MARKET_PAGE]
