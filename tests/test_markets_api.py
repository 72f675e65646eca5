"""The markets calls of the API contract, with their errors."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, test_config
from voice import create_app
from voice.extensions import db


def create(app, client, headers, **body):
    payload = {"question": "Will the annual plan cut churn below 3%?", "outcomes": ["Yes", "No"],
               "liquidity": 100}
    payload.update(body)
    return client.post("/api/v1/markets", json=payload, headers=headers)


@pytest.fixture
def market(app, client, staff, token_for):
    response = create(app, client, token_for(staff))
    assert response.status_code == 201, response.json
    return response.json


def test_create_market_answers_the_contract(app, client, staff, token_for):
    response = create(app, client, token_for(staff), description="By the Q3 review.",
                      closes_at="2099-01-01T12:00:00Z")
    assert response.status_code == 201
    data = response.json
    assert set(data) >= {"id", "question", "description", "status", "liquidity", "closes_at",
                         "idea_id", "resolved_outcome_id", "outcomes"}
    assert data["status"] == "open" and data["liquidity"] == 100.0
    assert data["closes_at"] == "2099-01-01T12:00:00Z"
    assert data["subsidy"] == 69.32  # b ln 2 = 69.3147, rounded up to the hundredth
    assert [(o["label"], o["price"], o["shares"]) for o in data["outcomes"]] == [
        ("Yes", 0.5, 0.0), ("No", 0.5, 0.0)]


@pytest.mark.parametrize(
    ("body", "status"),
    [({"outcomes": ["Only"]}, 400), ({"outcomes": [f"o{i}" for i in range(21)]}, 400),
     ({"liquidity": 0}, 400), ({"liquidity": -1}, 400), ({"liquidity": "lots"}, 400),
     ({"outcomes": "Yes,No"}, 400), ({"question": ""}, 400), ({"question": 5}, 400),
     ({"closes_at": "tomorrow"}, 400), ({"closes_at": "2001-01-01T00:00:00Z"}, 400),
     ({"idea_id": "x"}, 400), ({"idea_id": 12345}, 400)],
)
def test_create_market_refuses_bad_input(app, client, staff, token_for, body, status):
    response = create(app, client, token_for(staff), **body)
    assert response.status_code == status
    assert set(response.json["error"]) == {"code", "message"}
    assert client.get("/api/v1/markets").json["total"] == 0


def test_only_staff_create_markets(app, client, customer, token_for):
    assert create(app, client, token_for(customer)).status_code == 403
    assert create(app, client, {}).status_code == 401


def test_list_and_get(app, client, market):
    listing = client.get("/api/v1/markets?status=open").json
    assert listing["total"] == 1 and listing["items"][0]["id"] == market["id"]
    assert client.get("/api/v1/markets?status=resolved").json["total"] == 0
    assert client.get("/api/v1/markets?status=weird").status_code == 400
    assert client.get("/api/v1/markets?per_page=1000").status_code == 400
    assert client.get(f"/api/v1/markets/{market['id']}").json["question"] == market["question"]
    assert client.get("/api/v1/markets/999").status_code == 404


def test_quotes_pin_the_published_values(app, client, market):
    yes = market["outcomes"][0]["id"]
    url = f"/api/v1/markets/{market['id']}/quote"
    buy = client.get(f"{url}?outcome_id={yes}&shares=10").json
    assert buy["shares"] == 10.0 and buy["cost"] == 5.13
    assert buy["average_price"] == 0.513
    assert buy["prices_after"] == [0.524979, 0.475021]
    assert buy["payout_if_wins"] == 10.0
    spend = client.get(f"{url}?outcome_id={yes}&spend=10").json
    assert spend["shares"] == 19.090282 and spend["cost"] == 10.0
    sell = client.get(f"{url}?outcome_id={yes}&shares=-10").json
    assert sell["shares"] == -10.0 and sell["cost"] < 0


@pytest.mark.parametrize("query", [
    "shares=nan", "shares=inf", "shares=0", "shares=abc", "shares=1e12", "spend=-5", "spend=0",
    "shares=1&spend=1", "", "spend=1e300",
])
def test_bad_quotes_are_400(app, client, market, query):
    yes = market["outcomes"][0]["id"]
    response = client.get(f"/api/v1/markets/{market['id']}/quote?outcome_id={yes}&{query}")
    assert response.status_code == 400
    assert response.json["error"]["code"].startswith("invalid")


def test_quote_for_another_markets_outcome_is_400(app, client, staff, token_for, market):
    other = create(app, client, token_for(staff)).json
    response = client.get(f"/api/v1/markets/{market['id']}/quote"
                          f"?outcome_id={other['outcomes'][0]['id']}&shares=1")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_outcome"


def trade(client, market, headers, **body):
    return client.post(f"/api/v1/markets/{market['id']}/trades", json=body, headers=headers)


def test_trade_and_its_errors(app, client, market, customer, staff, token_for):
    yes, no = (o["id"] for o in market["outcomes"])
    headers = token_for(customer)
    refused = trade(client, market, headers, outcome_id=yes, shares=10, max_cost=5.12)
    assert refused.status_code == 409 and refused.json["error"]["code"] == "price_moved"
    done = trade(client, market, headers, outcome_id=yes, shares=10, max_cost=5.13)
    assert done.status_code == 201
    body = done.json
    assert body["balance"] == 994.87
    assert body["prices"] == [0.524979, 0.475021]
    assert {"id", "outcome_id", "shares", "cost", "created_at"} <= set(body["trade"])
    assert body["trade"]["shares"] == 10.0 and body["trade"]["cost"] == 5.13
    sale = trade(client, market, headers, outcome_id=yes, shares=-4, min_proceeds=10)
    assert sale.status_code == 409 and sale.json["error"]["code"] == "price_moved"
    cases = [
        ({"outcome_id": yes, "shares": -11}, 409, "insufficient_shares"),
        ({"outcome_id": no, "sell_all": True}, 409, "insufficient_shares"),
        ({"outcome_id": yes, "spend": 5000}, 409, "insufficient_balance"),
        ({"outcome_id": yes, "shares": 5000}, 409, "insufficient_balance"),
        ({"outcome_id": yes, "shares": 0}, 400, "invalid_shares"),
        ({"outcome_id": yes, "shares": "many"}, 400, "invalid_shares"),
        ({"outcome_id": yes, "shares": 1e30}, 400, "invalid_shares"),
        ({"outcome_id": yes, "shares": True}, 400, "invalid_shares"),
        ({"outcome_id": yes}, 400, "invalid_trade"),
        ({"outcome_id": yes, "shares": 1, "max_cost": "cheap"}, 400, "invalid_max_cost"),
        ({"outcome_id": 999_999, "shares": 1}, 400, "invalid_outcome"),
        ({"outcome_id": None, "shares": 1}, 400, "invalid_outcome"),
    ]
    for body, status, code in cases:
        response = trade(client, market, headers, **body)
        assert (response.status_code, response.json["error"]["code"]) == (status, code), body
    for raw in ('{"outcome_id": %d, "shares": NaN}', '{"outcome_id": %d, "shares": Infinity}',
                '{"outcome_id": %d, "shares": 1e999}'):
        response = client.post(f"/api/v1/markets/{market['id']}/trades", data=raw % yes,
                               headers={**headers, "Content-Type": "application/json"})
        assert response.status_code == 400, raw
    assert trade(client, market, token_for(staff), outcome_id=yes, shares=1).status_code == 403
    assert trade(client, market, {}, outcome_id=yes, shares=1).status_code == 401
    me = client.get("/api/v1/me", headers=headers).json
    assert me["balance"] == 994.87  # nothing refused changed anything
    positions = client.get("/api/v1/me/positions", headers=headers).json["items"]
    assert len(positions) == 1
    assert positions[0]["shares"] == 10.0 and positions[0]["cost_basis"] == 5.13
    assert positions[0]["value"] == 5.24  # 10 × 0.524979, rounded down
    history = client.get(f"/api/v1/markets/{market['id']}/history").json["points"]
    assert [p["prices"] for p in history] == [[0.5, 0.5], [0.524979, 0.475021]]
    trades = client.get(f"/api/v1/markets/{market['id']}/trades").json
    assert trades["total"] == 1 and trades["items"][0]["trader"] == customer.display_name
    # the answer's trade is built from what was written, not read back: the same row
    stored = trades["items"][0]
    assert {key: stored[key] for key in done.json["trade"]} == done.json["trade"]


def test_resolve_and_void(app, client, market, customer, staff, token_for):
    yes, no = (o["id"] for o in market["outcomes"])
    staff_headers = token_for(staff)
    trade(client, market, token_for(customer), outcome_id=yes, shares=10)
    url = f"/api/v1/markets/{market['id']}"
    assert client.post(f"{url}/resolve", json={"outcome_id": yes},
                       headers=token_for(customer)).status_code == 403
    assert client.post(f"{url}/resolve", json={"outcome_id": "x"},
                       headers=staff_headers).status_code == 400
    resolved = client.post(f"{url}/resolve", json={"outcome_id": yes, "note": "Shipped."},
                           headers=staff_headers)
    assert resolved.status_code == 200
    assert resolved.json["status"] == "resolved" and resolved.json["resolved_outcome_id"] == yes
    again = client.post(f"{url}/resolve", json={"outcome_id": no}, headers=staff_headers)
    assert again.status_code == 409 and again.json["error"]["code"] == "market_settled"
    assert client.post(f"{url}/void", json={}, headers=staff_headers).status_code == 409
    assert client.get("/api/v1/me", headers=token_for(customer)).json["balance"] == 1004.87
    late = trade(client, market, token_for(customer), outcome_id=yes, sell_all=True)
    assert late.status_code == 409 and late.json["error"]["code"] == "market_not_open"
    quote = client.get(f"{url}/quote?outcome_id={yes}&shares=1")
    assert quote.status_code == 409 and quote.json["error"]["code"] == "market_not_open"
    notes = client.get("/api/v1/me/notifications", headers=token_for(customer)).json
    assert notes["items"][0]["kind"] == "market_resolved"

    other = create(app, client, staff_headers).json
    trade(client, other, token_for(customer), outcome_id=other["outcomes"][1]["id"], spend=50)
    voided = client.post(f"/api/v1/markets/{other['id']}/void", json={"note": "Ambiguous"},
                         headers=staff_headers)
    assert voided.status_code == 200 and voided.json["status"] == "voided"
    assert client.get("/api/v1/me", headers=token_for(customer)).json["balance"] == 1004.87


def test_leaderboard(app, client, market, make_user, token_for):
    alice, bob = make_user(name="Alice"), make_user(name="Bob")
    yes = market["outcomes"][0]["id"]
    trade(client, market, token_for(alice), outcome_id=yes, shares=100)
    board = client.get("/api/v1/leaderboard").json
    assert board["total"] == 2
    # alice paid 100·ln((e + 1)/2) = 62.0115 → 62.02 for shares now priced e/(e + 1) = 0.731059:
    # marked at the price, they are worth 73.10, so she leads with 1000 − 62.02 + 73.10
    assert [row["user"]["display_name"] for row in board["items"]] == ["Alice", "Bob"]
    assert [row["net_worth"] for row in board["items"]] == [1011.08, 1000.0]
    assert [row["rank"] for row in board["items"]] == [1, 2]
    assert set(board["items"][0]["user"]) == {"id", "display_name"}
    assert bob.id == board["items"][1]["user"]["id"]


def test_trades_are_rate_limited_per_user(database_urls, backend, make_user, staff):
    limited = create_app(test_config(database_urls[backend], RATELIMIT_ENABLED=True))
    customer = make_user()
    from voice.accounts import service as accounts
    from voice.markets import service

    with limited.app_context():
        staff_user = db.session.merge(staff)
        market_id = service.create_market(staff_user, "Rate limited market?", ["Yes", "No"],
                                          liquidity=1000).id
        yes = service.get_market(market_id).outcomes[0].id
        token = accounts.issue_token(customer.email, PASSWORD)
        db.session.remove()
    headers = {"Authorization": f"Bearer {token}"}
    client = limited.test_client()
    statuses = [client.post(f"/api/v1/markets/{market_id}/trades",
                            json={"outcome_id": yes, "shares": 0.01},
                            headers=headers).status_code for _ in range(61)]
    assert statuses[:60] == [201] * 60
    assert statuses[60] == 429
    with limited.app_context():
        db.session.remove()
        db.engine.dispose()
