"""Registration, sign-in, profiles and role guards through the pages, with CSRF on."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from tests.conftest import PASSWORD
from voice.accounts.models import User
from voice.extensions import db


def count_users(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(User.id)))


def register(browser, **fields):
    data = {"email": "new@example.com", "display_name": "New Person",
            "password": "long-enough-pw", "confirm": "long-enough-pw"}
    data.update(fields)
    return browser.post("/register", data=data)


def test_register_signs_in_a_customer(app, login):
    browser = login()
    response = register(browser)
    assert response.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.email == "new@example.com"))
        assert user.role == "customer"
        assert user.password_hash.startswith("scrypt:")
    page = browser.get("/me").get_data(as_text=True)
    assert "New Person" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"email": "not-an-email"}, "valid email"),
        ({"password": "short", "confirm": "short"}, "8"),
        ({"confirm": "something-else"}, "The passwords differ."),
        ({"display_name": ""}, "This field is required."),
    ],
)
def test_register_refuses_bad_input_and_keeps_what_was_typed(app, login, fields, message):
    browser = login()
    response = register(browser, **fields)
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert message in page
    if fields.get("display_name") != "":
        assert 'value="New Person"' in page  # what the user typed is still there
    assert count_users(app) == 0


def test_register_with_a_taken_email_says_so(app, login, customer):
    response = register(login(), email=customer.email.upper())
    assert response.status_code == 400
    assert "already registered" in response.get_data(as_text=True)
    assert count_users(app) == 1


def test_a_post_without_the_csrf_token_is_refused(app, login):
    browser = login()
    response = browser.client.post("/register", data={
        "email": "x@example.com", "display_name": "X", "password": "long-enough-pw",
        "confirm": "long-enough-pw",
    })
    assert response.status_code == 400
    assert "expired" in response.get_data(as_text=True)
    assert count_users(app) == 0


def test_login_with_a_wrong_password_is_refused(app, login, customer):
    browser = login()
    response = browser.post("/login", data={"email": customer.email, "password": "wrong-one!"})
    assert response.status_code == 400
    assert "Wrong email or password." in response.get_data(as_text=True)
    assert browser.get("/me").status_code == 302


def test_unknown_email_and_wrong_password_read_the_same(app, login, customer):
    browser = login()
    wrong = browser.post("/login", data={"email": customer.email, "password": "nope-nope"})
    unknown = browser.post("/login", data={"email": "ghost@example.com", "password": "nope-nope"})
    assert wrong.status_code == unknown.status_code == 400
    assert "Wrong email or password." in unknown.get_data(as_text=True)


@pytest.mark.parametrize(
    ("next_url", "expected"),
    [
        ("/notifications", "/notifications"),
        ("https://evil.example/steal", "/"),
        ("//evil.example/", "/"),
        ("/\\evil.example", "/"),
        # issue 13: dot segments and tabs that browsers turn into another site
        ("/.//evil.example/", "/evil.example/"),
        ("/a/..//evil.example/x", "/evil.example/x"),
        ("/./\t/evil.example", "/"),
        ("/.\n//evil.example", "/"),
        ("///evil.example", "/evil.example"),
        ("/ideas/../../..//evil.example", "/evil.example"),
        ("javascript:alert(1)", "/"),
        ("http://localhost/ideas?sort=new", "/ideas?sort=new"),
        ("/ideas/9?stay=1#comments", "/ideas/9?stay=1"),
    ],
)
def test_login_redirects_only_within_the_site(app, login, customer, next_url, expected):
    browser = login()
    response = browser.post(
        "/login", data={"email": customer.email, "password": PASSWORD, "next": next_url}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_logout_ends_the_session(app, login, customer):
    browser = login(customer)
    assert browser.get("/me").status_code == 200
    assert browser.post("/logout").status_code == 302
    assert browser.get("/me").status_code == 302


def test_profile_changes_the_display_name(app, login, customer):
    browser = login(customer)
    response = browser.post("/me", data={"profile-display_name": "  Renamed   Person "})
    assert response.status_code == 302
    assert "Renamed Person" in browser.get("/me").get_data(as_text=True)


def test_password_change_ends_other_sessions(app, login, customer):
    here, elsewhere = login(customer), login(customer)
    response = here.post("/me", data={
        "password-current_password": PASSWORD,
        "password-new_password": "a-brand-new-pass",
        "password-confirm": "a-brand-new-pass",
    })
    assert response.status_code == 302
    assert here.get("/me").status_code == 200
    assert elsewhere.get("/me").status_code == 302  # the other session is over
    assert login().post("/login", data={
        "email": customer.email, "password": "a-brand-new-pass"}).status_code == 302


def test_password_change_needs_the_current_password(app, login, customer):
    response = login(customer).post("/me", data={
        "password-current_password": "not-my-password",
        "password-new_password": "a-brand-new-pass",
        "password-confirm": "a-brand-new-pass",
    })
    assert response.status_code == 400
    assert "current password is not right" in response.get_data(as_text=True)


def test_login_is_rate_limited(make_user, database_urls, backend):
    from tests.conftest import test_config
    from voice import create_app

    app = create_app(test_config(database_urls[backend], RATELIMIT_ENABLED=True))
    client = app.test_client()
    statuses = []
    for _ in range(12):
        page = client.get("/login").get_data(as_text=True)
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        statuses.append(client.post("/login", data={
            "email": "who@example.com", "password": "whatever-1", "csrf_token": token,
        }).status_code)
    assert statuses[:10] == [400] * 10
    assert statuses[10:] == [429, 429]
    with app.app_context():
        db.engine.dispose()


def test_a_deactivated_user_cannot_sign_in(app, login, customer):
    from voice.accounts import service

    with app.app_context():
        service.set_active(customer.id, False)
    response = login().post("/login", data={"email": customer.email, "password": PASSWORD})
    assert response.status_code == 400
    # issue 13: told that the account is disabled (only once the password is right)
    page = response.get_data(as_text=True)
    assert "This account is disabled" in page and "Wrong email or password" not in page
    wrong = login().post("/login", data={"email": customer.email, "password": "nope-nope"})
    assert wrong.status_code == 400
    assert "Wrong email or password." in wrong.get_data(as_text=True)
    assert "disabled" not in wrong.get_data(as_text=True)


def test_password_inputs_say_what_a_password_manager_should_fill(app, login, customer):
    """issue 13: password inputs carry ``autocomplete`` (current-password on sign-in and
    confirmations, new-password where one is chosen)."""
    anonymous, signed_in = login(), login(customer)
    pages = {"/login": anonymous, "/register": anonymous, "/me": signed_in,
             "/me/delete": signed_in,
             "/reset-password/" + _reset_token(app, customer): anonymous}
    for path, browser in pages.items():
        html = browser.get(path).get_data(as_text=True)
        inputs = re.findall(r"<input[^>]*type=\"password\"[^>]*>", html)
        assert inputs, path
        for tag in inputs:
            assert re.search(r'autocomplete="(current|new)-password"', tag), (path, tag)
    login_page = anonymous.get("/login").get_data(as_text=True)
    assert 'autocomplete="username"' in login_page
    assert 'autocomplete="current-password"' in login_page
    register_page = anonymous.get("/register").get_data(as_text=True)
    assert register_page.count('autocomplete="new-password"') == 2


def _reset_token(app, user) -> str:
    from voice.accounts import service

    with app.app_context():
        return service.password_reset_token(service.get_user(user.id))
