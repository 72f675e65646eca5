"""A customer's data: the JSON download, and closing the account.

Closing keeps ideas, comments, votes and answers under "A former customer", removes
the personal data, sells open positions back at the market's price, and leaves the
books balanced.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import PASSWORD
from tests.test_authorization import build_world, fast_hashing  # noqa: F401 - a fixture
from voice.admin import service as staff_side
from voice.admin.models import CaseNote, InboundMail
from voice.extensions import db


@pytest.fixture
def world(app, make_user, token_for, fast_hashing):  # noqa: F811
    return build_world(app, make_user, token_for)


def count(model, **where) -> int:
    stmt = select(func.count()).select_from(model)
    for name, value in where.items():
        stmt = stmt.where(getattr(model, name) == value)
    return db.session.scalar(stmt)


def test_download_holds_everything_about_the_customer(app, world, login):
    browser = login(world.customer)
    profile = browser.get("/me").get_data(as_text=True)
    assert 'href="/me/data.json"' in profile and 'href="/me/delete"' in profile
    answer = browser.get("/me/data.json")
    assert answer.status_code == 200
    assert answer.mimetype == "application/json"
    assert answer.headers["Content-Disposition"].startswith("attachment;")
    assert answer.headers["Cache-Control"] == "no-store"
    data = json.loads(answer.get_data(as_text=True))
    assert data["format"] == "voice-account-export/1"
    assert data["profile"]["email"] == world.customer.email
    assert data["profile"]["display_name"] == "Customer One"
    assert [i["id"] for i in data["ideas"]] == [world.ids["idea_id"]]
    assert data["ideas"][0]["title"] == "Export reports as CSV files"
    assert data["ideas"][0]["area"] == "reports"
    assert [c["body"] for c in data["comments"]] == ["Yes, weekly too."]
    assert [v["idea_id"] for v in data["votes"]] == [world.ids["other_idea_id"]]
    [response] = data["survey_responses"]
    assert response["id"] == world.ids["response_id"]
    assert [a["value"] for a in response["answers"]] == [3, "Free", "Faster exports"]
    [position] = data["positions"]
    assert position["market_id"] == world.ids["market_id"] and position["shares"] > 0
    [trade] = data["trades"]
    assert 9.99 <= trade["cost"] <= 10.0
    assert [e["kind"] for e in data["ledger"]] == ["grant", "trade"]
    assert data["ledger"][0]["amount"] == 1000.0
    assert sum(e["amount"] for e in data["ledger"]) == data["profile"]["balance"]
    subjects = [n["subject"] for n in data["notifications"]]
    assert "We answered you" in subjects
    # the other customer's download holds none of it
    theirs = login(world.other).get("/me/data.json").get_data(as_text=True)
    assert world.customer.email not in theirs and "Faster exports" not in theirs


def test_download_through_the_api_and_not_anonymously(app, world, login):
    client = app.test_client()
    mine = client.get("/api/v1/me/data", headers={"Authorization": world.tokens["customer"]})
    assert mine.status_code == 200 and mine.json["profile"]["id"] == world.customer.id
    assert client.get("/api/v1/me/data").status_code == 401
    page = login().get("/me/data.json")
    assert page.status_code == 302 and "/login?next=" in page.headers["Location"]


def test_wrong_password_deletes_nothing(app, world, login):
    browser = login(world.customer)
    assert browser.get("/me/delete").status_code == 200
    refused = browser.post("/me/delete", data={"password": "not-my-password"})
    assert refused.status_code == 400
    assert "That password is not right." in refused.get_data(as_text=True)
    api = app.test_client().delete("/api/v1/me", json={"password": "nope-nope"},
                                   headers={"Authorization": world.tokens["customer"]})
    assert api.status_code == 400 and api.json["error"]["code"] == "wrong_password"
    from voice.accounts.models import User

    with app.app_context():
        user = db.session.get(User, world.customer.id)
        assert user.active and user.email == world.customer.email
    assert browser.get("/me").status_code == 200


def test_staff_close_no_account_of_their_own(app, world, login):
    page = login(world.staff).post("/me/delete", data={"password": PASSWORD})
    assert page.status_code == 400
    api = app.test_client().delete("/api/v1/me", json={"password": PASSWORD},
                                   headers={"Authorization": world.tokens["staff"]})
    assert api.status_code == 403
    from voice.accounts.models import User

    with app.app_context():
        assert db.session.get(User, world.staff.id).active


def test_deleting_keeps_words_removes_person_and_settles_positions(app, world, login):
    from voice.accounts.models import ApiToken, User
    from voice.ideas.models import Comment, IdeaSubscription, Vote
    from voice.loop.models import MailPreference, Notification, OutboxMail
    from voice.markets.models import LedgerEntry, Outcome, Position, Trade
    from voice.markets.service import audit_books
    from voice.surveys.models import Response

    uid = world.customer.id
    client = app.test_client()
    mail = client.put("/api/v1/me/mail-preferences", json={"idea_status": False},
                      headers={"Authorization": world.tokens["customer"]})
    assert mail.status_code == 200
    elsewhere = login(world.customer)
    with app.app_context():
        assert count(Notification, user_id=uid) >= 1
        assert count(OutboxMail, user_id=uid) >= 1
        assert count(MailPreference, user_id=uid) == 1
        assert count(IdeaSubscription, user_id=uid) >= 1
        bought = db.session.scalar(select(Position).where(Position.user_id == uid))
        held, paid = bought.shares, bought.cost_basis
        balance_before = db.session.get(User, uid).balance
        votes_before = count(Vote)
    idea_before = client.get(f"/api/v1/ideas/{world.ids['idea_id']}").json

    browser = login(world.customer)
    answer = browser.post("/me/delete", data={"password": PASSWORD})
    assert answer.status_code == 302 and answer.headers["Location"] == "/"
    assert browser.get("/me").status_code == 302  # signed out here
    assert elsewhere.get("/me").status_code == 302  # and everywhere else
    assert client.get("/api/v1/me",
                      headers={"Authorization": world.tokens["customer"]}).status_code == 401
    relogin = login().post("/login", data={"email": world.customer.email,
                                           "password": PASSWORD})
    assert relogin.status_code == 400

    # the words stay, under a former customer
    idea = client.get(f"/api/v1/ideas/{world.ids['idea_id']}").json
    assert idea["author"]["display_name"] == "A former customer"
    assert idea["title"] == idea_before["title"] and idea["vote_count"] == \
        idea_before["vote_count"]
    comments = client.get(f"/api/v1/ideas/{world.ids['idea_id']}/comments").json["items"]
    mine = [c for c in comments if c["id"] == world.ids["comment_id"]]
    assert mine[0]["body"] == "Yes, weekly too."
    assert mine[0]["author"]["display_name"] == "A former customer"
    page = login().get(f"/ideas/{world.ids['idea_id']}").get_data(as_text=True)
    assert "A former customer" in page and "Customer One" not in page

    with app.app_context():
        user = db.session.get(User, uid)
        assert user.display_name == "A former customer" and not user.active
        assert user.email.endswith("@voice.invalid") and world.customer.email not in user.email
        assert count(User, email=world.customer.email) == 0
        # personal data is gone
        for model in (ApiToken, Notification, MailPreference, OutboxMail, IdeaSubscription):
            assert count(model, user_id=uid) == 0, model.__name__
        # votes, comments and survey answers stay
        assert count(Vote) == votes_before and count(Vote, user_id=uid) == 1
        assert count(Comment, author_id=uid) == 1
        assert count(Response, user_id=uid) == 1
        # the position was sold to the market maker at the market's price
        position = db.session.scalar(select(Position).where(Position.user_id == uid))
        assert position.shares == 0 and position.cost_basis == 0
        sale = db.session.scalar(select(Trade).where(Trade.user_id == uid)
                                 .order_by(Trade.id.desc()))
        assert sale.shares == -held
        proceeds = -sale.cost
        # nobody else traded: selling returns what buying cost, rounded down once and up
        # once (at most 0.01 each way), never more than was paid
        assert paid - 2 <= proceeds <= paid
        assert position.realised == proceeds - paid
        assert user.balance == balance_before + proceeds
        rows = db.session.scalars(select(LedgerEntry).where(LedgerEntry.trade_id == sale.id))
        assert sorted(r.amount for r in rows) == sorted([proceeds, -proceeds])
        outcome = db.session.get(Outcome, world.ids["outcome_id"])
        assert outcome.shares == 0  # q back where it started: the only trader sold out
        books = audit_books()
        assert books.balanced, books
    # the deleted account leaves the leaderboard
    board = client.get("/api/v1/leaderboard").json["items"]
    assert uid not in [row["user"]["id"] for row in board]


def test_deleting_through_the_api(app, world):
    client = app.test_client()
    headers = {"Authorization": world.tokens["customer"]}
    assert client.delete("/api/v1/me", json={"password": PASSWORD}, headers=headers
                         ).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    from voice.markets.service import audit_books

    with app.app_context():
        assert audit_books().balanced


def test_settling_a_position_in_a_closed_or_resolved_market(app, world, login):
    """A resolved market pays no more and holds no shares: nothing to sell there; an
    open market with several holders: only the leaver's shares are sold."""
    client = app.test_client()
    market_id, outcome_id = world.ids["market_id"], world.ids["outcome_id"]
    other = {"Authorization": world.tokens["other"]}
    assert client.post(f"/api/v1/markets/{market_id}/trades",
                       json={"outcome_id": outcome_id, "spend": 25}, headers=other
                       ).status_code == 201
    second = client.post("/api/v1/markets", json={
        "question": "Will dark mode ship this year?", "outcomes": ["Yes", "No"],
        "liquidity": 50}, headers={"Authorization": world.tokens["staff"]}).json
    client.post(f"/api/v1/markets/{second['id']}/trades",
                json={"outcome_id": second["outcomes"][1]["id"], "shares": 3},
                headers={"Authorization": world.tokens["customer"]})
    resolved = client.post(f"/api/v1/markets/{second['id']}/resolve",
                           json={"outcome_id": second["outcomes"][1]["id"]},
                           headers={"Authorization": world.tokens["staff"]})
    assert resolved.status_code == 200
    from voice.markets.models import Position, Trade

    with app.app_context():
        other_shares = db.session.scalar(select(Position.shares).where(
            Position.user_id == world.other.id))
        trades_before = count(Trade)
    assert login(world.customer).post("/me/delete", data={"password": PASSWORD}
                                      ).status_code == 302
    from voice.markets.service import audit_books

    with app.app_context():
        assert count(Trade) == trades_before + 1  # one sale: the open market only
        assert db.session.scalar(select(Position.shares).where(
            Position.user_id == world.other.id)) == other_shares
        settled = db.session.scalar(select(Position).where(
            Position.user_id == world.customer.id, Position.market_id == second["id"]))
        assert settled.shares == 0 and settled.settled_shares == 3_000_000
        assert audit_books().balanced


def test_what_a_customer_wrote_to_staff_is_downloaded_and_their_mail_address_erased(
        app, login, make_user, staff):
    """The download holds the customer's messages on their cases and the mails they sent
    the reply mailbox, never staff's internal notes or another's mail; closing the account
    keeps the messages (the staff's record) but blanks the address and words of the mails
    from it."""
    customer = make_user("customer", email="ann@example.com", name="Ann")
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "How can we help?")
    with app.app_context():
        staff_side.post_customer_message(customer, case_id, "The export is empty.")
        staff_side.add_note(staff, case_id, "Internal: probably the PDF bug.")
    own = factories.inbound_mail("Ann <ANN@example.com>", body="Still broken, any news?")
    other = factories.inbound_mail("bob@example.com", body="Not Ann's.")

    data = login(customer).get("/me/data.json").get_json()
    assert [m["body"] for m in data["case_messages"]] == ["The export is empty."]
    assert [m["id"] for m in data["inbound_mails"]] == [own]
    assert "Internal: probably the PDF bug." not in json.dumps(data)

    login(customer).post("/me/delete", data={"password": PASSWORD})
    with app.app_context():
        erased, kept = db.session.get(InboundMail, own), db.session.get(InboundMail, other)
        assert (erased.from_address, erased.body) == ("", "")
        assert kept.from_address == "bob@example.com" and kept.body.startswith("Not Ann")
        assert count(CaseNote, kind="customer") == 1  # the record stays
