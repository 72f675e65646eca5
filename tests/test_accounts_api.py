"""The account endpoints of the API contract, with every error case."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from voice.accounts.models import ApiToken, User
from voice.extensions import db


def test_create_account_then_token_then_me(app, client):
    created = client.post("/api/v1/accounts", json={
        "email": "Api.User@Example.com", "password": "long-enough-pw", "display_name": "Api User",
    })
    assert created.status_code == 201
    user = created.json["user"]
    assert user["email"] == "api.user@example.com"
    assert user["role"] == "customer"
    assert set(user) >= {"id", "email", "display_name", "role", "balance"}

    token = client.post("/api/v1/tokens", json={
        "email": "api.user@example.com", "password": "long-enough-pw"}).json["token"]
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {token}"})
    assert me.status_code == 200
    assert me.json["id"] == user["id"]
    with app.app_context():
        stored = db.session.scalar(select(ApiToken.token_hash))
        assert stored != token and len(stored) == 64  # only the digest is kept


def test_deleting_the_current_token_revokes_it(app, client, customer, token_for):
    headers = token_for(customer)
    assert client.delete("/api/v1/tokens/current", headers=headers).status_code == 204
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401
    assert response.json["error"]["code"] == "unauthorized"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"email": "bad", "password": "long-enough-pw", "display_name": "X"}, 400, "invalid"),
        ({"email": "a@example.com", "password": "short", "display_name": "X"}, 400, "invalid"),
        ({"email": "a@example.com", "password": "long-enough-pw", "display_name": ""}, 400,
         "invalid"),
        ({"email": 5, "password": ["x"], "display_name": None}, 400, "invalid"),
    ],
)
def test_create_account_refuses_bad_input(app, client, body, status, code):
    response = client.post("/api/v1/accounts", json=body)
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]
    with app.app_context():
        assert db.session.scalar(select(func.count(User.id))) == 0


def test_create_account_with_a_taken_email(app, client, customer):
    response = client.post("/api/v1/accounts", json={
        "email": customer.email, "password": "long-enough-pw", "display_name": "Twin"})
    assert response.status_code == 409
    assert response.json["error"]["code"] == "email_taken"


def test_a_body_that_is_not_a_json_object(app, client):
    response = client.post("/api/v1/accounts", data="not json",
                           content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_token_with_bad_credentials(app, client, customer):
    for body in ({"email": customer.email, "password": "wrong-password"},
                 {"email": "ghost@example.com", "password": PASSWORD}, {}):
        response = client.post("/api/v1/tokens", json=body)
        assert response.status_code == 401
        assert response.json["error"]["code"] == "bad_credentials"


@pytest.mark.parametrize("header", ["Bearer not-a-token", "Bearer ", "Basic abc", ""])
def test_unknown_tokens_get_401(app, client, header):
    response = client.get("/api/v1/me", headers={"Authorization": header} if header else {})
    assert response.status_code == 401
    assert response.json == {"error": {"code": "unauthorized",
                                       "message": "Send a valid bearer token."}}


def test_api_404_and_405_are_json(app, client):
    missing = client.get("/api/v1/no-such-thing")
    assert missing.status_code == 404
    assert missing.json["error"]["code"] == "not_found"
    wrong_method = client.put("/api/v1/me")
    assert wrong_method.status_code == 405
    assert wrong_method.json["error"]["code"] == "method_not_allowed"


def test_a_browser_session_needs_the_csrf_header(app, login, customer):
    browser = login(customer)
    refused = browser.client.delete("/api/v1/tokens/current")
    assert refused.status_code == 400
    assert refused.json["error"]["code"] == "csrf_failed"
    assert browser.api("GET", "/api/v1/me").json["id"] == customer.id


def test_email_is_shown_to_the_user_only(app, client, customer, token_for):
    me = client.get("/api/v1/me", headers=token_for(customer)).json
    assert me["email"] == customer.email


def test_token_stops_working_when_the_user_is_deactivated(app, client, customer, token_for):
    from voice.accounts import service

    headers = token_for(customer)
    with app.app_context():
        service.set_active(customer.id, False)
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_a_deactivated_account_is_told_so_only_with_its_password(app, client, customer):
    from voice.accounts import service

    with app.app_context():
        service.set_active(customer.id, False)
    right = client.post("/api/v1/tokens", json={"email": customer.email, "password": PASSWORD})
    assert right.status_code == 401
    assert right.json["error"]["code"] == "bad_credentials"
    assert "disabled" in right.json["error"]["message"]
    wrong = client.post("/api/v1/tokens", json={"email": customer.email, "password": "nope-1"})
    assert wrong.status_code == 401 and "disabled" not in wrong.json["error"]["message"]


def test_account_creation_is_rate_limited(database_urls, backend):
    from tests.conftest import test_config
    from voice import create_app

    app = create_app(test_config(database_urls[backend], RATELIMIT_ENABLED=True))
    client = app.test_client()
    statuses = [
        client.post("/api/v1/tokens", json={"email": "x@example.com", "password": "x"}).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10
    assert statuses[10] == 429
    with app.app_context():
        db.engine.dispose()
