"""notify, mail preferences, unsubscribe links, the notifications page and API."""

from __future__ import annotations

import re
from functools import partial

import pytest
from sqlalchemy import func, select

from tests import factories
from voice.accounts.models import User
from voice.database import write_transaction
from voice.extensions import db
from voice.loop import service
from voice.loop.models import MailPreference, Notification
from voice.mail import OutboxMail

# Notifications made here: the loop's notify, with this file's kind and subject.
notify = partial(factories.notifications, kind="idea_status_changed",
                 subject="Your idea is planned")


def count(app, model, **where) -> int:
    with app.app_context():
        stmt = select(func.count()).select_from(model)
        for name, value in where.items():
            stmt = stmt.where(getattr(model, name) == value)
        return db.session.scalar(stmt)


# --- notify and the caller's transaction ------------------------------------------------


class Boom(Exception):
    pass


def test_notify_rows_are_rolled_back_with_the_callers_transaction(app, customer):
    with app.app_context(), pytest.raises(Boom), write_transaction():
        service.notify([db.session.get(User, customer.id)], kind="case_reply", subject="Hi")
        db.session.flush()  # the rows are in the transaction...
        assert db.session.scalar(select(func.count(OutboxMail.id))) == 1
        raise Boom  # ...and leave with it
    assert count(app, Notification) == 0
    assert count(app, OutboxMail) == 0


def test_notify_never_commits_by_itself(app, customer):
    with app.app_context():
        service.notify([db.session.get(User, customer.id)], kind="case_reply", subject="Hi")
        db.session.rollback()
    assert count(app, Notification) == 0 and count(app, OutboxMail) == 0

    notify([customer], kind="case_reply", subject="Hi", body="Body", link="/ideas/3")
    assert count(app, Notification, user_id=customer.id, kind="case_reply") == 1
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail))
        assert (mail.to_address, mail.subject, mail.status, mail.attempts) == (
            customer.email, "Hi", "pending", 0)
        assert "Body" in mail.body_text and "/ideas/3" in mail.body_text
        assert "Body" in mail.body_html and mail.category == "case_reply"


def test_notify_tells_each_active_user_once(app, make_user):
    from voice.accounts import service as accounts

    first, second, gone = make_user(), make_user(), make_user()
    with app.app_context():
        accounts.set_active(gone.id, False)
    notify([first, second, first, None, gone])
    assert count(app, Notification) == 2
    assert count(app, OutboxMail) == 2
    assert count(app, Notification, user_id=gone.id) == 0


def test_notify_without_mail_writes_only_the_notice(app, customer):
    notify([customer], mail=False)
    assert count(app, Notification) == 1 and count(app, OutboxMail) == 0


def test_a_long_subject_is_cut_to_fit_and_kept_on_one_line(app, customer):
    notify([customer], subject="Line one\nline two " + "x" * 300)
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail))
        notice = db.session.scalar(select(Notification))
        assert len(mail.subject) == 200 and "\n" not in mail.subject
        assert mail.subject.startswith("Line one line two x") and mail.subject.endswith("\u2026")
        assert notice.subject == mail.subject


# --- preferences ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "category"),
    [
        ("idea_status_changed", "idea_status"),
        ("idea_status", "idea_status"),
        ("case_reply", "case_reply"),
        ("case_closed", "case_reply"),
        ("market_resolved", "market_result"),
        ("market_voided", "market_result"),
        ("update_published", "updates"),
        ("you_asked_we_did", "updates"),
        ("comment_created", "idea_comment"),
        ("idea_comment", "idea_comment"),
        ("something_new", "other"),
    ],
)
def test_each_kind_belongs_to_a_category(kind, category):
    assert service.category_for(kind) == category


def test_mail_follows_the_users_preferences(app, make_user):
    muted, listening = make_user(), make_user()
    with app.app_context():
        service.set_preferences(db.session.get(User, muted.id), {"market_result": False})
    notify([muted, listening], kind="market_resolved", subject="Market resolved")
    assert count(app, Notification) == 2  # in-app: always
    assert count(app, OutboxMail, user_id=muted.id) == 0
    assert count(app, OutboxMail, user_id=listening.id) == 1

    notify([muted], kind="idea_status_changed")  # another category: still on
    notify([muted], kind="brand_new_kind")  # unknown kinds: on by default
    assert count(app, OutboxMail, user_id=muted.id) == 2
    with app.app_context():
        service.set_preferences(db.session.get(User, muted.id), {"other": False})
    notify([muted], kind="brand_new_kind")
    assert count(app, OutboxMail, user_id=muted.id) == 2


def test_set_preferences_refuses_unknown_categories(app, customer):
    from voice.errors import Invalid

    with app.app_context(), pytest.raises(Invalid):
        service.set_preferences(db.session.get(User, customer.id), {"spam": False})
    assert count(app, MailPreference) == 0


def test_the_preferences_page_saves_the_check_boxes(app, login, customer):
    browser = login(customer)
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    for label in ("Idea status changes", "Replies to your feedback", "Market results",
                  "You asked, we did", "Comments on ideas you follow"):
        assert label in page
    offered = [c for c in service.CATEGORIES.values() if not c.staff_only]
    assert page.count("checked") == len(offered)  # all on by default; no staff-only mail

    # Unchecked boxes are not sent: market results and comments go off.
    response = browser.post("/notifications/preferences", data={
        "idea_status": "y", "case_reply": "y", "updates": "y", "other": "y"})
    assert response.status_code == 302
    with app.app_context():
        prefs = service.preferences_for(db.session.get(User, customer.id))
    assert prefs == {"idea_status": True, "case_reply": True, "market_result": False,
                     "updates": True, "idea_comment": False,
                     "team_cases": True,  # not offered to a customer, so left as it was
                     "other": True}
    page = browser.get("/notifications/preferences").get_data(as_text=True)
    assert page.count("checked") == 4


def test_the_preferences_page_needs_a_sign_in(app, login):
    response = login().get("/notifications/preferences")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- unsubscribe links ----------------------------------------------------------------


def unsubscribe_path(app, user, category) -> str:
    with app.app_context():
        return "/unsubscribe/" + service.unsubscribe_token(user.id, category)


def test_the_unsubscribe_link_in_a_mail_works_without_signing_in(app, login, customer):
    notify([customer], kind="comment_created", subject="New comment")
    with app.app_context():
        mail = db.session.scalar(select(OutboxMail))
    path = re.search(r"/unsubscribe/[\w.-]+", mail.body_text).group(0)
    assert path == unsubscribe_path(app, customer, "idea_comment")

    anonymous = login()
    page = anonymous.get(path)  # asking changes nothing (mail scanners follow links)
    assert page.status_code == 200
    assert "Comments on ideas you follow" in page.get_data(as_text=True)
    assert count(app, MailPreference) == 0

    done = anonymous.post(path)
    assert done.status_code == 200
    assert f"{customer.email} gets no more" in done.get_data(as_text=True)
    with app.app_context():
        prefs = service.preferences_for(db.session.get(User, customer.id))
    assert prefs["idea_comment"] is False
    assert [name for name, on in prefs.items() if not on] == ["idea_comment"]


def test_a_tampered_unsubscribe_link_changes_nothing(app, login, make_user):
    victim, other = make_user(), make_user()
    path = unsubscribe_path(app, other, "case_reply")
    token = path.rsplit("/", 1)[1]
    payload, signature = token.split(".")
    # Someone swaps in another user's id but cannot sign it.
    forged_payload = unsubscribe_path(app, victim, "case_reply").rsplit("/", 1)[1].split(".")[0]
    flipped = ("B" if signature[0] == "A" else "A") + signature[1:]  # six bits of it
    for bad in (f"{forged_payload}.{signature}", f"{payload}.{flipped}", "nonsense"):
        for method in ("get", "post"):
            response = getattr(login().client, method)(f"/unsubscribe/{bad}")
            assert response.status_code == 400
            assert "not valid" in response.get_data(as_text=True)
    assert count(app, MailPreference) == 0


# --- the notifications page -----------------------------------------------------------


def test_mark_one_read_with_a_plain_form(app, login, customer):
    first, second = notify([customer]) + notify([customer], subject="Second")
    browser = login(customer)
    page = browser.get("/notifications").get_data(as_text=True)
    assert 'data-unread-count>2<' in page
    assert "js/loop.js" in page and "css/loop.css" in page
    response = browser.post(f"/notifications/{first}/read",
                            data={"next": "/notifications?page=1"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/notifications?page=1"
    page = browser.get("/notifications").get_data(as_text=True)
    assert 'data-unread-count>1<' in page
    assert count(app, Notification, read_at=None) == 1


def test_mark_all_read_and_paging(app, login, make_user, customer):
    other = make_user()
    for number in range(25):
        notify([customer], subject=f"Notice {number:02d}")
    notify([other], subject="Not yours")
    browser = login(customer)
    first = browser.get("/notifications").get_data(as_text=True)
    assert "Notice 24" in first and "Notice 05" in first and "Notice 04" not in first
    assert "Page 1 of 2" in first
    second = browser.get("/notifications?page=2").get_data(as_text=True)
    assert "Notice 04" in second and "Notice 00" in second and "Not yours" not in second

    response = browser.post("/notifications/read-all")
    assert response.status_code == 302
    assert count(app, Notification, user_id=customer.id, read_at=None) == 0
    assert count(app, Notification, user_id=other.id, read_at=None) == 1
    assert "data-unread-count" not in browser.get("/notifications").get_data(as_text=True)


def test_someone_elses_notification_cannot_be_marked_read_from_the_page(app, login, make_user):
    owner, intruder = make_user(), make_user()
    [notice] = notify([owner])
    response = login(intruder).post(f"/notifications/{notice}/read")
    assert response.status_code == 404
    assert count(app, Notification, read_at=None) == 1


# --- the API ---------------------------------------------------------------------------


def test_the_notifications_api(app, make_user, token_for):
    owner, intruder = make_user(), make_user()
    old = notify([owner], subject="Old", body="b", link="/ideas/1")[0]
    new = notify([owner], subject="New")[0]
    headers = token_for(owner)
    client = app.test_client()

    listing = client.get("/api/v1/me/notifications", headers=headers).json
    assert listing["total"] == 2 and listing["page"] == 1
    assert [item["id"] for item in listing["items"]] == [new, old]  # newest first
    assert listing["items"][1] == {
        "id": old, "kind": "idea_status_changed", "subject": "Old", "body": "b",
        "link": "/ideas/1", "read": False, "created_at": listing["items"][1]["created_at"]}
    assert listing["items"][1]["created_at"].endswith("Z")

    other = client.post(f"/api/v1/me/notifications/{old}/read", headers=token_for(intruder))
    assert other.status_code == 404
    assert other.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/me/notifications", headers=token_for(intruder)).json["total"] == 0

    mine = client.post(f"/api/v1/me/notifications/{old}/read", headers=headers)
    assert mine.status_code == 200 and mine.json["read"] is True
    assert client.post("/api/v1/me/notifications/9999/read", headers=headers).status_code == 404

    everything = client.post("/api/v1/me/notifications/read-all", headers=headers)
    assert everything.json == {"marked": 1, "unread": 0}
    assert client.get("/api/v1/me/notifications", headers={}).status_code == 401
    bad = client.get("/api/v1/me/notifications?per_page=0", headers=headers)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_paging"


def test_the_mail_preferences_api(app, customer, token_for):
    headers = token_for(customer)
    client = app.test_client()
    everything_on = dict.fromkeys(service.CATEGORIES, True)
    assert client.get("/api/v1/me/mail-preferences", headers=headers).json == everything_on
    changed = client.put("/api/v1/me/mail-preferences", headers=headers,
                         json={"updates": False})
    assert changed.status_code == 200 and changed.json["updates"] is False
    assert changed.json["case_reply"] is True
    bad = client.put("/api/v1/me/mail-preferences", headers=headers, json={"spam": False})
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_category"
    wrong = client.put("/api/v1/me/mail-preferences", headers=headers, json={"updates": "no"})
    assert wrong.status_code == 400
    assert client.get("/api/v1/me/mail-preferences", headers=headers).json["updates"] is False
