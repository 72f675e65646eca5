"""Cases follow their signals (issue 14): an idea done or declined, an idea merged, a market
resolved or voided closes its open cases, in the sender's transaction, with an event in the
case's history and an entry in the audit log; the customer is not told twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from voice.admin import service
from voice.admin.models import AuditEntry, Case, CaseNote
from voice.admin.service import following
from voice.clock import utcnow
from voice.extensions import db
from voice.ideas import service as ideas
from voice.loop.models import Notification
from voice.markets import service as markets

#: Whole seconds, a day back: every time below is explicit.
T0 = utcnow().replace(microsecond=0) - timedelta(days=1)


def case_of(app, source_type: str, source_id: int) -> Case:
    """The (one) case of a source, detached with its columns loaded."""
    with app.app_context():
        case = db.session.scalars(select(Case).where(
            Case.source_type == source_type, Case.source_id == source_id)).one()
        db.session.expunge(case)
        return case


def notes_of(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(n.kind, n.body) for n in db.session.scalars(
            select(CaseNote).where(CaseNote.case_id == case_id).order_by(CaseNote.id))]


def audit_of(app, case_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(e.action, e.detail) for e in db.session.scalars(
            select(AuditEntry).where(AuditEntry.target_type == "case",
                                     AuditEntry.target_id == case_id).order_by(AuditEntry.id))]


def notices_of(app, user_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(Notification.kind).where(
            Notification.user_id == user_id).order_by(Notification.id)))


# --- an idea done or declined ----------------------------------------------------------------


def test_an_idea_done_with_a_note_closes_its_case_with_that_note_as_the_reply(
        app, staff, customer, make_user):
    idea_id = factories.idea(customer, "Export invoices to PDF")
    other_id = factories.idea(make_user(), "Dark mode")
    case = case_of(app, "idea", idea_id)
    assert case.state == "new" and case.customer_id == customer.id
    done_at = T0 + timedelta(hours=30)
    with app.app_context():
        ideas.change_status(staff, idea_id, "done", "Shipped in 4.2: *Export* is in the menu.",
                            now=done_at)
    case = case_of(app, "idea", idea_id)
    assert case.state == "closed" and case.closed_at == done_at
    assert case.reply == "Shipped in 4.2: *Export* is in the menu."
    assert case.replied_at == done_at and case.replied_by_id == staff.id
    assert case.first_response_at == done_at
    assert case.last_message_preview.startswith("Shipped in 4.2")
    assert case.last_message_by_customer is False
    kinds = [kind for kind, _ in notes_of(app, case.id)]
    assert kinds == ["reply", "event"]
    assert "became done" in notes_of(app, case.id)[1][1]
    [(action, detail)] = audit_of(app, case.id)
    assert action == "case.follow" and "became done" in detail
    # The customer got the status change, and nothing more: no second notice of the reply.
    assert notices_of(app, customer.id) == ["idea_status"]
    assert case_of(app, "idea", other_id).state == "new"  # another idea's case stays


def test_a_declined_idea_without_a_note_records_the_sentence_that_went_out(app, staff,
                                                                          customer):
    idea_id = factories.idea(customer, "Fax support")
    with app.app_context():
        ideas.change_status(staff, idea_id, "declined", "", now=T0)
    case = case_of(app, "idea", idea_id)
    assert (case.state, case.reply) == ("closed", "“Fax support” is now declined.")


def test_a_planned_idea_keeps_its_case_open(app, staff, customer):
    idea_id = factories.idea(customer)
    with app.app_context():
        ideas.change_status(staff, idea_id, "planned", "Next quarter.")
    case = case_of(app, "idea", idea_id)
    assert case.state == "new" and case.reply is None
    assert notes_of(app, case.id) == [] and audit_of(app, case.id) == []


def test_a_closed_case_is_left_as_it_was(app, staff, customer):
    idea_id = factories.idea(customer)
    case_id = case_of(app, "idea", idea_id).id
    with app.app_context():
        service.change_case(staff, case_id, state="closed", reply="Thanks, noted.", now=T0)
        ideas.change_status(staff, idea_id, "done", "Shipped.", now=T0 + timedelta(hours=1))
    case = case_of(app, "idea", idea_id)
    assert (case.reply, case.closed_at) == ("Thanks, noted.", T0)
    assert not [a for a, _ in audit_of(app, case_id) if a == "case.follow"]


def test_a_waiting_case_stops_waiting_as_it_closes(app, staff, customer):
    idea_id = factories.idea(customer)
    case_id = case_of(app, "idea", idea_id).id
    with app.app_context():
        service.change_case(staff, case_id, state="waiting", reply="Which export format?",
                            now=T0)
        ideas.change_status(staff, idea_id, "done", "PDF and CSV both ship.",
                            now=T0 + timedelta(hours=5))
    case = case_of(app, "idea", idea_id)
    assert case.state == "closed" and case.waiting_since is None
    assert case.paused_seconds == 5 * 3600  # the wait, left out of the working clock


def test_the_close_is_part_of_the_status_change_transaction(app, staff, customer,
                                                            monkeypatch):
    """A failure while closing the cases undoes the status change too: nothing half-done."""
    idea_id = factories.idea(customer)

    def broken(*_args, **_kwargs):
        raise RuntimeError("the disk is full")

    monkeypatch.setattr(following, "close_with_reply", broken)
    with app.app_context(), pytest.raises(RuntimeError):
        ideas.change_status(staff, idea_id, "done", "Shipped.")
    with app.app_context():
        assert ideas.get_idea(idea_id).status == "open"
    assert case_of(app, "idea", idea_id).state == "new"


# --- an idea merged --------------------------------------------------------------------------


def test_a_merged_ideas_case_closes_pointing_at_the_survivors_open_case(app, staff, make_user):
    first, second = make_user(), make_user()
    survivor_id = factories.idea(first, "Export to PDF")
    duplicate_id = factories.idea(second, "PDF export please")
    into = case_of(app, "idea", survivor_id)
    merged_at = T0 + timedelta(hours=2)
    with app.app_context():
        ideas.merge_ideas(staff, duplicate_id, survivor_id, now=merged_at)
    moved = case_of(app, "idea", duplicate_id)
    assert moved.state == "closed" and moved.merged_into_id == into.id
    assert moved.closed_at == merged_at and moved.reply is None  # the merge notice told them
    [(kind, text)] = notes_of(app, moved.id)
    assert kind == "event" and f"Merged into case #{into.id}" in text
    [(kind, text)] = notes_of(app, into.id)
    assert kind == "event" and f"Case #{moved.id}" in text and "merged into this one" in text
    assert case_of(app, "idea", survivor_id).state == "new"
    [(action, detail)] = audit_of(app, moved.id)
    assert action == "case.merge" and f"pointing at case #{into.id}" in detail


def test_without_an_open_survivor_case_it_closes_pointing_at_the_survivor_idea(
        app, staff, make_user):
    survivor_id = factories.idea(make_user(), "Export to PDF")
    duplicate_id = factories.idea(make_user(), "PDF export please")
    with app.app_context():
        service.change_case(staff, case_of(app, "idea", survivor_id).id, state="closed",
                            reply="On the roadmap.")
        ideas.merge_ideas(staff, duplicate_id, survivor_id)
    moved = case_of(app, "idea", duplicate_id)
    assert moved.state == "closed" and moved.merged_into_id is None
    [(kind, text)] = notes_of(app, moved.id)
    assert f"merged into idea #{survivor_id}" in text and "no open case" in text
    [(action, detail)] = audit_of(app, moved.id)
    assert action == "case.merge" and f"pointing at idea #{survivor_id}" in detail


# --- a market settled ------------------------------------------------------------------------


def market_case(app, staff, *, customer_id: int | None = None) -> tuple[int, list[int], int]:
    market_id, outcomes = factories.market(staff)
    case_id = factories.case(source="market_move", source_id=market_id,
                             customer_id=customer_id, title="Will offline mode ship?")
    return market_id, outcomes, case_id


def test_a_resolved_market_closes_its_swing_case_with_the_resolution_note(app, staff):
    market_id, (yes, _no), case_id = market_case(app, staff)
    with app.app_context():
        markets.resolve_market(staff, market_id, yes, note="It shipped on 3 March.")
    case = case_of(app, "market", market_id)
    assert case.id == case_id and case.state == "closed" and case.reply is None
    [(kind, text)] = notes_of(app, case_id)  # nobody to reply to: the history says it
    assert kind == "event" and "resolved as “Yes”" in text
    [(action, detail)] = audit_of(app, case_id)
    assert action == "case.follow" and "It shipped on 3 March." in detail


def test_a_voided_market_closes_its_case_with_a_reply_when_it_has_a_customer(
        app, staff, customer):
    market_id, _outcomes, case_id = market_case(app, staff, customer_id=customer.id)
    with app.app_context():
        markets.void_market(staff, market_id, note="The question was unclear.")
    case = case_of(app, "market", market_id)
    assert case.state == "closed" and case.reply == "The question was unclear."
    assert [kind for kind, _ in notes_of(app, case_id)] == ["reply", "event"]
    assert "was voided" in notes_of(app, case_id)[1][1]


def test_the_open_count_drops_when_the_signal_closes_its_cases(app, staff, customer):
    idea_id = factories.idea(customer)
    with app.app_context():
        before = service.build_dashboard().open_total
        ideas.change_status(staff, idea_id, "done", "Shipped.")
        after = service.build_dashboard().open_total
        closed = db.session.scalar(select(func.count(Case.id)).where(Case.state == "closed"))
    assert (before, after, closed) == (1, 0, 1)


def test_the_close_time_defaults_to_the_present_without_one_from_the_sender(app, staff,
                                                                            customer):
    idea_id = factories.idea(customer)

    class Sent:  # what a sender without a time would give
        id = idea_id
        title = "Export invoices to PDF"

    started = utcnow().replace(microsecond=0)
    with app.app_context():
        assert len(following.idea_finished(Sent(), "done", "Shipped.", staff)) == 1
        db.session.commit()
    assert case_of(app, "idea", idea_id).closed_at >= started
