"""The anonymous page cache (voice/pagecache.py): who gets a stored page, and what is fresh."""

from __future__ import annotations

import re

import pytest

from tests import factories
from tests.conftest import PASSWORD, counting_statements
from voice.pagecache import TOKEN_PLACEHOLDER, PageCache

DESCRIPTION = "Described well enough."  # of every idea made here


@pytest.fixture
def app_config() -> dict:
    return {"PAGE_CACHE_SECONDS": 5}


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(app) -> FakeClock:
    fake = FakeClock()
    app.extensions["voice_page_cache"].clock = fake
    return fake


def meta_token(page: str) -> str:
    match = re.search(r'name="csrf-token" content="([^"]+)"', page)
    assert match, "no CSRF token on the page"
    return match.group(1)


# --- the store ------------------------------------------------------------------------------


def test_a_page_ages_out_after_its_seconds():
    clock = FakeClock()
    cache = PageCache(clock=clock)
    cache.put("/ideas", "<p>board</p>", None)
    clock.now += 4.9
    assert cache.get("/ideas", 5).body == "<p>board</p>"
    clock.now += 0.1
    assert cache.get("/ideas", 5) is None
    assert len(cache) == 0


def test_the_least_recently_used_page_goes_first():
    cache = PageCache(max_pages=2, clock=FakeClock())
    cache.put("/a", "a", None)
    cache.put("/b", "b", None)
    assert cache.get("/a", 5) is not None  # /a used: /b is now the oldest
    cache.put("/c", "c", None)
    assert cache.get("/b", 5) is None
    assert cache.get("/a", 5).body == "a" and cache.get("/c", 5).body == "c"


def test_the_token_is_stored_as_a_placeholder():
    cache = PageCache(clock=FakeClock())
    cache.put("/x", '<meta content="tok123"><input value="tok123">', "tok123")
    page = cache.get("/x", 5)
    assert "tok123" not in page.body
    assert page.body.count(TOKEN_PLACEHOLDER) == 2 and page.has_token


# --- through the app ------------------------------------------------------------------------


def test_anonymous_visitors_share_a_page_until_it_ages_out(app, make_user, clock):
    author = make_user()
    factories.idea(author, "Dark mode for the reports", DESCRIPTION)
    first = app.test_client().get("/ideas").get_data(as_text=True)
    assert "Dark mode for the reports" in first
    factories.idea(author, "Export to spreadsheets", DESCRIPTION)

    second = app.test_client().get("/ideas").get_data(as_text=True)
    assert "Export to spreadsheets" not in second  # the stored page, a moment old

    clock.now += 5
    third = app.test_client().get("/ideas").get_data(as_text=True)
    assert "Export to spreadsheets" in third


def test_a_stored_page_is_served_without_touching_the_database(app, make_user, clock):
    factories.idea(make_user(), "Dark mode for the reports", DESCRIPTION)
    client = app.test_client()
    assert client.get("/ideas?sort=trending").status_code == 200
    with counting_statements(app) as statements:
        answer = app.test_client().get("/ideas?sort=trending")
    assert answer.status_code == 200 and "Dark mode" in answer.get_data(as_text=True)
    assert statements == []


def test_each_address_is_its_own_page(app, make_user, clock):
    author = make_user()
    factories.idea(author, "Dark mode for the reports", DESCRIPTION)
    app.test_client().get("/ideas?sort=top")
    factories.idea(author, "Export to spreadsheets", DESCRIPTION)
    assert "Export to spreadsheets" in app.test_client().get("/ideas?sort=new").get_data(
        as_text=True)


def test_signed_in_users_always_see_a_fresh_page(app, make_user, login, clock):
    author = make_user()
    factories.idea(author, "Dark mode for the reports", DESCRIPTION)
    app.test_client().get("/ideas")  # stored for anonymous visitors
    factories.idea(author, "Export to spreadsheets", DESCRIPTION)
    browser = login(make_user())
    assert "Export to spreadsheets" in browser.get("/ideas").get_data(as_text=True)


def test_api_tokens_are_never_answered_from_the_cache(app, make_user, token_for, clock):
    author = make_user()
    factories.idea(author, "Dark mode for the reports", DESCRIPTION)
    app.test_client().get("/ideas")
    factories.idea(author, "Export to spreadsheets", DESCRIPTION)
    page = app.test_client().get("/ideas", headers=token_for(make_user()))
    assert "Export to spreadsheets" in page.get_data(as_text=True)


def test_each_visitor_gets_a_csrf_token_of_their_own_that_works(app, make_user, clock):
    user = make_user()
    factories.idea(user, "Dark mode for the reports", DESCRIPTION)
    first, second = app.test_client(), app.test_client()
    token_one = meta_token(first.get("/ideas").get_data(as_text=True))
    cached = second.get("/ideas").get_data(as_text=True)
    token_two = meta_token(cached)
    assert token_two != token_one
    assert TOKEN_PLACEHOLDER not in cached
    # The second visitor signs in with the token the stored page gave them.
    answer = second.post("/login", data={"email": user.email, "password": PASSWORD,
                                         "csrf_token": token_two})
    assert answer.status_code == 302
    # Another visitor's token is refused.
    third = app.test_client()
    third.get("/ideas")
    refused = third.post("/login", data={"email": user.email, "password": PASSWORD,
                                         "csrf_token": token_one})
    assert refused.status_code == 400


def test_a_visitor_with_a_message_waiting_sees_it(app, make_user, clock):
    factories.idea(make_user(), "Dark mode for the reports", DESCRIPTION)
    app.test_client().get("/ideas")  # stored
    visitor = app.test_client()
    with visitor.session_transaction() as session:
        session["_flashes"] = [("info", "You have signed out.")]
    page = visitor.get("/ideas").get_data(as_text=True)
    assert "You have signed out." in page
    assert "You have signed out." not in app.test_client().get("/ideas").get_data(as_text=True)


def test_a_stored_page_keeps_the_security_headers(app, make_user, clock):
    factories.idea(make_user(), "Dark mode for the reports", DESCRIPTION)
    app.test_client().get("/ideas")
    answer = app.test_client().get("/ideas")
    assert "default-src 'self'" in answer.headers["Content-Security-Policy"]
    assert answer.headers["X-Frame-Options"] == "DENY"


def test_only_found_pages_are_stored(app, make_user, clock):
    assert app.test_client().get("/ideas/999").status_code == 404
    assert len(app.extensions["voice_page_cache"]) == 0
    idea_id = factories.idea(make_user(), "Dark mode for the reports", DESCRIPTION)
    assert app.test_client().get(f"/ideas/{idea_id}").status_code == 200
    assert len(app.extensions["voice_page_cache"]) == 1


def test_the_cache_can_be_turned_off(app, make_user, clock):
    app.config["PAGE_CACHE_SECONDS"] = 0
    author = make_user()
    factories.idea(author, "Dark mode for the reports", DESCRIPTION)
    app.test_client().get("/ideas")
    factories.idea(author, "Export to spreadsheets", DESCRIPTION)
    assert "Export to spreadsheets" in app.test_client().get("/ideas").get_data(as_text=True)
