"""Fixtures: the app on every database, clients signed in as each role, a browser.

Every test that takes ``app`` (or a fixture built on it) runs once on SQLite and,
when ``VOICE_TEST_DATABASE_URL`` names a PostgreSQL server, once more on
PostgreSQL, in a database of its own that this file creates and drops. Under
``CI=true`` a missing PostgreSQL or Chromium is an error, never a skip.
"""

from __future__ import annotations

import os
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import event, text
from sqlalchemy.engine import make_url

from tests import factories
from tests.factories import PASSWORD  # also imported from here by many tests
from voice import create_app
from voice.extensions import db

CI = os.environ.get("CI", "").lower() == "true"
PG_URL = os.environ.get("VOICE_TEST_DATABASE_URL", "")
CHROMIUM = os.environ.get("VOICE_CHROMIUM", "/usr/bin/chromium")
BACKENDS = ["sqlite", "postgresql"] if PG_URL else ["sqlite"]


def pytest_configure(config: pytest.Config) -> None:
    if CI and not PG_URL:
        raise pytest.UsageError(
            "CI=true but VOICE_TEST_DATABASE_URL is not set: the PostgreSQL run would be skipped."
        )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Outside CI, tests whose real parts are missing here are skipped, with the reason.

    Under CI=true nothing is skipped: a missing part is an error.
    """
    missing = {}
    if not (shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)):
        missing["browser"] = (
            f"Chromium not found at {CHROMIUM}: install it with 'apt-get install -y chromium'."
        )
    if not PG_URL:
        missing["scaleout"] = "needs PostgreSQL: set VOICE_TEST_DATABASE_URL (and Redis)."
        missing["postgresql"] = "needs PostgreSQL: set VOICE_TEST_DATABASE_URL."
    if not missing:
        return
    if CI:
        raise pytest.UsageError(f"CI=true but a real part is missing: {missing}")
    for item in items:
        for marker, reason in missing.items():
            if marker in item.keywords:
                item.add_marker(pytest.mark.skip(reason=reason))


# --- databases -------------------------------------------------------------------------


@pytest.fixture(scope="session")
def database_urls(tmp_path_factory) -> Iterator[dict[str, str]]:
    """One database per backend for the whole run; the PostgreSQL one is dropped after."""
    urls = {"sqlite": f"sqlite:///{tmp_path_factory.mktemp('db') / 'voice.sqlite'}"}
    admin_url = None
    name = f"voice_test_{uuid.uuid4().hex[:12]}"
    if PG_URL:
        import psycopg

        admin_url = make_url(PG_URL).set(drivername="postgresql")
        with psycopg.connect(admin_url.render_as_string(hide_password=False),
                             autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        urls["postgresql"] = make_url(PG_URL).set(
            drivername="postgresql+psycopg", database=name
        ).render_as_string(hide_password=False)
    yield urls
    if admin_url is not None:
        import psycopg

        with psycopg.connect(admin_url.render_as_string(hide_password=False),
                             autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


_schemas_made: set[str] = set()


def test_config(url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "SQLALCHEMY_DATABASE_URI": url,
        "SECRET_KEY": "test-secret",
        "RATELIMIT_ENABLED": False,
        "RATELIMIT_STORAGE_URI": "memory://",
        "SERVER_NAME": None,
        "PAGE_CACHE_SECONDS": 0,  # on in tests/test_pagecache.py, which tests it
    }
    config.update(overrides)
    return config


test_config.__test__ = False  # a helper, not a test, wherever it is imported


def empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    if db.engine.dialect.name == "postgresql":
        names = ", ".join(f'"{table.name}"' for table in tables)
        db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    else:
        for table in tables:
            db.session.execute(table.delete())
    db.session.commit()


@pytest.fixture(params=BACKENDS)
def backend(request) -> str:
    return request.param


@pytest.fixture
def app_config() -> dict:
    """Overrides for this test's app; a test module may override this fixture."""
    return {}


@pytest.fixture(autouse=True)
def _push_request_context():
    """Replaces pytest-flask's fixture of this name, which pushes one request context
    for the whole test: every request would then share ``g`` and one database
    session, hiding the bugs that separate requests reveal."""
    yield


@pytest.fixture
def app(backend, database_urls, app_config):
    """The app on an empty schema of ``backend``; tables emptied after the test."""
    flask_app = create_app(test_config(database_urls[backend], **app_config))
    with flask_app.app_context():
        if backend not in _schemas_made:
            db.drop_all()
            db.create_all()
            _schemas_made.add(backend)
        empty_tables()
    factories.bind(flask_app)
    yield flask_app
    factories.bind(None)
    with flask_app.app_context():
        db.session.remove()
        empty_tables()
        db.session.remove()
        db.engine.dispose()


# --- people ----------------------------------------------------------------------------


@pytest.fixture
def make_user(app) -> Callable:
    """Create a user: ``make_user(role="staff", email=None, name=None)`` (tests.factories.user,
    in an app context of its own)."""
    def make(role: str = "customer", email: str | None = None, name: str | None = None):
        with app.app_context():
            return factories.user(role, email=email, name=name)

    return make


class Browser:
    """A test client signed in through the real login form, with CSRF on."""

    def __init__(self, app, user=None):
        self.client = app.test_client()
        self.user = user
        if user is not None:
            response = self.post("/login", data={"email": user.email, "password": PASSWORD})
            assert response.status_code == 302, response.get_data(as_text=True)

    def csrf_token(self, path: str = "/login") -> str:
        import re

        page = self.client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf-token" content="([^"]+)"', page)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def post(self, path: str, data: dict | None = None, **kwargs):
        data = dict(data or {})
        data.setdefault("csrf_token", self.csrf_token())
        return self.client.post(path, data=data, **kwargs)

    def api(self, method: str, path: str, **kwargs):
        headers = kwargs.pop("headers", {})
        headers.setdefault("X-CSRFToken", self.csrf_token())
        return self.client.open(path, method=method, headers=headers, **kwargs)


@pytest.fixture
def login(app) -> Callable[..., Browser]:
    """``login(user)`` returns a Browser signed in as that user (None: anonymous)."""
    def sign_in(user=None) -> Browser:
        return Browser(app, user)

    return sign_in


@pytest.fixture
def token_for(app) -> Callable[[object], dict]:
    """``token_for(user)`` gives the Authorization header of a fresh API token."""
    def issue(user) -> dict:
        with app.app_context():
            return {"Authorization": f"Bearer {factories.api_token(user)}"}

    return issue


@pytest.fixture
def customer(make_user):
    return make_user("customer")


@pytest.fixture
def staff(make_user):
    return make_user("staff")


@pytest.fixture
def admin(make_user):
    return make_user("admin")


@pytest.fixture
def billing(app) -> str:
    """The slug of a new area, Billing."""
    return factories.area("Billing").slug


# --- threads ---------------------------------------------------------------------------


def run_in_threads(app, work: Callable[[int], object], count: int) -> list:
    """Run ``work(i)`` for i in range(count) on real threads, all released at once.

    Each thread has its own app context (so its own session and connection).
    Returns each call's result or the exception it raised.
    """
    barrier = threading.Barrier(count)
    results: list = [None] * count

    def runner(index: int) -> None:
        with app.app_context():
            barrier.wait()
            try:
                results[index] = work(index)
            except Exception as error:  # noqa: BLE001 - returned for the test to inspect
                results[index] = error
            finally:
                db.session.remove()

    threads = [threading.Thread(target=runner, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return results


# --- a live server and a browser -------------------------------------------------------


@pytest.fixture
def live_server(app) -> Iterator[str]:
    """The app served by a threaded WSGI server on a free loopback port."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


CHROMIUM_ARGS = [
    "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


@pytest.fixture(scope="session")
def chromium():
    """Debian's Chromium driven by Playwright (no ``playwright install``)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium, live_server):
    """A fresh browser context (no cookies) whose relative URLs go to the live server."""
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    tab = context.new_page()
    dialogs: list[str] = []
    tab.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    tab.dialogs = dialogs
    yield tab
    context.close()


# --- counting SQL statements -----------------------------------------------------------

CONTROL_STATEMENTS = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")


@contextmanager
def counting_statements(app) -> Iterator[list[str]]:
    """Collect the SQL statements the block sends (transaction control left out)."""
    statements: list[str] = []

    def listener(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(CONTROL_STATEMENTS):
            statements.append(" ".join(statement.split()))

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", listener)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", listener)


def sign_in(page, user) -> None:
    """Sign ``user`` in through the login page of a Playwright ``page``."""
    page.goto("/login")
    page.get_by_label("Email").fill(user.email)
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("main").get_by_role("button", name="Sign in").click()
    assert "/login" not in page.url
