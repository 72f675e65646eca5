"""An SLA that escalates (issue 14): an overdue case tells its team's owners once, in-app and
by mail; never a waiting case; again after its due time moved later; once under two
workers at once; the command and its loop."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests import factories
from tests.conftest import run_in_threads
from voice.admin import service
from voice.admin.models import AuditEntry, Case, CaseNote
from voice.admin.service import escalation
from voice.clock import utcnow
from voice.extensions import db
from voice.loop.models import Notification, OutboxMail

T0 = utcnow().replace(microsecond=0) - timedelta(days=2)
SLA = 4  # hours: every case below is due at T0 + 4 h


def billing(admin, *owners) -> int:
    return factories.team(admin, "Billing", owners=[o.email for o in owners])


def overdue_case(team_id: int, customer_id: int | None = None, number: int = 1) -> int:
    return factories.case(team_id=team_id, occurred_at=T0, sla_hours=SLA, source_id=number,
                          customer_id=customer_id)


def notices(app, user_id: int) -> list[tuple[str, str]]:
    with app.app_context():
        return [(n.kind, n.link) for n in db.session.scalars(
            select(Notification).where(Notification.user_id == user_id)
            .order_by(Notification.id))]


def mails(app, address: str) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(OutboxMail.category).where(
            OutboxMail.to_address == address, OutboxMail.kind == "case_escalated")))


def get(app, case_id: int) -> Case:
    with app.app_context():
        case = db.session.get(Case, case_id)
        db.session.expunge(case)
        return case


def test_an_overdue_case_tells_each_owner_once_in_app_and_by_mail(app, admin, make_user):
    owner, second, bystander = make_user("staff"), make_user("staff"), make_user("staff")
    team_id = billing(admin, owner, second)
    case_id = overdue_case(team_id)
    late = T0 + timedelta(hours=SLA, minutes=1)
    with app.app_context():
        assert service.escalate_overdue(now=late) == 1
        assert service.escalate_overdue(now=late + timedelta(hours=1)) == 0  # once
    for person in (owner, second):
        assert notices(app, person.id) == [("case_escalated", f"/admin/cases/{case_id}")]
        assert mails(app, person.email) == ["team_cases"]
    assert notices(app, bystander.id) == [] and notices(app, admin.id) == []
    case = get(app, case_id)
    assert case.escalated_at == late
    with app.app_context():
        [event] = db.session.scalars(select(CaseNote.body).where(
            CaseNote.case_id == case_id, CaseNote.kind == "event")).all()
        [entry] = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "case.escalate")).all()
    assert "Escalated to the team's owners" in event and "(0 h)" in event
    assert entry.target_id == case_id and owner.email in entry.detail


def test_not_yet_due_waiting_and_closed_cases_do_not_escalate(app, admin, staff, customer):
    team_id = billing(admin, staff)
    due_later = factories.case(team_id=team_id, occurred_at=T0, sla_hours=100, source_id=1)
    waiting = overdue_case(team_id, customer.id, number=2)
    closed = overdue_case(team_id, customer.id, number=3)
    with app.app_context():
        service.change_case(staff, waiting, state="waiting", reply="Which browser?",
                            now=T0 + timedelta(hours=1))
        service.change_case(staff, closed, state="closed", reply="Fixed.",
                            now=T0 + timedelta(hours=1))
        # Waiting since T0 + 1 h: the clock stopped 3 h before the due time.
        assert service.escalate_overdue(now=T0 + timedelta(hours=20)) == 0
    assert notices(app, staff.id) == []
    assert [get(app, c).escalated_at for c in (due_later, waiting, closed)] == [None] * 3


def test_a_team_without_owners_escalates_to_the_admins(app, admin, make_user):
    other_admin = make_user("admin")
    team_id = billing(admin)
    overdue_case(team_id)
    with app.app_context():
        assert service.escalate_overdue(now=T0 + timedelta(hours=SLA + 1)) == 1
    assert [kind for kind, _ in notices(app, admin.id)] == ["case_escalated"]
    assert [kind for kind, _ in notices(app, other_admin.id)] == ["case_escalated"]


def test_a_due_time_moved_later_escalates_again_once_overdue_again(app, admin, staff):
    team_id = billing(admin, staff)
    case_id = overdue_case(team_id)
    first = T0 + timedelta(hours=SLA + 1)
    with app.app_context():
        assert service.escalate_overdue(now=first) == 1
        service.change_case(staff, case_id, due_at=first + timedelta(hours=10), now=first)
    assert get(app, case_id).escalated_at is None  # a new due time: a new chance
    with app.app_context():
        assert service.escalate_overdue(now=first + timedelta(hours=9)) == 0
        assert service.escalate_overdue(now=first + timedelta(hours=11)) == 1
        # A due time moved earlier keeps the escalation: it is still as late as it was.
        service.change_case(staff, case_id, due_at=first, now=first + timedelta(hours=11))
    assert get(app, case_id).escalated_at == first + timedelta(hours=11)
    assert [kind for kind, _ in notices(app, staff.id)] == ["case_escalated"] * 2


def test_a_case_resumed_from_waiting_escalates_when_overdue_on_the_working_clock(
        app, admin, staff, customer):
    team_id = billing(admin, staff)
    case_id = overdue_case(team_id, customer.id)  # due T0 + 4 h
    with app.app_context():
        assert service.escalate_overdue(now=T0 + timedelta(hours=5)) == 1
        service.change_case(staff, case_id, state="waiting", reply="Which browser?",
                            now=T0 + timedelta(hours=5))
        service.post_customer_message(customer, case_id, "Firefox.",
                                      now=T0 + timedelta(hours=15))
    case = get(app, case_id)
    # 10 hours of waiting moved the due time to T0 + 14 h, which is already past.
    assert case.state == "in_progress" and case.due_at == T0 + timedelta(hours=14)
    assert case.escalated_at is None
    with app.app_context():
        assert service.escalate_overdue(now=T0 + timedelta(hours=15)) == 1
    escalations = [kind for kind, _ in notices(app, staff.id) if kind == "case_escalated"]
    assert escalations == ["case_escalated"] * 2


def test_two_workers_at_once_tell_each_owner_exactly_once(app, admin, make_user):
    owners = [make_user("staff"), make_user("staff")]
    team_id = billing(admin, *owners)
    cases = [overdue_case(team_id, number=n) for n in range(1, 13)]
    late = T0 + timedelta(hours=SLA + 2)

    def work(_index: int) -> int:
        return service.escalate_overdue(now=late)

    results = run_in_threads(app, work, 2)
    assert all(isinstance(r, int) for r in results), results
    assert sum(results) == len(cases)  # every case claimed, by one worker each
    for owner in owners:
        assert sorted(link for _, link in notices(app, owner.id)) == sorted(
            f"/admin/cases/{c}" for c in cases)
        assert len(mails(app, owner.email)) == len(cases)
    with app.app_context():
        assert db.session.scalar(select(func.count(CaseNote.id)).where(
            CaseNote.kind == "event", CaseNote.body.startswith("Escalated"))) == len(cases)


def test_a_claim_lost_to_another_worker_tells_nobody(app, admin, staff):
    team_id = billing(admin, staff)
    case_id = overdue_case(team_id)
    late = T0 + timedelta(hours=SLA + 1)
    with app.app_context():
        assert escalation.escalate_one(case_id, late) is True
        assert escalation.escalate_one(case_id, late) is False  # what the slower one sees
    assert len(notices(app, staff.id)) == 1


def test_the_command_escalates_and_says_how_many(app, admin, staff):
    team_id = billing(admin, staff)
    overdue_case(team_id)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["cases", "escalate"])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == "Escalated 1 overdue case."
    again = runner.invoke(args=["cases", "escalate", "--quiet"])
    assert again.exit_code == 0 and again.output == ""
    assert len(notices(app, staff.id)) == 1
