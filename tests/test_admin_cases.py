"""Working cases: states, replies that reach the customer, the inbox pages, the API, guards."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from tests import factories
from voice.admin import service
from voice.admin.models import AuditEntry, Case, CaseNote
from voice.clock import utcnow
from voice.errors import Conflict, Invalid
from voice.extensions import db
from voice.loop.models import Notification, OutboxMail

T0 = utcnow().replace(microsecond=0) - timedelta(days=1)


def get(app, case_id) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_closing_a_customers_case_requires_a_reply(app, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context(), pytest.raises(Conflict) as refused:
        service.change_case(staff, case_id, state="closed")
    assert refused.value.code == "reply_required"
    case = get(app, case_id)
    assert case.state == "new" and case.closed_at is None and case.first_response_at is None
    assert count(app, AuditEntry) == 0  # nothing half-written
    with app.app_context(), pytest.raises(Conflict):
        service.change_case(staff, case_id, state="wont_do")


def test_closing_with_a_reply_tells_the_customer_in_app_and_by_mail(app, staff, customer):
    case_id = factories.case(occurred_at=T0, customer_id=customer.id)
    moment = T0 + timedelta(hours=5)
    with app.app_context():
        service.change_case(staff, case_id, state="closed", now=moment,
                            reply="Sorry about that. We called you back today.")
    case = get(app, case_id)
    assert case.state == "closed"
    assert case.closed_at == moment and case.first_response_at == moment
    assert case.replied_at == moment and case.replied_by_id == staff.id
    assert case.reply == "Sorry about that. We called you back today."
    with app.app_context():
        [notice] = db.session.scalars(select(Notification).where(
            Notification.user_id == customer.id)).all()
        assert notice.kind == "case_reply"
        assert notice.body == "Sorry about that. We called you back today."
        assert notice.link == f"/me/conversations/{case_id}"  # where the reply is shown
        [mail] = db.session.scalars(select(OutboxMail).where(
            OutboxMail.user_id == customer.id)).all()
        assert mail.kind == "case_reply" and mail.to_address == customer.email
        assert "We called you back today" in mail.body_text
        actions = list(db.session.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
        assert actions == ["case.reply", "case.state"]


def test_reply_first_then_close_without_another_reply(app, staff, customer):
    case_id = factories.case(occurred_at=T0, customer_id=customer.id)
    with app.app_context():
        service.change_case(staff, case_id, state="acknowledged",
                            now=T0 + timedelta(hours=1))
        service.change_case(staff, case_id, reply="Looking into it.",
                            now=T0 + timedelta(hours=2))
        service.change_case(staff, case_id, state="closed", now=T0 + timedelta(hours=3))
    case = get(app, case_id)
    assert case.first_response_at == T0 + timedelta(hours=1)
    assert case.closed_at == T0 + timedelta(hours=3)
    assert count(app, Notification, Notification.user_id == customer.id) == 1


def test_an_anonymous_case_closes_without_a_reply_and_refuses_one(app, staff):
    case_id = factories.case(customer_id=None)
    with app.app_context(), pytest.raises(Invalid) as refused:
        service.change_case(staff, case_id, reply="Hello?")
    assert refused.value.code == "no_customer"
    with app.app_context():
        service.change_case(staff, case_id, state="wont_do")
    assert get(app, case_id).state == "wont_do"
    assert count(app, Notification) == 0


@pytest.mark.parametrize(
    ("steps", "bad", "code"),
    [
        ([], "open", "invalid_state"),
        (["acknowledged"], "new", "invalid_transition"),
        (["in_progress"], "acknowledged", "invalid_transition"),
        (["wont_do"], "in_progress", "invalid_transition"),
    ],
)
def test_state_machine(app, staff, steps, bad, code):
    case_id = factories.case()
    with app.app_context():
        for step in steps:
            service.change_case(staff, case_id, state=step)
        with pytest.raises((Invalid, Conflict)) as refused:
            service.change_case(staff, case_id, state=bad)
    assert refused.value.code == code


def test_assign_note_and_move_team_are_audited(app, staff, admin):
    case_id = factories.case()
    with app.app_context():
        other = service.create_team(admin, "Billing")
        service.change_case(staff, case_id, assignee_id=staff.id, note="Calling them.",
                            team_id=other.id)
        case = db.session.get(Case, case_id)
        assert (case.assignee_id, case.team_id) == (staff.id, other.id)
        assert db.session.scalar(select(CaseNote.body)) == "Calling them."
        actions = sorted(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_type == "case")))
        assert actions == ["case.assign", "case.note", "case.team"]
        with pytest.raises(Invalid) as refused:
            service.change_case(staff, case_id, assignee_id=admin.id + 1000)
        assert refused.value.code == "invalid_assignee"


def test_a_customer_cannot_be_an_assignee(app, staff, customer):
    case_id = factories.case()
    with app.app_context(), pytest.raises(Invalid):
        service.change_case(staff, case_id, assignee_id=customer.id)


# --- pages ------------------------------------------------------------------------------


def test_inbox_filters_and_overdue_stands_out(app, login, staff, customer):
    late = factories.case(customer_id=customer.id, source_id=1,
                          occurred_at=utcnow() - timedelta(hours=60), title="Late one")
    fresh = factories.case(customer_id=customer.id, source_id=2, title="Fresh one")
    browser = login(staff)
    page = browser.get("/admin/cases?state=open").get_data(as_text=True)
    assert "Late one" in page and "Fresh one" in page
    rows = re.findall(r'<tr class="case-row( is-overdue)?" data-case-id="(\d+)"', page)
    assert rows == [(" is-overdue", str(late)), ("", str(fresh))]  # overdue first
    assert "Overdue" in page
    overdue = browser.get("/admin/cases?overdue=1").get_data(as_text=True)
    assert "Late one" in overdue and "Fresh one" not in overdue
    assert "No case matches" in browser.get("/admin/cases?source=idea").get_data(as_text=True)
    assert browser.get("/admin/cases?state=bogus").status_code == 400


def test_my_cases_lists_only_mine(app, login, staff, make_user):
    mine = factories.case(source_id=1, title="Mine")
    factories.case(source_id=2, title="Not mine")
    with app.app_context():
        service.change_case(staff, mine, assignee_id=staff.id)
    page = login(staff).get("/admin/cases/mine").get_data(as_text=True)
    assert "Mine" in page and "Not mine" not in page


def test_close_with_reply_through_the_page(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    browser = login(staff)
    refused = browser.post(f"/admin/cases/{case_id}", data={"state": "closed", "reply": ""})
    assert refused.status_code == 400
    assert "Write the reply the customer will get" in refused.get_data(as_text=True)
    done = browser.post(f"/admin/cases/{case_id}", data={
        "state": "closed", "reply": "Fixed in today's release.", "note": "Easy one.",
        "assignee_id": str(staff.id), "team_id": str(get(app, case_id).team_id)})
    assert done.status_code == 302
    page = unescape(browser.get(f"/admin/cases/{case_id}").get_data(as_text=True))
    assert "Fixed in today's release." in page and "Easy one." in page
    assert get(app, case_id).state == "closed"
    assert count(app, Notification, Notification.user_id == customer.id) == 1


def admin_paths(app) -> list[str]:
    paths = []
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith("/admin"):
            continue
        values = dict.fromkeys(rule.arguments, 1)
        path = rule.rule
        for name, value in values.items():
            path = re.sub(rf"<(?:\w+:)?{name}>", str(value), path)
        paths.append((path, rule.methods))
    return paths


def test_a_customer_gets_403_on_every_admin_page(app, login, customer):
    browser = login(customer)
    paths = admin_paths(app)
    assert len(paths) >= 15
    for path, methods in paths:
        if "GET" in methods:
            assert browser.get(path).status_code == 403, path
        if "POST" in methods:
            assert browser.post(path, data={}).status_code == 403, path


def test_staff_cannot_reach_admin_only_pages(app, login, staff):
    browser = login(staff)
    for path in ("/admin/users", "/admin/teams", "/admin/rules", "/admin/areas",
                 "/admin/rules/new"):
        assert browser.get(path).status_code == 403, path
    for path in ("/admin", "/admin/cases", "/admin/cases/mine", "/admin/audit",
                 "/admin/updates"):
        assert browser.get(path).status_code == 200, path


def test_anonymous_visitors_are_sent_to_sign_in(app, login):
    response = login().get("/admin/cases")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- API --------------------------------------------------------------------------------


def test_api_lists_cases_with_filters(app, client, token_for, staff, admin, customer):
    first = factories.case(occurred_at=T0, customer_id=customer.id, source_id=1)
    with app.app_context():
        billing_id = service.create_team(admin, "Billing").id
    second = factories.case(occurred_at=T0, source_id=2, team_id=billing_id)
    headers = token_for(staff)
    answer = client.get("/api/v1/admin/cases", headers=headers)
    assert answer.status_code == 200
    data = answer.json
    assert data["total"] == 2 and data["page"] == 1 and data["per_page"] == 20
    item = next(i for i in data["items"] if i["id"] == first)
    assert item["source"] == {"type": "survey_response", "id": 1}
    assert item["state"] == "new" and item["assignee"] is None and item["closed_at"] is None
    assert item["team"]["name"] == "Triage"
    assert item["due_at"] == (T0 + timedelta(hours=48)).isoformat() + "Z"
    assert item["created_at"] == T0.isoformat() + "Z"
    only = client.get(f"/api/v1/admin/cases?team={billing_id}", headers=headers).json
    assert [i["id"] for i in only["items"]] == [second]
    assert client.get("/api/v1/admin/cases?state=closed", headers=headers).json["total"] == 0
    bad = client.get("/api/v1/admin/cases?state=nope", headers=headers)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_state"
    paged = client.get("/api/v1/admin/cases?per_page=1&page=2", headers=headers).json
    assert len(paged["items"]) == 1 and paged["total"] == 2


def test_api_patch_changes_state_assignee_and_replies(app, client, token_for, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    headers = token_for(staff)
    url = f"/api/v1/admin/cases/{case_id}"
    answer = client.patch(url, json={"state": "in_progress", "assignee_id": staff.id},
                          headers=headers)
    assert answer.status_code == 200
    assert answer.json["state"] == "in_progress"
    assert answer.json["assignee"] == {"id": staff.id, "display_name": staff.display_name}
    refused = client.patch(url, json={"state": "closed"}, headers=headers)
    assert refused.status_code == 409
    assert refused.json["error"]["code"] == "reply_required"
    bad = client.patch(url, json={"state": "finished"}, headers=headers)
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_state"
    closed = client.patch(url, json={"state": "closed", "reply": "Done, thanks!"},
                          headers=headers)
    assert closed.status_code == 200 and closed.json["closed_at"] is not None
    assert count(app, Notification, Notification.user_id == customer.id,
                 Notification.kind == "case_reply") == 1
    reopen = client.patch(url, json={"state": "in_progress"}, headers=headers)
    # issue 13: a closed case reopens (it was a 409 invalid_transition before)
    assert reopen.status_code == 200 and reopen.json["state"] == "in_progress"
    assert reopen.json["closed_at"] is None
    unassign = client.patch(url, json={"assignee_id": None}, headers=headers)
    assert unassign.status_code == 200 and unassign.json["assignee"] is None
    assert client.patch("/api/v1/admin/cases/999", json={}, headers=headers).status_code == 404
    junk = client.patch(url, json={"colour": "red"}, headers=headers)
    assert junk.status_code == 400


def test_api_refuses_customers_and_strangers(app, client, token_for, customer):
    case_id = factories.case(customer_id=customer.id)
    headers = token_for(customer)
    listing = client.get("/api/v1/admin/cases", headers=headers)
    assert listing.status_code == 403 and listing.json["error"]["code"] == "forbidden"
    patch = client.patch(f"/api/v1/admin/cases/{case_id}", json={"state": "closed"},
                         headers=headers)
    assert patch.status_code == 403
    assert client.get("/api/v1/admin/cases").status_code == 401
    assert get(app, case_id).state == "new"


def test_api_patch_from_a_browser_session_needs_csrf(app, login, staff):
    case_id = factories.case()
    browser = login(staff)
    bare = browser.client.patch(f"/api/v1/admin/cases/{case_id}", json={"state": "wont_do"})
    assert bare.status_code == 400
    ok = browser.api("PATCH", f"/api/v1/admin/cases/{case_id}", json={"state": "wont_do"})
    assert ok.status_code == 200 and ok.json["state"] == "wont_do"
