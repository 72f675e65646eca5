"""Sessions the server can end (issue 13): a cookie saved before signing out is dead.

Each sign-in is a row of ``login_sessions``; the session cookie names it (``<user id>:<key>``,
of which only the key's SHA-256 is stored). Signing out deletes the row, a new password or
a deactivation deletes every row of the user, so a replayed cookie reads nothing and posts
nothing.
"""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import func, select

from tests.conftest import PASSWORD
from voice.accounts.models import LoginSession
from voice.extensions import db
from voice.ideas.models import Idea


def saved_cookie(browser) -> str:
    cookie = browser.client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def replay(app, cookie: str):
    """A new client that sends only the saved session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def csrf_of(client, path: str = "/login") -> str:
    page = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match
    return match.group(1)


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model)) or 0


def idea_count(app) -> int:
    return count(app, Idea)


def sessions_of(app, user) -> list[LoginSession]:
    with app.app_context():
        return list(db.session.scalars(
            select(LoginSession).where(LoginSession.user_id == user.id)))


def test_a_cookie_replayed_after_logout_reads_and_posts_nothing(app, login, customer):
    browser = login(customer)
    cookie = saved_cookie(browser)
    assert replay(app, cookie).get("/me").status_code == 200  # the saved cookie works now
    assert browser.post("/logout").status_code == 302

    thief = replay(app, cookie)
    assert thief.get("/me").status_code == 302
    assert thief.get("/me").headers["Location"].startswith("/login")
    token = csrf_of(thief)
    before = idea_count(app)
    page_post = thief.post("/ideas/new", data={
        "csrf_token": token, "title": "Posted with a stolen cookie", "description": "x"})
    assert page_post.status_code == 302 and "/login" in page_post.headers["Location"]
    api_post = thief.post("/api/v1/ideas", json={"title": "Posted with a stolen cookie",
                                                 "description": "x"},
                          headers={"X-CSRFToken": token})
    assert api_post.status_code == 401
    assert thief.get("/api/v1/me", headers={"X-CSRFToken": token}).status_code == 401
    assert idea_count(app) == before


def test_logout_ends_only_that_session(app, login, customer):
    here, elsewhere = login(customer), login(customer)
    assert len(sessions_of(app, customer)) == 2
    here.post("/logout")
    assert here.get("/me").status_code == 302
    assert elsewhere.get("/me").status_code == 200
    assert len(sessions_of(app, customer)) == 1


def test_only_a_digest_of_the_key_is_stored(app, login, customer):
    browser = login(customer)
    with browser.client.session_transaction() as session:
        user_id, _, key = session["_user_id"].partition(":")
    assert user_id == str(customer.id) and len(key) >= 40
    (row,) = sessions_of(app, customer)
    assert key not in row.key_hash and len(row.key_hash) == 64


def test_a_new_password_ends_every_saved_cookie_but_the_one_that_set_it(app, login, customer):
    here, elsewhere = login(customer), login(customer)
    old_cookie = saved_cookie(here)
    response = here.post("/me", data={
        "password-current_password": PASSWORD,
        "password-new_password": "a-brand-new-pass",
        "password-confirm": "a-brand-new-pass",
    })
    assert response.status_code == 302
    assert here.get("/me").status_code == 200  # a new session for this browser
    assert elsewhere.get("/me").status_code == 302
    assert replay(app, old_cookie).get("/me").status_code == 302
    assert len(sessions_of(app, customer)) == 1


def test_deactivation_deletes_every_session(app, login, customer):
    from voice.accounts import service

    browser = login(customer)
    cookie = saved_cookie(browser)
    with app.app_context():
        service.set_active(customer.id, False)
    assert sessions_of(app, customer) == []
    assert replay(app, cookie).get("/me").status_code == 302


def test_closing_the_account_deletes_its_sessions(app, login, customer):
    browser = login(customer)
    cookie = saved_cookie(browser)
    response = browser.post("/me/delete", data={"password": PASSWORD})
    assert response.status_code == 302
    assert sessions_of(app, customer) == []
    assert replay(app, cookie).get("/me").status_code == 302


def test_a_session_past_its_lifetime_is_over(app, login, customer, monkeypatch):
    browser = login(customer)
    cookie = saved_cookie(browser)
    lifetime = app.config["LOGIN_SESSION_LIFETIME"]
    with app.app_context():
        row = db.session.scalar(select(LoginSession).where(LoginSession.user_id == customer.id))
        row.created_at -= lifetime + timedelta(minutes=1)
        db.session.commit()
    assert replay(app, cookie).get("/me").status_code == 302
    login(customer)  # signing in again sweeps the user's old rows
    assert len(sessions_of(app, customer)) == 1


def test_a_cookie_of_the_old_shape_names_no_session(app, login, customer):
    """``<id>:<session_version>`` (before issue 13) is not a session key."""
    thief = app.test_client()
    with thief.session_transaction() as session:
        session["_user_id"] = f"{customer.id}:1"
        session["_fresh"] = True
    assert thief.get("/me").status_code == 302
