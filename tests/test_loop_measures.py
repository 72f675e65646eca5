"""Loop measures that mean it (issue 14): signals answered, customers who answered back,
and the durations on the working clock (the waits on the customer left out), against
figures computed by hand from the fixture's times; open and overdue counts where a waiting
case is never overdue; the SQL path equal to the readable reference."""

from __future__ import annotations

import random
from datetime import datetime, timedelta

import pytest
from sqlalchemy import insert, select

from tests import factories
from voice.admin import dashboard, metrics, service
from voice.admin.metrics import CaseTimes
from voice.admin.models import OPEN_STATES, Case, CaseNote, Team
from voice.extensions import db

#: A Monday morning; the dashboard is looked at two days later.
T = datetime(2026, 3, 2, 9, 0)
NOW = T + timedelta(hours=48)
H = timedelta(hours=1)


# --- the pure rules ---------------------------------------------------------------------------


def test_working_seconds_leave_the_pauses_out():
    assert metrics.working_seconds(T, T + 10 * H) == 36000
    assert metrics.working_seconds(T, T + 10 * H, paused_seconds=3 * 3600) == 7 * 3600
    # Still waiting since T + 6 h: the 4 hours of that stop are left out too.
    assert metrics.working_seconds(T, T + 10 * H, 3600, waiting_since=T + 6 * H) == 5 * 3600
    # A stop that starts after the end leaves nothing out; never below zero.
    assert metrics.working_seconds(T, T + 2 * H, 0, waiting_since=T + 5 * H) == 7200
    assert metrics.working_seconds(T, T + H, paused_seconds=5 * 3600) == 0


def test_the_readable_reference_counts_by_hand():
    rows = [
        CaseTimes("x", T, T + 2 * H, T + 20 * H, True, paused_seconds=10 * 3600,
                  customer_id=1, answered_back=True),
        CaseTimes("x", T, T + H, None, True, waiting_since=T + 40 * H, customer_id=2),
        CaseTimes("x", T, None, None, False, replyable=False),
    ]
    [x] = metrics.loop_measures(rows, now=NOW)
    assert (x.cases, x.identified, x.answered, x.answered_share) == (3, 2, 2, 100.0)
    assert (x.answered_back, x.customers, x.customers_answered_back) == (1, 2, 1)
    assert x.answered_back_share == 50.0
    assert x.median_close_hours == 10.0  # 20 h minus the 10 h wait
    assert x.median_open_hours == 44.0  # 48 h and 40 h (8 h of running wait left out)


# --- the dashboard against a hand-made week ---------------------------------------------------


@pytest.fixture
def week(app, admin, make_user):
    """Five cases of Billing (48-hour SLA) opened in the week of T:

    A (c1) T: reply + waiting at T+2h, the customer answers at T+12h, closed at T+20h.
    B (c2) T+1h: reply + waiting at T+5h, still waiting.
    C (c1) T+3h: nobody answered yet.
    D (anonymous) T+4h: closed at T+10h (nobody to reply to).
    E (c3) T+6h: closed with a reply at T+9h; the customer writes back at T+30h: reopened.
    """
    staff = make_user("staff")
    c1, c2, c3 = make_user(), make_user(), make_user()
    team_id = factories.team(admin, "Billing", owners=[staff.email])

    def opened(customer, hours: int, number: int) -> int:
        return factories.case(team_id=team_id, customer_id=customer.id if customer else None,
                              occurred_at=T + hours * H, sla_hours=48, source_id=number)

    a, b, c, d, e = (opened(c1, 0, 1), opened(c2, 1, 2), opened(c1, 3, 3), opened(None, 4, 4),
                     opened(c3, 6, 5))
    with app.app_context():
        service.change_case(staff, a, state="waiting", reply="Which browser?", now=T + 2 * H)
        service.post_customer_message(c1, a, "Firefox 128.", now=T + 12 * H)
        service.change_case(staff, a, state="closed", reply="Fixed for Firefox.",
                            now=T + 20 * H)
        service.change_case(staff, b, state="waiting", reply="Can you send a screenshot?",
                            now=T + 5 * H)
        service.change_case(staff, d, state="closed", note="Anonymous: noted.", now=T + 10 * H)
        service.change_case(staff, e, state="closed", reply="Refunded.", now=T + 9 * H)
        service.post_customer_message(c3, e, "Still charged twice.", now=T + 30 * H)
        board = dashboard.build(now=NOW)
    return {"board": board, "team_id": team_id, "cases": (a, b, c, d, e), "staff": staff}


def test_signals_answered_and_customers_who_answered_back(week):
    board = week["board"]
    [m] = [row for row in board.loop_teams if row.key == week["team_id"]]
    assert m.cases == 5
    # A, B, C, E have a customer (D is anonymous); staff wrote to A, B and E.
    assert (m.identified, m.answered, m.answered_share) == (4, 3, 75.0)
    # A and E wrote back; of the customers c1, c2, c3, c1 (A) and c3 (E) did.
    assert (m.answered_back, m.customers, m.customers_answered_back) == (2, 3, 2)
    assert m.answered_back_share == pytest.approx(200 / 3)
    assert board.loop_total.answered == 3 and board.loop_total.customers == 3
    [this_week] = [w for w in board.loop_weeks if w.key == T.date()]
    assert (this_week.cases, this_week.answered, this_week.answered_back) == (5, 3, 2)


def test_durations_on_the_working_clock(week):
    [m] = [row for row in week["board"].loop_teams if row.key == week["team_id"]]
    # First responses (wall time): A 2 h, B 4 h, D 6 h, E 3 h -> median 3.5 h.
    assert m.median_first_response_hours == pytest.approx(3.5)
    # Closed: A after 20 h of which 10 h waiting -> 10 h; D 6 h -> median 8 h. E reopened.
    assert (m.closed, m.closed_replyable, m.closed_with_reply) == (2, 1, 1)
    assert m.median_close_hours == pytest.approx(8.0)
    # Open at NOW (T + 48 h): B 47 h of which 43 h waiting -> 4 h; C 45 h; E 42 h -> 42 h.
    assert m.median_open_hours == pytest.approx(42.0)


def test_open_waiting_and_overdue_counts(week, app):
    board = week["board"]
    [row] = [r for r in board.team_cases if r.team_id == week["team_id"]]
    assert (row.open, row.waiting, row.overdue, row.escalated) == (3, 1, 0, 0)
    with app.app_context():
        later = dashboard.build(now=T + 60 * H)
    # At T + 60 h: C is due at T + 51 h (overdue); B at T + 49 h but waits (never overdue);
    # E reopened at T + 30 h with a new 48-hour span: due at T + 78 h.
    [row] = [r for r in later.team_cases if r.team_id == week["team_id"]]
    assert (row.open, row.waiting, row.overdue) == (3, 1, 1)


def test_the_dashboard_shows_the_new_figures(week, app, login):
    with app.app_context():
        assert service.escalate_overdue(now=T + 60 * H) == 1  # C
    page = login(week["staff"]).get("/admin").get_data(as_text=True)
    # The page is built at the present, long after T: every open case but B is overdue.
    assert '<span data-figure="waiting">1</span> waiting on the customer' in page
    assert '<span data-figure="escalated">1</span> escalated' in page
    assert '<strong data-figure="overdue">2</strong>' in page  # C and E, not B
    assert 'data-escalated="1"' in page
    assert "Signals answered" in page and "Median age open" in page


# --- the SQL path equals the reference, pauses and notes included ------------------------------


def test_the_sql_measures_equal_the_reference_with_pauses_and_answers(app, make_user):
    rng = random.Random(14)
    customers = [make_user().id for _ in range(4)]
    now = datetime(2026, 3, 4, 15, 30)
    weeks = metrics.weeks_back(now, dashboard.WEEKS)
    since = datetime.combine(weeks[0], datetime.min.time())
    with app.app_context():
        service.ensure_defaults()
        db.session.execute(insert(Team), [{"name": f"Team {i}"} for i in range(2)])
        teams = list(db.session.scalars(select(Team.id).order_by(Team.id)))
        rows = [_random_case(rng, number, since, now, teams, customers)
                for number in range(120)]
        db.session.execute(insert(Case), rows)
        ids = dict(db.session.execute(select(Case.source_id, Case.id)).all())
        wrote = [r["source_id"] for r in rows if r["customer_id"] and rng.random() < 0.4]
        db.session.execute(insert(CaseNote), [
            {"case_id": ids[n], "kind": "customer", "body": "Thanks", "created_at": now}
            for n in wrote])
        db.session.commit()
        board = dashboard.build(now=now)

    kept = [r for r in rows if since <= r["created_at"] <= now]
    assert 0 < len(kept) < len(rows)
    reference = [CaseTimes(
        r["team_id"], r["created_at"], r["first_response_at"], r["closed_at"],
        r["replied_at"] is not None, replyable=r["customer_id"] is not None,
        paused_seconds=r["paused_seconds"], waiting_since=r["waiting_since"],
        customer_id=r["customer_id"], answered_back=r["source_id"] in wrote) for r in kept]
    expected = metrics.loop_measures(reference, keys=[row.team_id for row in board.team_cases],
                                     now=now)
    assert [_figures(m) for m in board.loop_teams] == [_figures(m) for m in expected]


def _random_case(rng: random.Random, number: int, since: datetime, now: datetime,
                 teams: list[int], customers: list[int]) -> dict:
    opened = since - timedelta(days=10) + timedelta(minutes=rng.randrange(120_000))
    opened = min(opened, now - timedelta(hours=1))
    state = rng.choice(["new", "in_progress", "waiting", "closed", "closed", "wont_do"])
    first = opened + timedelta(seconds=rng.randrange(60, 90_000))
    closed = first + timedelta(seconds=rng.randrange(0, 300_000))
    waiting = first + timedelta(seconds=rng.randrange(0, 50_000)) if state == "waiting" else None
    customer = rng.choice([None, *customers])
    return {
        "source_type": "idea", "source_id": number, "rule_id": 4, "team_id": rng.choice(teams),
        "state": state, "due_at": opened, "created_at": opened, "updated_at": opened,
        "first_response_at": None if state == "new" else first,
        "closed_at": closed if state not in OPEN_STATES else None,
        "customer_id": customer, "paused_seconds": rng.choice([0, 0, 3600, 12_345]),
        "waiting_since": waiting if waiting is not None and waiting < now else None,
        "replied_at": closed if customer and rng.random() < 0.6 else None}


def _figures(m: metrics.LoopMeasures) -> tuple:
    near = lambda value: pytest.approx(value, abs=1e-6)  # noqa: E731
    return (m.key, m.cases, m.closed, m.closed_replyable, m.closed_with_reply, m.responded,
            m.identified, m.answered, m.answered_back, m.customers, m.customers_answered_back,
            near(m.median_first_response_hours), near(m.median_close_hours),
            near(m.median_open_hours))
