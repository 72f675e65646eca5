"""A thread per case (issue 14): staff and the customer write to each other, the SLA clock
stops while a case waits on the customer, a customer's answer reopens a closed case, and
internal notes never reach the customer. The service, on every database; the pages are
tests/test_conversations_pages.py's."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import counting_statements, run_in_threads
from voice.accounts.models import User
from voice.admin import clock
from voice.admin import service as staff_side
from voice.admin.models import AuditEntry, Case, CaseNote
from voice.clock import utcnow
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.loop.models import Notification
from voice.mail import OutboxMail, read_reply

T0 = utcnow().replace(microsecond=0) - timedelta(days=3)
HOUR = timedelta(hours=1)


def row(app, model, ident):
    return factories.detached(model, ident)


def notes_of(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(n.kind, n.body) for n in db.session.scalars(
            select(CaseNote).where(CaseNote.case_id == case_id)
            .order_by(CaseNote.created_at, CaseNote.id))]


def count(app, model, *where) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


@pytest.fixture
def owner(make_user, admin):
    """A staff member who owns the triage team (where factories.case opens cases)."""
    person = make_user("staff", name="Olive Owner")
    with factories._context():
        staff_side.add_owner(admin, staff_side.ensure_defaults().id, person.email)
    return person


# --- staff write ----------------------------------------------------------------------------


def test_a_staff_message_reaches_the_customer_in_app_and_by_mail_with_the_reply_address(
        app, staff, customer):
    case_id = factories.case(customer_id=customer.id, occurred_at=T0)
    factories.staff_message(staff, case_id, "We **fixed** it.", now=T0 + HOUR)
    case = row(app, Case, case_id)
    assert (case.last_message_at, case.last_message_preview) == (T0 + HOUR, "We fixed it.")
    assert case.last_message_by_customer is False
    assert case.replied_at == T0 + HOUR and case.first_response_at == T0 + HOUR
    assert notes_of(app, case_id) == [("reply", "We **fixed** it.")]
    with app.app_context():
        notice = db.session.scalars(select(Notification).where(
            Notification.user_id == customer.id)).one()
        assert notice.link == f"/me/conversations/{case_id}"
        mail = db.session.scalars(select(OutboxMail)).one()
        assert mail.to_address == customer.email
        # the Reply-To and the Message-ID both lead back to this case and this customer
        assert read_reply([mail.reply_to]) == (case_id, customer.id)
        assert read_reply([], in_reply_to=mail.message_id) == (case_id, customer.id)


def test_change_case_reply_takes_the_same_message_path(app, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        staff_side.change_case(staff, case_id, reply="On it.", note="Checked the logs.")
        mail = db.session.scalars(select(OutboxMail)).one()
        assert read_reply([mail.reply_to]) == (case_id, customer.id)
    assert row(app, Case, case_id).last_message_preview == "On it."
    assert sorted(notes_of(app, case_id)) == [("note", "Checked the logs."), ("reply", "On it.")]


@pytest.mark.parametrize("body", ["", "   \n ", "x" * (staff_side.MAX_MESSAGE + 1)])
def test_an_empty_or_huge_message_is_refused_and_writes_nothing(app, staff, customer, body):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            staff_side.post_staff_message(staff, case_id, body)
        assert refused.value.code == "invalid_message"
        with pytest.raises(Invalid) as refused:
            staff_side.post_customer_message(customer, case_id, body)
        assert refused.value.code == "invalid_message"
    assert notes_of(app, case_id) == [] and count(app, Notification) == 0


def test_a_message_of_the_bound_exactly_is_taken(app, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "y" * staff_side.MAX_MESSAGE)
    assert len(row(app, Case, case_id).last_message_preview) <= 200


def test_a_case_without_a_customer_takes_no_message_and_cannot_wait(app, staff):
    case_id = factories.case(customer_id=None)
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            staff_side.post_staff_message(staff, case_id, "Hello?")
        assert refused.value.code == "no_customer"
        with pytest.raises(Invalid) as refused:
            staff_side.change_case(staff, case_id, state="waiting")
        assert refused.value.code == "no_customer"
    assert row(app, Case, case_id).state == "new"


def test_a_customer_cannot_post_as_staff(app, customer):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context(), pytest.raises(Exception) as refused:
        staff_side.post_staff_message(customer, case_id, "I am staff now")
    assert getattr(refused.value, "status", None) == 403
    assert notes_of(app, case_id) == []


# --- the SLA clock ---------------------------------------------------------------------------


def test_waiting_stops_the_clock_and_the_customers_answer_resumes_it(app, staff, customer):
    case_id = factories.case(customer_id=customer.id, occurred_at=T0, sla_hours=48)
    factories.staff_message(staff, case_id, "Which browser?", state="waiting", now=T0 + HOUR)
    waiting = row(app, Case, case_id)
    assert waiting.state == "waiting" and waiting.waiting_since == T0 + HOUR
    assert waiting.due_at == T0 + 48 * HOUR  # unchanged while it waits
    # 60 hours in: past the first due time, but waiting is never overdue
    late = T0 + 60 * HOUR
    assert not clock.is_overdue(waiting, late)
    with app.app_context():
        assert db.session.scalar(select(func.count(Case.id)).where(
            clock.overdue_clause(late))) == 0
        assert clock.working_seconds(waiting, late) == 3600  # only the first hour ran
        staff_side.post_customer_message(customer, case_id, "Firefox 128.", now=late)
    resumed = row(app, Case, case_id)
    assert resumed.state == "in_progress" and resumed.waiting_since is None
    assert resumed.paused_seconds == 59 * 3600
    assert resumed.due_at == T0 + (48 + 59) * HOUR  # moved by the wait
    assert resumed.last_message_by_customer is True
    assert not clock.is_overdue(resumed, late)
    assert clock.is_overdue(resumed, T0 + 108 * HOUR)


def test_staff_taking_a_case_out_of_waiting_resume_the_clock_too(app, staff, customer):
    case_id = factories.case(customer_id=customer.id, occurred_at=T0, sla_hours=24)
    with app.app_context():
        staff_side.change_case(staff, case_id, state="waiting", now=T0 + 2 * HOUR)
        staff_side.change_case(staff, case_id, state="in_progress", now=T0 + 7 * HOUR)
        staff_side.change_case(staff, case_id, state="waiting", now=T0 + 8 * HOUR)
        staff_side.change_case(staff, case_id, state="in_progress", now=T0 + 10 * HOUR)
    case = row(app, Case, case_id)
    assert case.paused_seconds == 7 * 3600 and case.due_at == T0 + 31 * HOUR
    assert [b for k, b in notes_of(app, case_id) if k == "event"] == [
        "New → Waiting on customer", "Waiting on customer → In progress",
        "In progress → Waiting on customer", "Waiting on customer → In progress"]


def test_the_state_machine_knows_waiting(app, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        staff_side.change_case(staff, case_id, state="waiting", reply="Tell us more?")
        with pytest.raises(Conflict) as refused:
            staff_side.change_case(staff, case_id, state="new")
        assert refused.value.code == "invalid_transition"
        staff_side.change_case(staff, case_id, state="closed")  # a reply was sent before
    case = row(app, Case, case_id)
    assert case.state == "closed" and case.waiting_since is None and case.paused_seconds >= 0


# --- the customer answers -------------------------------------------------------------------


def test_a_customer_message_reopens_a_closed_case_with_an_event_and_an_audit_entry(
        app, staff, customer, owner):
    case_id = factories.case(customer_id=customer.id, occurred_at=T0)
    with app.app_context():
        staff_side.change_case(staff, case_id, state="closed", reply="Done.", now=T0 + HOUR)
        staff_side.post_customer_message(customer, case_id, "Not for me, still broken.",
                                         now=T0 + 5 * HOUR)
        actions = set(db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_id == case_id, AuditEntry.actor_id == customer.id)))
        told = db.session.scalars(select(Notification).where(
            Notification.kind == "case_customer_message")).all()
    case = row(app, Case, case_id)
    assert case.state == "in_progress" and case.closed_at is None
    assert case.due_at > T0 + 5 * HOUR  # the SLA counts again from the reopening
    assert {"case.state", "case.reopen"} <= actions
    assert notes_of(app, case_id)[-2:] == [("customer", "Not for me, still broken."),
                                           ("event", "Closed → In progress")]
    # nobody is assigned: the team's owners hear of it, with a link to the case page
    assert [(n.user_id, n.link) for n in told] == [(owner.id, f"/admin/cases/{case_id}")]


def test_the_assignee_hears_of_the_answer_rather_than_the_owners(app, staff, customer, owner):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        staff_side.change_case(staff, case_id, assignee_id=staff.id, reply="Hi")
        staff_side.post_customer_message(customer, case_id, "Hello back")
        told = db.session.scalars(select(Notification.user_id).where(
            Notification.kind == "case_customer_message")).all()
    assert told == [staff.id]


def test_another_customers_case_is_not_found_and_nothing_is_written(app, staff, customer,
                                                                    make_user):
    stranger = make_user("customer")
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "For the customer only.")
    with app.app_context():
        with pytest.raises(NotFound):
            staff_side.post_customer_message(stranger, case_id, "Let me in")
        with pytest.raises(NotFound):
            staff_side.my_case(stranger, case_id)
        with pytest.raises(NotFound):
            staff_side.post_customer_message(customer, case_id + 999, "Nothing here")
        assert staff_side.my_cases(stranger).total == 0
    assert [k for k, _ in notes_of(app, case_id)] == ["reply"]


def test_the_customer_sees_messages_but_never_notes_or_events(app, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        staff_side.change_case(staff, case_id, note="Internal: refund them quietly.",
                               state="in_progress")
        staff_side.post_staff_message(staff, case_id, "We are on it.", state="waiting")
        staff_side.post_customer_message(customer, case_id, "Thanks!")
        mine = staff_side.my_case(customer, case_id)
        listed = staff_side.my_cases(customer)
    assert [(m.kind, m.body) for m in mine.messages] == [("reply", "We are on it."),
                                                         ("customer", "Thanks!")]
    assert [c.case.id for c in listed.items] == [case_id]
    assert [m.kind for m in listed.items[0].messages] == ["reply", "customer"]


def test_two_customer_messages_at_once_both_land_in_commit_order(app, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "Anything else?", state="waiting")

    def answer(index: int):
        person = db.session.get(User, customer.id)
        return staff_side.post_customer_message(person, case_id, f"answer {index}").id

    results = run_in_threads(app, answer, 2)
    assert all(isinstance(r, int) for r in results), results
    with app.app_context():
        notes = db.session.scalars(select(CaseNote).where(
            CaseNote.case_id == case_id, CaseNote.kind == "customer")
            .order_by(CaseNote.created_at, CaseNote.id)).all()
        case = db.session.get(Case, case_id)
        assert sorted(n.body for n in notes) == ["answer 0", "answer 1"]
        assert [n.id for n in notes] == sorted(n.id for n in notes)  # time order = id order
        assert case.last_message_preview == notes[-1].body
        assert case.state == "in_progress" and case.waiting_since is None
        events = db.session.scalar(select(func.count(CaseNote.id)).where(
            CaseNote.case_id == case_id, CaseNote.kind == "event"))
    assert events == 2  # into waiting, and out of it once: the second answer found it open


def test_my_cases_pages_in_the_same_statements_for_one_case_or_many(app, staff, customer):
    def listing_statements() -> int:
        with counting_statements(app) as statements, app.app_context():
            page = staff_side.my_cases(db.session.get(User, customer.id))
            assert all(c.messages for c in page.items)
        return len(statements)

    first = factories.case(customer_id=customer.id, source_id=1)
    factories.staff_message(staff, first, "One")
    one = listing_statements()
    for source_id in range(2, 8):
        case_id = factories.case(customer_id=customer.id, source_id=source_id)
        factories.staff_message(staff, case_id, f"Message {source_id}")
        with app.app_context():
            staff_side.post_customer_message(customer, case_id, "Reply")
    assert listing_statements() == one
    factories.case(customer_id=customer.id, source_id=99)  # nobody wrote: not listed
    with app.app_context():
        assert staff_side.my_cases(customer).total == 7
