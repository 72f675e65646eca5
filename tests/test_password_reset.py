"""Password reset by mail: one answer for every address, a signed link that
expires and works once, and a new password that ends every other session."""

from __future__ import annotations

import re
import time

import pytest
from itsdangerous.timed import TimestampSigner
from sqlalchemy import func, select

from tests.conftest import PASSWORD, run_in_threads
from voice.accounts.models import User
from voice.extensions import db
from voice.mail import OutboxMail

NEW_PASSWORD = "a-brand-new-password"
BASE_URL = "https://voice.example.org"


@pytest.fixture
def app_config():
    return {"BASE_URL": BASE_URL}


def reset_mails(app) -> list[OutboxMail]:
    with app.app_context():
        rows = list(db.session.scalars(
            select(OutboxMail).where(OutboxMail.kind == "password_reset").order_by(OutboxMail.id)
        ))
        db.session.expunge_all()
        return rows


def reset_path(mail: OutboxMail) -> str:
    match = re.search(re.escape(BASE_URL) + r"(/reset-password/[\w.-]+)", mail.body_text)
    assert match, mail.body_text
    assert match.group(1) in mail.body_html
    return match.group(1)


def ask(app, browser, email: str):
    return browser.post("/reset-password", data={"email": email})


def password_hash(app, user) -> str:
    with app.app_context():
        return db.session.get(User, user.id).password_hash


def test_the_login_page_links_to_the_reset_form(app, login):
    page = login().get("/login").get_data(as_text=True)
    assert 'href="/reset-password"' in page and "Forgot your password?" in page
    assert login().get("/reset-password").status_code == 200


def test_reset_by_mail_end_to_end(app, login, customer, token_for):
    other_session = login(customer)
    api = token_for(customer)
    assert other_session.get("/me").status_code == 200
    assert app.test_client().get("/api/v1/me", headers=api).status_code == 200

    anonymous = login()
    answer = ask(app, anonymous, customer.email.upper())
    assert answer.status_code == 200
    assert "a link to choose a new password is on its way" in answer.get_data(as_text=True)
    [mail] = reset_mails(app)
    assert mail.to_address == customer.email and mail.status == "pending"
    assert mail.unsubscribe_url == ""  # account mail cannot be turned off
    path = reset_path(mail)

    form = anonymous.get(path)
    assert form.status_code == 200
    assert customer.email in form.get_data(as_text=True)
    assert form.headers["Referrer-Policy"] == "no-referrer"

    done = anonymous.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert done.status_code == 302 and done.headers["Location"] == "/login"

    # The new password works, the old one does not.
    assert login().post("/login", data={"email": customer.email,
                                        "password": PASSWORD}).status_code == 400
    assert login().post("/login", data={"email": customer.email,
                                        "password": NEW_PASSWORD}).status_code == 302
    # Every other session and every API token ended.
    assert other_session.get("/me").status_code == 302
    assert app.test_client().get("/api/v1/me", headers=api).status_code == 401

    # The link works once: replayed, it is refused and changes nothing.
    changed = password_hash(app, customer)
    again = anonymous.get(path)
    assert again.status_code == 400
    assert "not valid or was already used" in again.get_data(as_text=True)
    replay = anonymous.post(path, data={"password": "yet-another-one", "confirm":
                                        "yet-another-one"})
    assert replay.status_code == 400
    assert password_hash(app, customer) == changed


def test_the_answer_is_the_same_whether_the_address_has_an_account(app, login, make_user):
    from voice.accounts import service as accounts

    known, inactive = make_user(), make_user()
    with app.app_context():
        accounts.set_active(inactive.id, False)
    browser = login()
    pages = {}
    for email in (known.email, "nobody@example.com", inactive.email):
        response = ask(app, browser, email)
        assert response.status_code == 200
        body = response.get_data(as_text=True).replace(email, "EMAIL")
        pages[email] = re.sub(r'name="csrf-token" content="[^"]+"', "", body)
    assert pages[known.email] == pages["nobody@example.com"] == pages[inactive.email]
    assert [mail.to_address for mail in reset_mails(app)] == [known.email]


def test_a_malformed_address_is_a_form_error(app, login):
    response = ask(app, login(), "not-an-address")
    assert response.status_code == 400
    assert "valid email" in response.get_data(as_text=True)
    assert reset_mails(app) == []


def signed_ago(monkeypatch, seconds: int) -> None:
    """Tokens signed from now on carry a timestamp ``seconds`` in the past."""
    monkeypatch.setattr(TimestampSigner, "get_timestamp",
                        lambda self: int(time.time()) - seconds)


def test_an_expired_link_is_refused_and_changes_nothing(app, login, customer, monkeypatch):
    signed_ago(monkeypatch, 3601)  # an hour and a second ago
    ask(app, login(), customer.email)
    monkeypatch.undo()
    path = reset_path(reset_mails(app)[0])
    before = password_hash(app, customer)
    browser = login()
    page = browser.get(path)
    assert page.status_code == 400
    assert "has expired" in page.get_data(as_text=True)
    post = browser.post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert post.status_code == 400
    assert password_hash(app, customer) == before


def test_a_link_just_inside_the_hour_still_works(app, login, customer, monkeypatch):
    signed_ago(monkeypatch, 3540)  # 59 minutes ago
    ask(app, login(), customer.email)
    monkeypatch.undo()
    path = reset_path(reset_mails(app)[0])
    response = login().post(path, data={"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 302


def test_a_tampered_link_is_refused(app, login, customer):
    ask(app, login(), customer.email)
    path = reset_path(reset_mails(app)[0])
    head, signature = path.rsplit(".", 1)
    # The first character of the signature carries six bits of it (the last one may
    # carry only padding, which decodes to the same signature).
    flipped = f"{head}.{'B' if signature[0] == 'A' else 'A'}{signature[1:]}"
    for bad in (flipped, "/reset-password/garbage"):
        response = login().get(bad)
        assert response.status_code == 400
        assert "not valid" in response.get_data(as_text=True)


def test_a_newer_password_kills_an_older_link(app, login, customer):
    from voice.accounts import service as accounts

    ask(app, login(), customer.email)
    path = reset_path(reset_mails(app)[0])
    with app.app_context():
        accounts.set_password(customer.id, "changed-elsewhere")
    assert login().get(path).status_code == 400


def test_a_short_new_password_keeps_the_link_usable(app, login, customer):
    ask(app, login(), customer.email)
    path = reset_path(reset_mails(app)[0])
    browser = login()
    response = browser.post(path, data={"password": "short", "confirm": "short"})
    assert response.status_code == 400
    assert "8" in response.get_data(as_text=True)
    assert browser.post(path, data={"password": NEW_PASSWORD,
                                    "confirm": NEW_PASSWORD}).status_code == 302


def test_two_uses_of_one_link_at_the_same_time_succeed_once(app, login, customer):
    from voice.accounts import service as accounts
    from voice.errors import Invalid

    ask(app, login(), customer.email)
    token = reset_path(reset_mails(app)[0]).rsplit("/", 1)[1]

    def use(index: int):
        return accounts.reset_password(token, f"password-number-{index}")

    results = run_in_threads(app, use, 4)
    winners = [r for r in results if isinstance(r, User)]
    losers = [r for r in results if isinstance(r, Invalid)]
    assert len(winners) == 1 and len(losers) == 3, results
    with app.app_context():
        user = db.session.get(User, customer.id)
        assert user.session_version == customer.session_version + 1
    index = results.index(winners[0])
    assert login().post("/login", data={"email": customer.email,
                                        "password": f"password-number-{index}"}).status_code == 302


def test_reset_requests_are_rate_limited_per_address(make_user, database_urls, backend):
    from tests.conftest import test_config
    from voice import create_app

    limited = create_app(test_config(database_urls[backend], RATELIMIT_ENABLED=True))
    client = limited.test_client()

    def post(email):
        page = client.get("/reset-password").get_data(as_text=True)
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        return client.post("/reset-password", data={"email": email, "csrf_token": token})

    same = [post("who@example.com").status_code for _ in range(4)]
    assert same == [200, 200, 200, 429]  # 3 per hour for one email address
    other = post("else@example.com")
    assert other.status_code == 200
    limited_page = post("who@example.com").get_data(as_text=True)
    assert "Too many requests" in limited_page
    with limited.app_context():
        assert db.session.scalar(select(func.count(OutboxMail.id))) == 0
        db.engine.dispose()


# The same inbox written five ways (issue 13: each had its own counter, 9 mails got through).
VICTIM = "victim@exämple.com"
VICTIM_VARIANTS = ["victim@exämple.com", "victim@xn--exmple-cua.com",
                   "victim@exa\u0308mple.com", "VICTIM@EXÄMPLE.COM", " Victim@ExÄmple.Com "]


def test_unicode_variants_of_an_address_share_one_reset_limit(make_user, database_urls,
                                                              backend):
    from tests.conftest import test_config
    from voice import create_app
    from voice.accounts import service

    limited = create_app(test_config(database_urls[backend], RATELIMIT_ENABLED=True))
    with limited.app_context():
        service.create_user(VICTIM, PASSWORD, "Victim")
    client = limited.test_client()
    token = client.get("/reset-password").get_data(as_text=True).split(
        'name="csrf-token" content="', 1)[1].split('"', 1)[0]
    statuses = [client.post("/reset-password", data={"email": email, "csrf_token": token},
                            environ_base={"REMOTE_ADDR": f"10.0.5.{n}"}).status_code
                for n, email in enumerate(VICTIM_VARIANTS * 2)]
    assert statuses == [200, 200, 200] + [429] * 7
    with limited.app_context():
        assert db.session.scalar(select(func.count(OutboxMail.id))) == 3
        db.engine.dispose()


@pytest.mark.parametrize("variant", VICTIM_VARIANTS)
def test_every_variant_of_an_address_is_stored_and_found_as_one(app, variant):
    from voice.accounts import service

    with app.app_context():
        assert service.normalise_email(variant) == "victim@exämple.com"
        user = service.create_user(variant, PASSWORD, "Victim")
        assert user.email == "victim@exämple.com"
        assert service.authenticate(VICTIM_VARIANTS[1], PASSWORD).id == user.id
