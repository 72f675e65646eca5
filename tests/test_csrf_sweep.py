"""CSRF, generated from the URL map.

Every state-changing page route (POST, PUT, PATCH, DELETE outside /api) refuses a
request without a valid CSRF token with 400 and writes nothing, even for an admin
who could otherwise do it. The API refuses a write carried by a session cookie
without ``X-CSRFToken``, and takes bearer-token writes without one.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.test_authorization import build_world, fast_hashing, fill  # noqa: F401
from voice.extensions import db

WRITES = {"POST", "PUT", "PATCH", "DELETE"}
# Deliberate exemptions, each with its reason. The sweep fails if another appears.
EXEMPT = {
    # RFC 8058 one-click unsubscribe: mail clients POST without a CSRF token; the signed
    # token in the address names the user and the category, so it cannot be forged.
    "loop.unsubscribe": "signed token in the URL",
}


@pytest.fixture
def world(app, make_user, token_for, fast_hashing):  # noqa: F811
    return build_world(app, make_user, token_for)


def snapshot(app) -> dict[str, list]:
    """Every row of every table, so "writes nothing" is checked, not assumed."""
    with app.app_context():
        tables = {}
        for table in db.metadata.sorted_tables:
            rows = db.session.execute(select(table)).all()
            tables[table.name] = sorted(repr(tuple(row)) for row in rows)
        db.session.remove()
        return tables


def write_routes(app, api: bool):
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if rule.rule.startswith("/api/") != api:
            continue
        for method in sorted(rule.methods & WRITES):
            yield rule, method


def test_every_page_form_refuses_a_post_without_a_token(app, world, login):
    browser = login(world.admin)
    other = login(world.customer)
    foreign_token = other.csrf_token("/")  # valid, but for another session
    before = snapshot(app)
    routes = list(write_routes(app, api=False))
    assert len(routes) >= 40
    for rule, method in routes:
        if rule.endpoint in EXEMPT:
            continue
        path = fill(rule, world)
        # a form with plausible fields but no token, and one with another session's token
        for data in ({"note": "x", "body": "x", "title": "Forged title", "active": "0"},
                     {"csrf_token": foreign_token, "title": "Forged title"},
                     {"csrf_token": "garbage", "title": "Forged title"}):
            answer = browser.client.open(path, method=method, data=data)
            assert answer.status_code == 400, (method, path, answer.status_code)
            assert "CSRF" in answer.get_data(as_text=True) or "expired" in \
                answer.get_data(as_text=True).lower(), path
        anonymous = login().client.open(path, method=method, data={"title": "Forged"})
        assert anonymous.status_code == 400, (method, path)
    assert snapshot(app) == before
    assert browser.get("/me").status_code == 200  # still signed in: nothing happened


def test_the_exempt_unsubscribe_link_needs_its_signed_token(app, world, login):
    exempt = {rule.endpoint for rule in app.url_map.iter_rules()
              if getattr(app.view_functions[rule.endpoint], "__module__", "")
              and f"{app.view_functions[rule.endpoint].__module__}."
                  f"{app.view_functions[rule.endpoint].__name__}" in _csrf_exempt_views()}
    assert exempt == set(EXEMPT)
    before = snapshot(app)
    token = world.ids["unsubscribe_token"]
    for forged in (token[:-2] + "xx", "eyJ1IjoxLCJjIjoiaWRlYV9zdGF0dXMifQ.forged", "x"):
        answer = login().client.post(f"/unsubscribe/{forged}")
        assert answer.status_code == 400, forged
    assert snapshot(app) == before


def _csrf_exempt_views() -> set[str]:
    from voice.extensions import csrf

    return set(csrf._exempt_views)


def test_api_cookie_writes_need_the_header(app, world, login):
    browser = login(world.admin)
    before = snapshot(app)
    routes = list(write_routes(app, api=True))
    assert len(routes) >= 20
    for rule, method in routes:
        path = fill(rule, world)
        answer = browser.client.open(path, method=method, json={"title": "Forged"})
        if rule.endpoint in ("api.create_account", "api.create_token"):
            continue  # log-in calls: see below
        assert answer.status_code == 400, (method, path, answer.status_code)
        assert answer.json["error"]["code"] == "csrf_failed", path
        wrong = browser.client.open(path, method=method, json={"title": "Forged"},
                                    headers={"X-CSRFToken": "forged"})
        assert wrong.status_code == 400, path
    assert snapshot(app) == before


def test_api_cookie_write_with_the_header_and_bearer_writes_without(app, world, login):
    browser = login(world.customer)
    idea = world.ids["other_idea_id"]
    with_header = browser.api("DELETE", f"/api/v1/ideas/{idea}/vote")
    assert with_header.status_code == 200 and with_header.json["voted"] is False
    bearer = app.test_client().post(f"/api/v1/ideas/{idea}/vote",
                                    headers={"Authorization": world.tokens["customer"]})
    assert bearer.status_code == 200 and bearer.json["voted"] is True
    # a bearer call does not need the header even when a session cookie rides along
    both = browser.client.delete(f"/api/v1/ideas/{idea}/vote",
                                 headers={"Authorization": world.tokens["customer"]})
    assert both.status_code == 200 and both.json["voted"] is False


def test_safe_methods_change_nothing(app, world, login):
    """GET and HEAD need no token, so they must not write: sweep every GET route."""
    browser = login(world.admin)
    before = snapshot(app)
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in ("loop.unsubscribe",
                                                          "accounts.reset_password"):
            continue
        path = fill(rule, world)
        if path.startswith("/api/"):
            answer = browser.client.get(path, headers={"Authorization": world.tokens["admin"]})
        else:
            answer = browser.get(path)
        assert answer.status_code < 500, path
    after = snapshot(app)
    changed = [name for name in before if before[name] != after[name]]
    assert changed == [] or set(changed) <= {"api_tokens"}, changed
