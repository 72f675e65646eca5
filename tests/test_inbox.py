"""The inbox at volume (issue 14): the customer column, the last message's preview, every
filter read through voice/query_args.py, paging, bulk assign and bulk close, and a
statement count that does not grow with the number of cases."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, insert, select

from tests import factories
from tests.conftest import counting_statements, run_in_threads
from voice.accounts.models import User
from voice.admin import service
from voice.admin.models import AuditEntry, Case, CaseNote
from voice.admin.service.bulk import MAX_BULK
from voice.clock import utcnow
from voice.errors import Invalid
from voice.extensions import db
from voice.loop.models import Notification

NOW = utcnow().replace(microsecond=0)


def rows_of(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<tr class="case-row[^"]*" data-case-id="(\d+)"', page)]


def state_of(app, case_id: int) -> str:
    with app.app_context():
        return db.session.get(Case, case_id).state


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def inbox(app, admin, staff, customer, make_user):
    """Four cases: a late one of the customer, waiting on them, past due too; a late one
    of the customer in progress; a fresh anonymous one in Billing; a closed one."""
    other_staff = make_user("staff", name="Second Staff")
    billing = factories.team(admin, "Billing")
    waiting = factories.case(customer_id=customer.id, source_id=1, title="Waiting one",
                             occurred_at=NOW - timedelta(hours=80))
    late = factories.case(customer_id=customer.id, source_id=2, title="Late one",
                          occurred_at=NOW - timedelta(hours=60))
    fresh = factories.case(source="idea_created", source_id=3, team_id=billing, title="Fresh one")
    closed = factories.case(customer_id=customer.id, source_id=4, title="Closed one")
    with app.app_context():
        service.change_case(staff, waiting, reply="Which browser do you use?", state="waiting")
        service.change_case(staff, late, state="in_progress", assignee_id=other_staff.id)
        service.post_customer_message(customer, late, "The export still **times out**.")
        service.change_case(staff, closed, reply="Done.", state="closed")
    return {"waiting": waiting, "late": late, "fresh": fresh, "closed": closed,
            "billing": billing, "other_staff": other_staff}


# --- the list -------------------------------------------------------------------------------


def test_customer_column_and_last_message(app, login, staff, customer, inbox):
    page = login(staff).get("/admin/cases").get_data(as_text=True)
    assert f'<a href="/admin/customers/{customer.id}">{customer.display_name}</a>' in page
    assert "Anonymous" in page  # the fresh case has no identified customer
    assert re.search(r'preview-author">Customer:</span> The export still times out\.', page)
    assert re.search(r'preview-author">Staff:</span> Which browser do you use\?', page)
    assert "clock stopped" in page  # the waiting case shows its stopped clock, not "Overdue"


@pytest.mark.parametrize(("query", "expected"), [
    ("state=open", ["late", "fresh", "waiting"]),
    ("state=waiting", ["waiting"]),
    ("waiting=1", ["waiting"]),
    ("waiting=0&state=open", ["late", "fresh"]),
    ("overdue=1", ["late"]),  # the waiting case is past due too, but its clock is stopped
    ("source=idea", ["fresh"]),
    ("q=times+out", ["late"]),  # the last message's preview
    ("q=browser", ["waiting"]),
    ("q=fresh", ["fresh"]),  # the title
    ("state=done", ["closed"]),
])
def test_filters(app, login, staff, inbox, query, expected):
    page = login(staff).get(f"/admin/cases?{query}").get_data(as_text=True)
    assert sorted(rows_of(page)) == sorted(inbox[name] for name in expected), query


def test_team_and_assignee_filters(app, login, staff, inbox):
    browser = login(staff)
    team = browser.get(f"/admin/cases?team={inbox['billing']}").get_data(as_text=True)
    assert rows_of(team) == [inbox["fresh"]]
    mine = browser.get(f"/admin/cases?assignee={inbox['other_staff'].id}").get_data(as_text=True)
    assert rows_of(mine) == [inbox["late"]]


@pytest.mark.parametrize(("query", "sentence"), [
    ("overdue=maybe", "overdue is one of 1, 0, true, false"),
    ("waiting=2", "waiting is one of"),
    ("assignee=abc", "assignee must be a whole number"),
    ("team=99999999999999", "team must be a whole number"),
    ("since=yesterday", "since must be a date"),
    ("state=bogus", "A state is one of"),
    ("source=tweet", "A source is one of"),
    ("colour=red", "colour is not a filter of this page"),
    ("page=0", "page is between 1"),
])
def test_bad_filters_are_a_sentence(app, login, staff, inbox, query, sentence):
    answer = login(staff).get(f"/admin/cases?{query}")
    assert answer.status_code == 400
    assert sentence in answer.get_data(as_text=True)


def test_paging(app, login, staff, inbox):
    browser = login(staff)
    first = rows_of(browser.get("/admin/cases?per_page=3").get_data(as_text=True))
    second = browser.get("/admin/cases?per_page=3&page=2").get_data(as_text=True)
    assert len(first) == 3 and len(rows_of(second)) == 1
    assert set(first) | set(rows_of(second)) == {inbox[k] for k in
                                                 ("waiting", "late", "fresh", "closed")}
    assert "Page 2 of 2" in second


def test_the_api_list_takes_the_same_filters(app, client, token_for, staff, inbox):
    headers = token_for(staff)

    def ids(query):
        answer = client.get(f"/api/v1/admin/cases?{query}", headers=headers)
        assert answer.status_code == 200, answer.json
        return sorted(item["id"] for item in answer.json["items"])

    assert ids("waiting=1") == [inbox["waiting"]]
    assert ids("overdue=1") == [inbox["late"]]
    assert ids("q=times%20out") == [inbox["late"]]
    assert ids(f"assignee={inbox['other_staff'].id}") == [inbox["late"]]
    assert ids(f"team={inbox['billing']}&source=idea") == [inbox["fresh"]]
    for query, code in (("overdue=maybe", "invalid_filter"), ("assignee=x", "invalid_filter"),
                        ("state=nope", "invalid_state"), ("since=2024-13-01", "invalid_filter")):
        bad = client.get(f"/api/v1/admin/cases?{query}", headers=headers)
        assert bad.status_code == 400 and bad.json["error"]["code"] == code, query


# --- volume ---------------------------------------------------------------------------------


def _many_cases(app, count_: int, customer_id: int, first_source: int) -> None:
    """``count_`` cases of the customer in bulk, with a last message each."""
    with app.app_context():
        triage = service.ensure_defaults().id
        db.session.execute(insert(Case), [
            {"source_type": "idea", "source_id": first_source + n, "rule_id": 77,
             "team_id": triage, "customer_id": customer_id, "state": "new",
             "title": f"Case {n}", "due_at": NOW + timedelta(hours=n - 100),
             "created_at": NOW - timedelta(hours=n), "updated_at": NOW,
             "last_message_at": NOW, "last_message_preview": f"Message {n}",
             "last_message_by_customer": n % 2 == 0} for n in range(count_)])
        db.session.commit()


# the session's user, the staff (filters and bulk form), the count, the page with its
# teams, assignees and customers, the teams, the bell
INBOX_PAGE = 6
INBOX_API = 3  # the token's user, the count, the page


def test_the_statements_do_not_grow_with_the_cases(app, login, token_for, staff, customer):
    browser = login(staff)
    headers = token_for(staff)
    counts = []
    for first, how_many in ((0, 5), (5, 495)):
        _many_cases(app, how_many, customer.id, first)
        browser.get("/admin/cases")
        with counting_statements(app) as page:
            answer = browser.get("/admin/cases?state=open&q=case")
        assert answer.status_code == 200
        assert len(rows_of(answer.get_data(as_text=True))) == min(25, first + how_many)
        with counting_statements(app) as api:
            assert browser.client.get("/api/v1/admin/cases", headers=headers).status_code == 200
        counts.append((len(page), len(api)))
    assert counts == [(INBOX_PAGE, INBOX_API)] * 2


# --- bulk -----------------------------------------------------------------------------------


def test_bulk_assign(app, login, staff, inbox):
    browser = login(staff)
    answer = browser.post("/admin/cases?state=open", data={
        "action": "assign", "assignee_id": str(staff.id),
        "case_ids": [str(inbox["fresh"]), str(inbox["waiting"])]})
    assert answer.status_code == 302 and answer.headers["Location"] == "/admin/cases?state=open"
    with app.app_context():
        assert {c.id: c.assignee_id for c in db.session.scalars(select(Case))} == {
            inbox["fresh"]: staff.id, inbox["waiting"]: staff.id,
            inbox["late"]: inbox["other_staff"].id, inbox["closed"]: None}
    assert count(app, AuditEntry, AuditEntry.action == "case.assign") == 3  # one earlier
    assert "2 cases assigned." in browser.get("/admin/cases").get_data(as_text=True)


def test_bulk_close_sends_one_reply_to_each_customer(app, login, staff, customer, inbox):
    before = count(app, Notification, Notification.user_id == customer.id)
    browser = login(staff)
    answer = browser.post("/admin/cases", data={
        "action": "close", "reply": "Fixed in **today's** release.",
        "case_ids": [str(inbox[k]) for k in ("waiting", "late", "fresh", "closed")]})
    assert answer.status_code == 302
    assert [state_of(app, inbox[k]) for k in ("waiting", "late", "fresh", "closed")] == [
        "closed"] * 4
    # the two open cases of the customer: one reply each; the closed one got none again
    assert count(app, Notification, Notification.user_id == customer.id) == before + 2
    assert count(app, CaseNote, CaseNote.kind == "reply",
                 CaseNote.body == "Fixed in **today's** release.") == 2
    # the anonymous case has nobody to reply to: the text is kept as an internal note
    assert count(app, CaseNote, CaseNote.case_id == inbox["fresh"], CaseNote.kind == "note",
                 CaseNote.body == "Fixed in **today's** release.") == 1
    page = browser.get("/admin/cases").get_data(as_text=True)
    assert "3 cases closed" in page
    assert f"#{inbox['closed']}: It was closed already." in page


def test_bulk_errors_keep_what_was_typed(app, login, staff, inbox):
    browser = login(staff)
    empty = browser.post("/admin/cases?state=open", data={
        "action": "close", "reply": "  ", "case_ids": [str(inbox["late"])]})
    assert empty.status_code == 400
    page = empty.get_data(as_text=True)
    assert "Write the reply each customer will get." in page
    assert re.search(rf'value="{inbox["late"]}" form="bulk-form" id="tick-{inbox["late"]}" '
                     r'aria-label="[^"]+" checked', page)
    nothing = browser.post("/admin/cases", data={"action": "close", "reply": "Typed reply."})
    assert nothing.status_code == 400
    assert "Tick the cases first." in nothing.get_data(as_text=True)
    assert "Typed reply.</textarea>" in nothing.get_data(as_text=True)
    assert state_of(app, inbox["late"]) == "in_progress"
    stranger = browser.post("/admin/cases", data={
        "action": "assign", "assignee_id": "999", "case_ids": [str(inbox["late"])]})
    assert stranger.status_code == 400
    no_csrf = browser.client.post("/admin/cases", data={
        "action": "close", "reply": "x", "case_ids": [str(inbox["late"])]})
    assert no_csrf.status_code == 400 and state_of(app, inbox["late"]) == "in_progress"


def test_bulk_limits(app, staff):
    with app.app_context():
        with pytest.raises(Invalid, match=f"At most {MAX_BULK}"):
            service.parse_case_ids(str(n) for n in range(1, MAX_BULK + 2))
        with pytest.raises(Invalid, match="case must be a whole number"):
            service.parse_case_ids(["12", "x"])
        assert service.parse_case_ids(["3", "3", "1"]) == [3, 1]
        with pytest.raises(Invalid, match="active staff member"):
            service.bulk_assign(db.session.get(User, staff.id), [1], 99999)


def _bulk_statements(app, staff, case_ids) -> int:
    with counting_statements(app) as statements, app.app_context():
        result = service.bulk_close(db.session.get(User, staff.id), case_ids, "All done.")
    assert len(result.done) == len(case_ids)
    return len(statements)


def test_a_bulk_of_200_is_bounded(app, staff, make_user):
    customers = [make_user() for _ in range(4)]
    ids = [factories.case(customer_id=customers[n % 4].id, source_id=n) for n in range(1, 213)]
    two, six, two_hundred = ids[:2], ids[2:8], ids[8:208]
    per_case = (_bulk_statements(app, staff, six) - _bulk_statements(app, staff, two)) / 4
    assert per_case == int(per_case)  # each case costs the same statements
    assert _bulk_statements(app, staff, two_hundred) == _bulk_statements(
        app, staff, ids[208:210]) + 198 * per_case
    assert count(app, Case, Case.state == "closed") == 210


def test_two_staff_closing_the_same_cases_at_once(app, make_user, staff):
    """Each case closes once and each customer gets exactly one reply, whoever wins."""
    customers = [make_user() for _ in range(6)]
    ids = [factories.case(customer_id=c.id, source_id=n) for n, c in enumerate(customers, 1)]
    second = make_user("staff")

    def close(index: int):
        actor = db.session.get(User, (staff, second)[index].id)
        return service.bulk_close(actor, ids, f"Reply {index}")

    results = run_in_threads(app, close, 2)
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(results[0].done + results[1].done) == sorted(ids)
    assert len(results[0].skipped) + len(results[1].skipped) == len(ids)
    for customer in customers:
        assert count(app, Notification, Notification.user_id == customer.id) == 1
    assert count(app, CaseNote, CaseNote.kind == "reply") == len(ids)
