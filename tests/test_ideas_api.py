"""The ideas calls of the JSON API: shapes, codes and errors of the contract."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories
from voice.extensions import db
from voice.ideas import ranking, service
from voice.ideas.models import Idea

IDEA_KEYS = {"id", "title", "description", "area", "status", "author", "vote_count",
             "comment_count", "voted", "created_at", "merged_into", "market_id"}


@pytest.fixture
def api(app, token_for):
    client = app.test_client()

    def call(method, path, user=None, **kwargs):
        headers = token_for(user) if user is not None else {}
        return client.open(path, method=method, headers=headers, **kwargs)

    return call


def test_create_and_read_an_idea(app, api, customer, billing):
    response = api("POST", "/api/v1/ideas", customer, json={
        "title": "  Export invoices  to PDF ", "description": "Monthly", "area": billing})
    assert response.status_code == 201
    idea = response.json
    assert set(idea) >= IDEA_KEYS
    assert idea["title"] == "Export invoices to PDF" and idea["area"] == "billing"
    assert idea["author"] == {"id": customer.id, "display_name": customer.display_name}
    assert (idea["status"], idea["vote_count"], idea["voted"], idea["merged_into"],
            idea["market_id"]) == ("open", 0, False, None, None)
    assert idea["created_at"].endswith("Z")
    assert api("GET", f"/api/v1/ideas/{idea['id']}").json["title"] == "Export invoices to PDF"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"title": "abc"}, 400, "invalid_title"),
        ({"title": 42}, 400, "invalid_title"),
        ({}, 400, "invalid_title"),
        ({"title": "Long enough", "area": "nowhere"}, 400, "unknown_area"),
        ({"title": "Long enough", "description": "x" * 10_001}, 400, "invalid_description"),
    ],
)
def test_create_refusals(app, api, customer, body, status, code):
    response = api("POST", "/api/v1/ideas", customer, json=body)
    assert response.status_code == status
    assert response.json["error"]["code"] == code
    with app.app_context():
        assert db.session.scalar(select(func.count(Idea.id))) == 0


def test_create_needs_a_token_and_a_json_body(app, api, customer):
    assert api("POST", "/api/v1/ideas", json={"title": "Long enough"}).status_code == 401
    response = api("POST", "/api/v1/ideas", customer, data="nope")
    assert response.status_code == 400 and response.json["error"]["code"] == "invalid_json"


def test_list_sorts_filters_and_pages(app, api, customer, make_user):
    other = make_user()
    first = factories.idea(customer, "Export invoices to PDF")
    second = factories.idea(other, "Dark mode in the mobile app")
    with app.app_context():
        service.cast_vote(other, first)
    listing = api("GET", "/api/v1/ideas?sort=top&per_page=1", customer).json
    assert (listing["total"], listing["page"], listing["per_page"]) == (2, 1, 1)
    assert [i["id"] for i in listing["items"]] == [first]
    assert api("GET", "/api/v1/ideas?sort=new").json["items"][0]["id"] == second
    found = api("GET", "/api/v1/ideas?q=dark+mod").json
    assert [i["id"] for i in found["items"]] == [second]
    assert api("GET", "/api/v1/ideas?mine=1", customer).json["total"] == 1
    voted = api("GET", "/api/v1/ideas?voted=true", other).json["items"]
    assert [(i["id"], i["voted"]) for i in voted] == [(first, True)]
    for query, code in (("sort=best", "invalid_sort"), ("status=nope", "unknown_status"),
                        ("area=nope", "unknown_area"), ("per_page=101", "invalid_paging")):
        response = api("GET", f"/api/v1/ideas?{query}")
        assert response.status_code == 400 and response.json["error"]["code"] == code


def test_similar_finds_a_reworded_duplicate(app, api, customer):
    target = factories.idea(customer, "Export invoices as PDF files")
    factories.idea(customer, "Dark mode in the mobile app")
    answer = api("GET", "/api/v1/ideas/similar?q=download+my+invoice+in+pdf").json
    assert answer["items"][0]["id"] == target
    assert api("GET", "/api/v1/ideas/similar?q=the").json == {"items": []}
    assert api("GET", "/api/v1/ideas/similar?q=x&limit=99").status_code == 400


def test_vote_and_unvote_are_idempotent(app, api, customer, make_user):
    idea_id = factories.idea(make_user())
    path = f"/api/v1/ideas/{idea_id}/vote"
    assert api("POST", path, customer).json == {"vote_count": 1, "voted": True}
    assert api("POST", path, customer).json == {"vote_count": 1, "voted": True}
    assert api("GET", f"/api/v1/ideas/{idea_id}", customer).json["voted"] is True
    assert api("DELETE", path, customer).json == {"vote_count": 0, "voted": False}
    assert api("DELETE", path, customer).json == {"vote_count": 0, "voted": False}
    assert api("POST", path).status_code == 401
    missing = api("POST", "/api/v1/ideas/999/vote", customer)
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_a_vote_reads_the_caller_once_and_checks_for_its_vote_by_inserting(
        app, api, customer, make_user, token_for):
    """The token's user is read once (not again after the read transaction ends); the
    vote and the subscription are each one INSERT .. ON CONFLICT DO NOTHING, and the new
    count and trending score one UPDATE."""
    from tests.conftest import counting_statements

    idea_id = factories.idea(make_user())
    path = f"/api/v1/ideas/{idea_id}/vote"
    api("POST", path, make_user())  # the first vote ever: routing sets up its defaults
    client, headers = app.test_client(), token_for(customer)
    for method in ("POST", "DELETE", "POST"):
        with counting_statements(app) as statements:
            assert client.open(path, method=method, headers=headers).status_code == 200
        users = [s for s in statements if "FROM users" in s]
        assert len(users) == 1, statements
        assert not [s for s in statements if s.startswith("SELECT idea_votes")], statements
        assert not [s for s in statements if s.startswith("SELECT idea_subscriptions")]
        assert len([s for s in statements if s.startswith("UPDATE ideas")]) == 1, statements
    with app.app_context():
        idea = db.session.get(Idea, idea_id)
        assert idea.vote_count == 2
        assert idea.hot_score == ranking.hot_score(2, 0, idea.created_at)


def test_vote_on_a_closed_idea_is_409(app, api, customer, staff, make_user):
    idea_id = factories.idea(make_user())
    with app.app_context():
        service.change_status(staff, idea_id, "declined", "Not for us.")
    response = api("POST", f"/api/v1/ideas/{idea_id}/vote", customer)
    assert response.status_code == 409 and response.json["error"]["code"] == "voting_closed"


def test_comments_and_internal_notes(app, api, customer, staff):
    idea_id = factories.idea(customer)
    path = f"/api/v1/ideas/{idea_id}/comments"
    posted = api("POST", path, customer, json={"body": "Yes **please**"})
    assert posted.status_code == 201
    assert posted.json["body"] == "Yes **please**" and posted.json["official"] is False
    assert posted.json["author"]["id"] == customer.id
    official = api("POST", path, staff, json={"body": "Looking into it"}).json
    assert official["official"] is True
    note = api("POST", path, staff, json={"body": "Acme wants it", "internal": True}).json
    assert note["internal"] is True
    refused = api("POST", path, customer, json={"body": "x", "internal": True})
    assert refused.status_code == 403
    assert api("POST", path, customer, json={"body": ""}).json["error"]["code"] == "invalid_body"
    customer_view = api("GET", path, customer).json
    assert [c["body"] for c in customer_view["items"]] == ["Yes **please**", "Looking into it"]
    assert api("GET", path).json["total"] == 2
    assert [c["body"] for c in api("GET", path, staff).json["items"]][-1] == "Acme wants it"
    assert api("GET", f"/api/v1/ideas/{idea_id}").json["comment_count"] == 2
    assert api("GET", "/api/v1/ideas/999/comments").status_code == 404


def test_patch_changes_status_and_area_for_staff_only(app, api, customer, staff, billing):
    idea_id = factories.idea(customer)
    path = f"/api/v1/ideas/{idea_id}"
    assert api("PATCH", path, customer, json={"status": "planned"}).status_code == 403
    answer = api("PATCH", path, staff, json={"status": "planned", "note": "June",
                                             "area": billing})
    assert answer.status_code == 200
    assert (answer.json["status"], answer.json["area"]) == ("planned", "billing")
    notices = api("GET", "/api/v1/me/notifications", customer).json["items"]
    assert notices[0]["kind"] == "idea_status" and notices[0]["link"] == f"/ideas/{idea_id}"
    bad = api("PATCH", path, staff, json={"status": "shipped", "area": None})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "unknown_status"
    assert api("GET", path).json["area"] == "billing"  # nothing half-written
    assert api("PATCH", path, staff, json={}).json["error"]["code"] == "nothing_to_change"
    assert api("PATCH", path, staff, json={"area": None}).json["area"] is None


def test_merge_and_unmerge(app, api, customer, staff, make_user):
    dup = factories.idea(customer, "Dark mode please")
    keep = factories.idea(make_user(), "Night theme for the app")
    api("POST", f"/api/v1/ideas/{dup}/vote", customer)
    path = f"/api/v1/ideas/{dup}/merge"
    assert api("POST", path, customer, json={"into": keep}).status_code == 403
    for body, status, code in (({"into": dup}, 400, "merge_into_self"),
                               ({"into": "x"}, 400, "invalid_into"),
                               ({"into": True}, 400, "invalid_into"),
                               ({"into": 999}, 404, "not_found")):
        response = api("POST", path, staff, json=body)
        assert (response.status_code, response.json["error"]["code"]) == (status, code)
    survivor = api("POST", path, staff, json={"into": keep}).json
    assert (survivor["id"], survivor["vote_count"]) == (keep, 1)
    assert api("GET", f"/api/v1/ideas/{dup}").json["merged_into"] == keep
    again = api("POST", f"/api/v1/ideas/{keep}/merge", staff, json={"into": dup})
    assert (again.status_code, again.json["error"]["code"]) == (409, "target_merged")
    restored = api("POST", f"/api/v1/ideas/{dup}/unmerge", staff).json
    assert (restored["merged_into"], restored["vote_count"]) == (None, 1)
    assert api("GET", f"/api/v1/ideas/{keep}").json["vote_count"] == 0


def test_proxy_vote_and_subscription(app, api, customer, staff, make_user):
    idea_id = factories.idea(make_user())
    answer = api("POST", f"/api/v1/ideas/{idea_id}/proxy-votes", staff,
                 json={"email": customer.email})
    assert answer.status_code == 201 and answer.json["vote_count"] == 1
    assert api("GET", f"/api/v1/ideas/{idea_id}", customer).json["voted"] is True
    path = f"/api/v1/ideas/{idea_id}/subscription"
    assert api("DELETE", path, customer).json == {"subscribed": False}
    assert api("PUT", path, customer).json == {"subscribed": True}


def test_session_calls_need_the_csrf_header(app, login, customer, make_user):
    idea_id = factories.idea(make_user())
    browser = login(customer)
    refused = browser.client.post(f"/api/v1/ideas/{idea_id}/vote")
    assert refused.status_code == 400
    assert browser.api("POST", f"/api/v1/ideas/{idea_id}/vote").json["voted"] is True
