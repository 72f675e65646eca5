"""The loop, both ways, through the API (../shared/API.md): the contract's fields, codes and
statuses for the customer's cases and messages and staff's thread and messages."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import counting_statements
from voice.admin import service as staff_side
from voice.admin.models import Case, CaseNote
from voice.clock import utcnow
from voice.extensions import db
from voice.loop.models import Notification
from voice.mail import OutboxMail, read_reply

T0 = utcnow().replace(microsecond=0) - timedelta(days=2)
MESSAGE_FIELDS = {"id", "author", "body", "created_at"}
MY_CASE_FIELDS = {"id", "subject", "state", "source", "messages", "created_at", "updated_at"}


def notes(app, case_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(CaseNote.kind).where(CaseNote.case_id == case_id)
                                       .order_by(CaseNote.id)))


def case_row(app, case_id: int) -> Case:
    with app.app_context():
        found = db.session.get(Case, case_id)
        db.session.expunge(found)
        return found


@pytest.fixture
def conversation(app, staff, customer) -> int:
    """A case about the customer's survey answer, with staff's first message and a note."""
    case_id = factories.case(customer_id=customer.id, occurred_at=T0)
    with app.app_context():
        staff_side.change_case(staff, case_id, note="Internal: check billing first.")
    factories.staff_message(staff, case_id, "Could you tell us *more*?", state="waiting")
    return case_id


# --- the customer's side ---------------------------------------------------------------------


def test_my_cases_lists_the_callers_conversations_with_the_contract_fields(
        app, client, token_for, customer, conversation):
    answer = client.get("/api/v1/me/cases", headers=token_for(customer))
    assert answer.status_code == 200
    data = answer.json
    assert (data["total"], data["page"], data["per_page"]) == (1, 1, 20)
    [item] = data["items"]
    assert set(item) >= MY_CASE_FIELDS
    assert item["id"] == conversation and item["state"] == "waiting"
    assert item["source"] == {"type": "survey_response", "id": 1}
    assert item["subject"].startswith("Your survey answer")
    [message] = item["messages"]
    assert set(message) >= MESSAGE_FIELDS
    assert message["body"] == "Could you tell us *more*?"
    assert message["author"]["staff"] is True and message["created_at"].endswith("Z")
    paged = client.get("/api/v1/me/cases?page=2", headers=token_for(customer)).json
    assert paged["items"] == [] and paged["total"] == 1
    bad = client.get("/api/v1/me/cases?per_page=0", headers=token_for(customer))
    assert bad.status_code == 400 and bad.json["error"]["code"] == "invalid_paging"


def test_my_case_never_shows_notes_or_events(app, client, token_for, customer, conversation):
    answer = client.get(f"/api/v1/me/cases/{conversation}", headers=token_for(customer))
    assert answer.status_code == 200
    assert [m["kind"] for m in answer.json["messages"]] == ["reply"]
    assert "check billing" not in answer.get_data(as_text=True)
    assert "notes" not in answer.json


def test_the_customer_answers_and_the_waiting_case_goes_back_to_work(
        app, client, token_for, customer, staff, conversation):
    answer = client.post(f"/api/v1/me/cases/{conversation}/messages",
                         json={"body": "Sure: it fails on **Mondays**."},
                         headers=token_for(customer))
    assert answer.status_code == 201, answer.json
    assert set(answer.json) >= MESSAGE_FIELDS
    assert answer.json["author"] == {"id": customer.id, "display_name": customer.display_name,
                                     "staff": False}
    assert answer.json["body"] == "Sure: it fails on **Mondays**."
    case = case_row(app, conversation)
    assert case.state == "in_progress" and case.last_message_by_customer is True
    with app.app_context():
        via = db.session.scalar(select(CaseNote.via).where(CaseNote.kind == "customer"))
    assert via == "api"
    mine = client.get(f"/api/v1/me/cases/{conversation}", headers=token_for(customer)).json
    assert [m["kind"] for m in mine["messages"]] == ["reply", "customer"]
    assert mine["state"] == "in_progress"


def test_a_closed_case_reopens_when_the_customer_answers(app, client, token_for, staff,
                                                         customer, conversation):
    with app.app_context():
        staff_side.change_case(staff, conversation, state="closed")
    answer = client.post(f"/api/v1/me/cases/{conversation}/messages",
                         json={"body": "It is back."}, headers=token_for(customer))
    assert answer.status_code == 201
    assert case_row(app, conversation).state == "in_progress"


@pytest.mark.parametrize(("body", "code"), [
    ({}, "invalid_message"),
    ({"body": ""}, "invalid_message"),
    ({"body": "   "}, "invalid_message"),
    ({"body": 12}, "invalid_message"),
    ({"body": "x" * 20_001}, "invalid_message"),
    ({"body": "hi", "extra": 1}, "invalid_field"),
])
def test_a_bad_message_is_a_400_with_its_code(app, client, token_for, customer, conversation,
                                              body, code):
    answer = client.post(f"/api/v1/me/cases/{conversation}/messages", json=body,
                         headers=token_for(customer))
    assert answer.status_code == 400 and answer.json["error"]["code"] == code
    assert notes(app, conversation) == ["note", "reply", "event"]


def test_a_ten_megabyte_message_is_a_413_and_writes_nothing(app, client, token_for, customer,
                                                            conversation):
    answer = client.post(f"/api/v1/me/cases/{conversation}/messages",
                         json={"body": "z" * (10 * 1024 * 1024)}, headers=token_for(customer))
    assert answer.status_code == 413
    assert answer.json["error"]["code"] == "too_large"
    assert notes(app, conversation) == ["note", "reply", "event"]


def test_another_customers_case_is_a_404_to_read_and_to_answer(app, client, token_for,
                                                              make_user, staff, conversation):
    stranger = token_for(make_user("customer"))
    for answer in (client.get(f"/api/v1/me/cases/{conversation}", headers=stranger),
                   client.post(f"/api/v1/me/cases/{conversation}/messages",
                               json={"body": "Let me in"}, headers=stranger),
                   client.get(f"/api/v1/me/cases/{conversation}", headers=token_for(staff)),
                   client.get("/api/v1/me/cases/99999999999", headers=stranger)):
        assert answer.status_code == 404 and answer.json["error"]["code"] == "not_found"
    assert client.get("/api/v1/me/cases", headers=stranger).json["total"] == 0
    assert notes(app, conversation) == ["note", "reply", "event"]


def test_signed_out_callers_get_401(client, conversation):
    assert client.get("/api/v1/me/cases").status_code == 401
    assert client.post(f"/api/v1/me/cases/{conversation}/messages",
                       json={"body": "hi"}).status_code == 401


# --- staff's side ----------------------------------------------------------------------------


def test_staff_get_the_case_with_messages_and_notes(app, client, token_for, staff, customer,
                                                    conversation):
    with app.app_context():
        staff_side.post_customer_message(customer, conversation, "Mondays only.")
    answer = client.get(f"/api/v1/admin/cases/{conversation}", headers=token_for(staff))
    assert answer.status_code == 200
    data = answer.json
    assert {"id", "source", "team", "assignee", "state", "due_at", "created_at",
            "closed_at", "messages", "notes"} <= set(data)
    assert [(m["kind"], m["author"]["staff"]) for m in data["messages"]] == [
        ("reply", True), ("customer", False)]
    assert [n["kind"] for n in data["notes"]] == ["note", "event", "event"]
    assert data["notes"][0]["body"] == "Internal: check billing first."
    assert data["state"] == "in_progress" and data["paused_seconds"] >= 0


def test_staff_post_a_message_that_reaches_the_customer_and_may_move_the_case(
        app, client, token_for, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    answer = client.post(f"/api/v1/admin/cases/{case_id}/messages",
                         json={"body": "Which version?", "state": "waiting"},
                         headers=token_for(staff))
    assert answer.status_code == 201, answer.json
    assert answer.json["author"] == {"id": staff.id, "display_name": staff.display_name,
                                     "staff": True}
    case = case_row(app, case_id)
    assert case.state == "waiting" and case.waiting_since is not None
    with app.app_context():
        notice = db.session.scalars(select(Notification).where(
            Notification.user_id == customer.id)).one()
        mail = db.session.scalars(select(OutboxMail)).one()
    assert notice.link == f"/me/conversations/{case_id}" and notice.body == "Which version?"
    assert read_reply([mail.reply_to]) == (case_id, customer.id)


@pytest.mark.parametrize(("body", "status", "code"), [
    ({"body": ""}, 400, "invalid_message"),
    ({"body": "hi", "state": "finished"}, 400, "invalid_state"),
    ({"body": "hi", "state": 3}, 400, "invalid_state"),
    ({"body": "hi", "state": "new"}, 409, "invalid_transition"),
    ({"body": "hi", "note": "x"}, 400, "invalid_field"),
])
def test_staff_messages_refused_with_the_contracts_codes(app, client, token_for, staff,
                                                         customer, body, status, code):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        staff_side.change_case(staff, case_id, state="in_progress")
    answer = client.post(f"/api/v1/admin/cases/{case_id}/messages", json=body,
                         headers=token_for(staff))
    assert answer.status_code == status and answer.json["error"]["code"] == code
    assert notes(app, case_id) == ["event"]


def test_a_message_on_a_case_without_a_customer_is_refused(app, client, token_for, staff):
    case_id = factories.case(customer_id=None)
    answer = client.post(f"/api/v1/admin/cases/{case_id}/messages", json={"body": "Hi"},
                         headers=token_for(staff))
    assert answer.status_code == 400 and answer.json["error"]["code"] == "no_customer"


def test_customers_get_403_on_the_staff_calls_and_unknown_cases_404(
        client, token_for, staff, customer, conversation):
    mine = token_for(customer)
    assert client.get(f"/api/v1/admin/cases/{conversation}", headers=mine).status_code == 403
    refused = client.post(f"/api/v1/admin/cases/{conversation}/messages",
                          json={"body": "I am staff"}, headers=mine)
    assert refused.status_code == 403 and refused.json["error"]["code"] == "forbidden"
    missing = client.get("/api/v1/admin/cases/424242", headers=token_for(staff))
    assert missing.status_code == 404 and missing.json["error"]["code"] == "not_found"


def test_patch_reopens_a_closed_case(app, client, token_for, staff, conversation):
    with app.app_context():
        staff_side.change_case(staff, conversation, state="closed")
    answer = client.patch(f"/api/v1/admin/cases/{conversation}",
                          json={"state": "in_progress"}, headers=token_for(staff))
    assert answer.status_code == 200 and answer.json["state"] == "in_progress"
    assert answer.json["closed_at"] is None


def test_the_openapi_document_names_the_new_calls(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get"} <= set(paths["/me/cases"]) and {"get"} <= set(paths["/me/cases/{case_id}"])
    assert "post" in paths["/me/cases/{case_id}/messages"]
    assert "post" in paths["/admin/cases/{case_id}/messages"]
    assert {"get", "patch"} <= set(paths["/admin/cases/{case_id}"])
    created = paths["/me/cases/{case_id}/messages"]["post"]["responses"]
    assert "201" in created and "404" in created


def test_the_thread_of_many_messages_reads_in_constant_statements(app, client, token_for,
                                                                  staff, customer,
                                                                  conversation):
    def statements() -> int:
        with counting_statements(app) as seen:
            assert client.get(f"/api/v1/admin/cases/{conversation}",
                              headers=headers).status_code == 200
        return len(seen)

    headers = token_for(staff)
    before = statements()
    with app.app_context():
        for number in range(5):
            staff_side.post_customer_message(customer, conversation, f"More {number}")
        total = db.session.scalar(select(func.count(CaseNote.id)))
    assert total >= 8 and statements() == before
