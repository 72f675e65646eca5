""""You asked, we did": ideas move to done, every voter and follower is told once."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests import factories
from voice.admin import updates
from voice.admin.models import AuditEntry, Update
from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.loop.models import Notification, OutboxMail


@pytest.fixture
def two_ideas(app, make_user):
    from voice.ideas import service as ideas

    author = make_user()
    both, first_only, follower = make_user(), make_user(), make_user()
    first = factories.idea(author, "Export to CSV", voters=[both, first_only])
    second = factories.idea(author, "Export to Excel", voters=[both])
    with app.app_context():
        ideas.set_subscribed(follower, second, True)
    return {"author": author, "both": both, "first_only": first_only, "follower": follower,
            "ideas": [first, second]}


def notices(app, kind: str) -> list[int]:
    with app.app_context():
        return sorted(db.session.scalars(select(Notification.user_id).where(
            Notification.kind == kind)))


def test_publishing_moves_ideas_to_done_and_tells_everyone_once(app, two_ideas, staff):
    from voice.ideas.models import Idea, StatusChange

    with app.app_context():
        update = updates.publish_update(staff, "Exports are here",
                                        "CSV **and** Excel, from every list.", two_ideas["ideas"])
        update_id = update.id
        statuses = [db.session.get(Idea, i).status for i in two_ideas["ideas"]]
        history = db.session.scalar(select(func.count(StatusChange.id)).where(
            StatusChange.to_status == "done"))
        assert update.notified_count == 4
    assert statuses == ["done", "done"] and history == 2
    told = notices(app, "update_published")
    expected = sorted([two_ideas["author"].id, two_ideas["both"].id,
                       two_ideas["first_only"].id, two_ideas["follower"].id])
    assert told == expected  # "both" voted twice but hears once
    with app.app_context():
        notice = db.session.scalar(select(Notification).where(
            Notification.kind == "update_published").limit(1))
        assert notice.link == f"/updates/{update_id}"
        assert notice.subject == "You asked, we did: Exports are here"
        mails = db.session.scalar(select(func.count(OutboxMail.id)).where(
            OutboxMail.kind == "update_published"))
        assert mails == 4
        actions = set(db.session.scalars(select(AuditEntry.action)))
        assert {"update.publish", "idea.status"} <= actions


def test_bad_updates_write_nothing(app, two_ideas, staff, customer):
    from voice.errors import Forbidden

    with app.app_context():
        with pytest.raises(Invalid):
            updates.publish_update(staff, "No", "", two_ideas["ideas"])
        with pytest.raises(Invalid):
            updates.publish_update(staff, "No ideas linked", "", [])
        with pytest.raises(NotFound):
            updates.publish_update(staff, "Unknown idea", "", [two_ideas["ideas"][0], 999])
        with pytest.raises(Forbidden):
            updates.publish_update(customer, "Not staff", "", two_ideas["ideas"])
        assert db.session.scalar(select(func.count(Update.id))) == 0
    assert notices(app, "update_published") == []


def test_parse_idea_ids():
    assert updates.parse_idea_ids("12, #14 15 12") == [12, 14, 15]
    with pytest.raises(Invalid):
        updates.parse_idea_ids("12, fourteen")


def test_publish_through_the_page_and_the_public_page(app, login, two_ideas, staff, customer):
    browser = login(staff)
    bad = browser.post("/admin/updates", data={"title": "Exports", "body": "x",
                                               "idea_ids": "1, nope"})
    assert bad.status_code == 400 and "is not an idea number" in bad.get_data(as_text=True)
    ids = ", ".join(str(i) for i in two_ideas["ideas"])
    done = browser.post("/admin/updates", data={
        "title": "Exports are here", "body": "Try it <script>alert(1)</script> **now**",
        "idea_ids": ids})
    assert done.status_code == 302
    public = login().get("/updates").get_data(as_text=True)
    assert "Exports are here" in public and "<strong>now</strong>" in public
    assert "<script>alert" not in public
    assert "Export to CSV" in public
    with app.app_context():
        update_id = db.session.scalar(select(Update.id))
    one = login(customer).get(f"/updates/{update_id}")
    assert one.status_code == 200 and "Export to Excel" in one.get_data(as_text=True)
    assert login().get("/updates/999").status_code == 404
    assert login(customer).post("/admin/updates", data={"title": "x"}).status_code == 403
