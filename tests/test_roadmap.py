"""The public roadmap (issue 15): /roadmap and GET /api/v1/roadmap, on both databases.

Planned, In progress and Done (the last 90 days) columns, for every area or one; each
card with its votes, its linked market (probability, or how it ended) and when it moved;
merged ideas never shown; a cap per column; a vote from a card without JavaScript; the
statements pinned whatever the number of ideas."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests import factories
from tests.conftest import counting_statements
from voice.clock import utcnow
from voice.ideas import service
from voice.ideas.service import roadmap as roadmap_module  # the module, not the facade
from voice.markets import service as markets


def text(response) -> str:
    return response.get_data(as_text=True)


def columns_of(body: dict) -> dict[str, list[str]]:
    return {column["status"]: [item["title"] for item in column["items"]]
            for column in body["columns"]}


@pytest.fixture
def moved(app, staff, customer, make_user, billing):
    """Ideas in every status, in Billing and in Mobile; ids by name. "Planned in billing"
    has a vote, the rest none."""
    mobile = factories.area("Mobile").slug
    now = utcnow()
    ids = {name: factories.idea(customer, title, area=area) for name, title, area in [
        ("open", "Still open", billing), ("review", "Under review", billing),
        ("planned", "Planned in billing", billing), ("planned_mobile", "Planned on mobile", mobile),
        ("building", "Being built", billing), ("shipped", "Shipped lately", billing),
        ("old", "Shipped long ago", billing), ("declined", "Declined one", billing),
        ("duplicate", "Planned duplicate", billing),
    ]}
    with app.app_context():
        service.cast_vote(make_user(), ids["planned"])
    factories.move_idea(staff, ids["review"], ("under_review", None))
    factories.move_idea(staff, ids["planned"], ("planned", now - timedelta(days=20)))
    factories.move_idea(staff, ids["planned_mobile"], ("planned", now - timedelta(days=3)))
    factories.move_idea(staff, ids["building"], ("planned", now - timedelta(days=40)),
                        ("in_progress", now - timedelta(days=10)))
    factories.move_idea(staff, ids["shipped"], ("done", now - timedelta(days=89)))
    factories.move_idea(staff, ids["old"], ("done", now - timedelta(days=91)))
    factories.move_idea(staff, ids["declined"], ("declined", None))
    factories.move_idea(staff, ids["duplicate"], ("planned", None))
    with app.app_context():
        service.merge_ideas(staff, ids["duplicate"], ids["planned"])
    ids["now"] = now  # type: ignore[assignment]
    return ids


def test_the_three_columns_show_planned_in_progress_and_recent_done_ideas(app, login, moved):
    body = login().get("/api/v1/roadmap").get_json()
    assert [column["status"] for column in body["columns"]] == ["planned", "in_progress", "done"]
    # Open, under review and declined ideas, the merged duplicate and the idea done
    # 91 days ago are not on it; most voted first.
    assert columns_of(body) == {"planned": ["Planned in billing", "Planned on mobile"],
                                "in_progress": ["Being built"], "done": ["Shipped lately"]}
    assert [column["total"] for column in body["columns"]] == [2, 1, 1]


def test_a_card_carries_the_time_it_moved_not_a_later_note(app, login, staff, moved):
    factories.move_idea(staff, moved["building"], ("in_progress", None), note="Halfway there.")
    body = login().get("/api/v1/roadmap").get_json()
    card = body["columns"][1]["items"][0]
    expected = moved["now"] - timedelta(days=10)
    assert card["moved_at"] == expected.isoformat(timespec="seconds") + "Z"
    assert card["id"] == moved["building"] and card["status"] == "in_progress"
    # the rest of the idea as the ideas calls give it
    assert card["url"].endswith(f"/ideas/{moved['building']}") and card["area"] == "billing"
    page = text(login().get("/roadmap"))
    assert f'datetime="{expected.isoformat(timespec="seconds")}Z"' in page
    assert "In progress since" in page and "Done on" in page


def test_the_area_filter_keeps_one_area(app, login, moved):
    body = login().get("/api/v1/roadmap?area=mobile").get_json()
    assert columns_of(body) == {"planned": ["Planned on mobile"], "in_progress": [], "done": []}
    page = text(login().get("/roadmap?area=mobile"))
    assert "Planned on mobile" in page and "Planned in billing" not in page
    assert '<option value="mobile" selected>' in page
    assert "Nothing done in the last 90 days in Mobile yet." in page


def test_an_unknown_area_is_a_clear_400(app, login, moved):
    answer = login().get("/api/v1/roadmap?area=nowhere")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "unknown_area"
    page = login().get("/roadmap?area=nowhere")
    assert page.status_code == 400 and "There is no such product area." in text(page)


def test_a_column_is_capped_and_says_how_many_more_there_are(app, login, staff, customer,
                                                               monkeypatch):
    for number in range(4):
        idea_id = factories.idea(customer, f"Shipped number {number}")
        factories.move_idea(staff, idea_id, ("done", utcnow() - timedelta(days=number)))
    monkeypatch.setattr(roadmap_module, "PER_COLUMN", 3)
    body = login().get("/api/v1/roadmap").get_json()
    done = body["columns"][2]
    assert done["total"] == 4
    assert [item["title"] for item in done["items"]] == [  # the latest done first
        "Shipped number 0", "Shipped number 1", "Shipped number 2"]
    page = text(login().get("/roadmap"))
    assert "1 more done on the board" in page
    assert "/ideas?status=done&amp;sort=new" in page


def test_the_linked_market_shows_its_probability_or_its_outcome(app, login, staff, moved):
    open_market = factories.market(staff, idea_id=moved["planned"])
    settled = factories.market(staff, question="Shipped this year?", idea_id=moved["shipped"])
    with app.app_context():
        markets.resolve_market(staff, settled.id, settled.outcomes[0], "It shipped.")
    body = login().get("/api/v1/roadmap").get_json()
    planned = body["columns"][0]["items"][0]
    assert planned["market_id"] == open_market.id
    assert planned["market_probability"] == pytest.approx(0.5)
    assert planned["market_outcome"] is None
    done = body["columns"][2]["items"][0]
    assert done["market_id"] == settled.id and done["market_outcome"] == "Resolved: Yes"
    page = text(login().get("/roadmap"))
    assert "50% likely" in page and "Resolved: Yes" in page
    assert f'href="/markets/{open_market.id}"' in page


def test_a_customer_votes_from_a_card_without_javascript(app, login, make_user, moved):
    voter = make_user()
    browser = login(voter)
    page = text(browser.get("/roadmap?area=billing"))
    idea_id = moved["planned"]
    assert f'action="/ideas/{idea_id}/vote"' in page
    assert 'name="next" value="/roadmap?area=billing"' in page
    answer = browser.post(f"/ideas/{idea_id}/vote", data={"next": "/roadmap?area=billing"})
    assert answer.status_code == 302 and answer.headers["Location"] == "/roadmap?area=billing"
    body = browser.get("/api/v1/roadmap").get_json()
    card = body["columns"][0]["items"][0]
    assert card["id"] == idea_id and card["voted"] is True and card["vote_count"] == 2
    again = text(browser.get("/roadmap"))
    assert f'action="/ideas/{idea_id}/unvote"' in again
    # done ideas take no more votes: their card shows the count alone
    assert f'action="/ideas/{moved["shipped"]}/vote"' not in again


def test_a_signed_out_vote_goes_through_sign_in(app, login, moved):
    answer = login().post(f"/ideas/{moved['planned']}/vote", data={"next": "/roadmap"})
    # sign-in then comes back to the idea's one-click "Cast your vote" (issue 13)
    assert answer.status_code == 302
    assert answer.headers["Location"] == f"/login?next=/ideas/{moved['planned']}/vote"


def test_the_roadmap_is_in_the_navigation_and_linked_from_the_board(app, login):
    home = text(login().get("/"))
    assert re.search(r'<a[^>]*href="/roadmap"[^>]*>Roadmap</a>', home)
    assert 'href="/roadmap"' in text(login().get("/ideas"))


def statements(app, browser, paths: tuple[str, ...]) -> list[int]:
    counts = []
    for path in paths:
        with counting_statements(app) as seen:
            assert browser.get(path).status_code == 200
        counts.append(len(seen))
    return counts


def test_the_statements_do_not_grow_with_the_ideas(app, login, staff, customer, billing):
    def add(count: int) -> None:
        for number in range(count):
            idea_id = factories.idea(customer, f"Roadmap idea {number}", area=billing)
            status = ("planned", "in_progress", "done")[number % 3]
            factories.move_idea(staff, idea_id, (status, None))
            factories.market(staff, question=f"Ships {number}?", idea_id=idea_id)

    browser = login(customer)
    paths = ("/roadmap", "/roadmap?area=billing", "/api/v1/roadmap")
    add(3)
    small = statements(app, browser, paths)
    add(27)
    large = statements(app, browser, paths)
    assert large == small
    # page: the user, unread count, the cards, the viewer's votes, the linked markets,
    # the areas of the filter (and the area named); API: the user, the cards, the votes,
    # the linked markets.
    assert small == [6, 7, 4]
