"""The home page shows what is moving: trending ideas, open surveys, open markets."""

from __future__ import annotations

from voice.extensions import db
from voice.ideas import service as ideas
from voice.markets import service as markets
from voice.surveys import service as surveys


def test_home_lists_ideas_surveys_and_markets(app, client, customer, staff):
    with app.app_context():
        ideas.submit_idea(customer, "Export reports as PDF", "Monthly reports for the board.")
        surveys.create_survey(staff, "Onboarding check-in", status="open", questions=[
            {"kind": "csat", "prompt": "How was onboarding?"}])
        surveys.create_survey(staff, "Still a draft", questions=[
            {"kind": "text", "prompt": "Anything?"}])
        markets.create_market(staff, "Will PDF export ship by June?", ["Yes", "No"],
                              liquidity=100)
        db.session.remove()
    page = client.get("/").get_data(as_text=True)
    assert "Export reports as PDF" in page
    assert "Onboarding check-in" in page
    assert "Still a draft" not in page
    assert "Will PDF export ship by June?" in page
    assert "Yes: 50%" in page  # a fresh binary market prices each outcome at one half


def test_home_works_on_an_empty_database(app, client):
    page = client.get("/")
    assert page.status_code == 200
    assert "No ideas yet." in page.get_data(as_text=True)


def test_home_leaves_done_and_declined_ideas_out_of_what_is_moving(app, client, customer,
                                                                     staff, make_user):
    with app.app_context():
        moving = ideas.submit_idea(customer, "Dark mode for the editor", "").id
        shipped = ideas.submit_idea(customer, "Export reports as PDF", "").id
        refused = ideas.submit_idea(customer, "Fax every invoice", "").id
        for voter in (make_user(), make_user()):
            ideas.cast_vote(voter, shipped)
            ideas.cast_vote(voter, refused)
        ideas.change_status(staff, shipped, "done", "Shipped in 4.2")
        ideas.change_status(staff, refused, "declined", "Not for us")
        assert [i.id for i in ideas.list_ideas(None, sort="top").items][-1] == moving
        db.session.remove()
    page = client.get("/").get_data(as_text=True)
    assert "Dark mode for the editor" in page
    assert "Export reports as PDF" not in page and "Fax every invoice" not in page
