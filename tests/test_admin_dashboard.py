"""The dashboard's figures against hand-computed values: the pure helpers, then the whole page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import insert, select

from tests import factories
from voice.admin import dashboard, metrics, service
from voice.admin.metrics import CaseTimes
from voice.clock import utcnow

# --- pure helpers -------------------------------------------------------------------------


def test_week_start_is_the_monday():
    assert metrics.week_start(date(2026, 3, 4)) == date(2026, 3, 2)  # a Wednesday
    assert metrics.week_start("2026-03-02") == date(2026, 3, 2)
    assert metrics.week_start(datetime(2026, 3, 8, 23, 59)) == date(2026, 3, 2)  # Sunday
    assert metrics.weeks_back(datetime(2026, 3, 4, 12), 3) == [
        date(2026, 2, 16), date(2026, 2, 23), date(2026, 3, 2)]


def test_fold_nps_by_week():
    weeks = [date(2026, 2, 23), date(2026, 3, 2)]
    rows = [("2026-02-24", 10, 2), ("2026-02-25", 3, 1), ("2026-02-28", 8, 1),
            (date(2026, 3, 2), 6, 2), ("2026-03-03", 9, 1), ("2026-01-01", 0, 5)]
    first, second = metrics.fold_scores(rows, weeks, "nps")
    # Week 1: 2 promoters, 1 passive, 1 detractor of 4 -> 25.
    assert (first.responses, first.promoters, first.passives, first.detractors) == (4, 2, 1, 1)
    assert first.nps == 25.0
    assert first.mean == (10 * 2 + 3 + 8) / 4
    # Week 2: 1 promoter, 2 detractors of 3 -> -33.3.
    assert second.nps == pytest.approx(-100 / 3)
    total = metrics.overall([first, second])
    assert total.responses == 7 and total.nps == pytest.approx(100 * (3 - 3) / 7)


def test_fold_csat_and_empty_weeks():
    weeks = [date(2026, 3, 2), date(2026, 3, 9)]
    [week, empty] = metrics.fold_scores([("2026-03-03", 5, 1), ("2026-03-03", 4, 1),
                                         ("2026-03-04", 2, 1)], weeks, "csat")
    assert week.csat == pytest.approx(200 / 3) and week.detractors == 1
    assert empty.csat is None and empty.nps is None and empty.mean is None


def test_medians_and_shares():
    assert metrics.median_hours([3600, 7200, 36000]) == 2.0
    assert metrics.median_hours([3600, 7200]) == 1.5
    assert metrics.median_hours([None]) is None
    assert metrics.share(1, 3) == pytest.approx(33.333333)
    assert metrics.share(0, 0) is None
    assert [metrics.trend(3, 1), metrics.trend(1, 3), metrics.trend(2, 2)] == [
        "up", "down", "flat"]


def test_loop_measures_per_key():
    t = datetime(2026, 3, 2, 9)
    rows = [
        CaseTimes("a", t, t + timedelta(hours=2), t + timedelta(hours=10), True),
        CaseTimes("a", t, t + timedelta(hours=4), t + timedelta(hours=30), False),
        CaseTimes("a", t, None, None, False),
        CaseTimes("a", t, t + timedelta(hours=6), t + timedelta(hours=6), False,
                  replyable=False),  # anonymous: closed, but no reply possible
        CaseTimes("b", t, t + timedelta(hours=1), None, False),
    ]
    a, b, c = metrics.loop_measures(rows, keys=["a", "b", "c"])
    assert (a.cases, a.closed, a.closed_replyable, a.closed_with_reply) == (4, 3, 2, 1)
    assert a.reply_share == 50.0
    assert a.median_first_response_hours == 4.0  # 2, 4, 6
    assert a.median_close_hours == 10.0  # 6, 10, 30
    assert (b.closed, b.reply_share, b.median_first_response_hours) == (0, None, 1.0)
    assert (c.cases, c.median_close_hours) == (0, None)


# --- the whole dashboard against a hand-made world ------------------------------------------


@pytest.fixture
def scored_world(app, make_user):
    """Two weeks of NPS/CSAT answers and their cases, at fixed times.

    Week A (Monday 2 weeks before NOW's week): NPS 10, 9, 3, 7 and CSAT 5, 2.
    Week B (NOW's week): NPS 0 and 8, CSAT 4; the NPS-0 customer wrote a comment.
    """
    staff = make_user("staff")
    real_now = utcnow().replace(microsecond=0)
    this_week = metrics.week_start(real_now)
    week_a = datetime.combine(this_week - timedelta(weeks=2), datetime.min.time())
    week_b = datetime.combine(this_week, datetime.min.time())
    # One hour into week B, whatever day the suite runs on: week B's answers are in the
    # past and the open case (due 48 h after its answer) is not yet overdue.
    now = week_b + timedelta(hours=1)
    survey = factories.survey(staff, [
        {"kind": "nps", "prompt": "Recommend us?", "required": False},
        {"kind": "csat", "prompt": "Satisfied?", "required": False},
        {"kind": "text", "prompt": "Why?", "required": False}], title="Relationship survey")
    survey_id = survey.id
    nps_q, csat_q, text_q = [q.id for q in survey.questions]
    answers = [
        (week_a + timedelta(hours=10), {nps_q: 10, csat_q: 5}),
        (week_a + timedelta(hours=11), {nps_q: 9}),
        (week_a + timedelta(hours=12), {nps_q: 3, csat_q: 2, text_q: "Too slow."}),
        (week_a + timedelta(hours=13), {nps_q: 7}),
        (week_b + timedelta(minutes=1), {nps_q: 0, text_q: "Billing is a mess."}),
        (week_b + timedelta(minutes=2), {nps_q: 8, csat_q: 4}),
    ]
    ids = []
    for moment, values in answers:
        ids.append(factories.response(survey_id, make_user(), values, submitted_at=moment).id)
    return {"staff": staff, "now": now, "ids": ids, "week_a": week_a, "week_b": week_b,
            "survey_id": survey_id}


def test_dashboard_figures(app, scored_world, login):
    staff = scored_world["staff"]
    week_a = scored_world["week_a"]
    ids = scored_world["ids"]
    with app.app_context():
        from sqlalchemy import select

        from voice.admin.models import Case
        from voice.extensions import db

        # Routed: response 3 (NPS 3, first rule), response 5 (NPS 0). Response 3's case was
        # opened at week_a+12h: reply after 2 h, close after 6 h. Response 5's stays open.
        found = {c.source_id: c.id for c in db.session.scalars(select(Case))}
        assert sorted(found) == [ids[2], ids[4]]
        service.change_case(staff, found[ids[2]], state="acknowledged",
                            now=week_a + timedelta(hours=14))
        service.change_case(staff, found[ids[2]], state="closed", reply="We sped it up.",
                            now=week_a + timedelta(hours=18))
        board = dashboard.build(now=scored_world["now"])

    weeks = {w.week: w for w in board.nps_weeks}
    a, b = weeks[week_a.date()], weeks[scored_world["week_b"].date()]
    assert (a.responses, a.nps) == (4, 25.0)  # (2 promoters - 1 detractor) / 4
    assert (b.responses, b.nps) == (2, -50.0)  # (0 - 1) / 2
    assert board.nps_total.responses == 6
    assert board.nps_total.nps == pytest.approx(100 * (2 - 2) / 6)
    csat = {w.week: w for w in board.csat_weeks}
    assert csat[week_a.date()].csat == 50.0  # 5 and 2
    assert csat[scored_world["week_b"].date()].csat == 100.0  # 4
    assert len(board.nps_weeks) == 12 and sum(w.responses for w in board.nps_weeks) == 6

    assert [(d.score, d.text) for d in board.detractors] == [(0, "Billing is a mess."),
                                                             (3, "Too slow.")]
    assert board.detractors[0].case_id is not None

    [triage] = [row for row in board.team_cases if row.name == "Triage"]
    assert (triage.open, triage.overdue) == (1, 0)  # the open one is due in 48 h

    [loop] = [m for m in board.loop_teams if m.key == triage.team_id]
    assert (loop.cases, loop.closed, loop.closed_with_reply, loop.reply_share) == (2, 1, 1, 100)
    assert loop.median_first_response_hours == 2.0  # acknowledged at +2 h
    assert loop.median_close_hours == 6.0
    week_measures = {m.key: m for m in board.loop_weeks}
    assert week_measures[week_a.date()].closed_with_reply == 1
    assert week_measures[scored_world["week_b"].date()].cases == 1

    page = login(staff).get("/admin").get_data(as_text=True)
    assert '<strong data-figure="open">1</strong>' in page
    assert '<strong data-figure="reply-share">100 %</strong>' in page
    assert f"/admin/scores?kind=nps&amp;week={week_a.date().isoformat()}&amp;max=6" in page
    assert "Billing is a mess." in page
    assert 'data-chart="scores"' in page and "data-chart-data=" in page
    # The loop figures cover the window, and say so; their links list the same cases.
    since = board.since.isoformat()
    assert f"The cases opened in the last 12 weeks (since {board.since:%d %b %Y})" in page
    assert f"replied=1&amp;since={since}\"><strong data-figure=\"reply-share\">" in page
    assert f"team={triage.team_id}&amp;since={since}" in page


def test_score_list_behind_a_figure(app, scored_world, login):
    week = scored_world["week_a"].date().isoformat()
    browser = login(scored_world["staff"])
    page = browser.get(f"/admin/scores?kind=nps&week={week}&max=6").get_data(as_text=True)
    assert "1 answer in the week of" in page and "case #" in page
    everything = browser.get(f"/admin/scores?kind=nps&week={week}").get_data(as_text=True)
    assert "4 answers" in everything
    assert browser.get("/admin/scores?kind=text").status_code == 400


def test_overdue_cases_count_by_team(app, scored_world):
    with app.app_context():
        later = scored_world["now"] + timedelta(days=3)  # past both 48-hour SLAs
        board = dashboard.build(now=later)
    [triage] = [row for row in board.team_cases if row.name == "Triage"]
    assert (triage.open, triage.overdue) == (2, 2)


def test_ideas_by_votes_with_trend_and_market(app, make_user):
    from sqlalchemy import update

    from voice.extensions import db
    from voice.ideas import service as ideas
    from voice.ideas.models import Vote
    from voice.markets import service as markets

    staff = make_user("staff")
    author = make_user()
    with app.app_context():
        top = ideas.submit_idea(author, "Offline mode", "").id
        second = ideas.submit_idea(author, "Dark mode", "").id
        markets.create_market(staff, "Will offline mode ship?", ["Yes", "No"], liquidity=100,
                              idea_id=top)
    voters = [make_user() for _ in range(3)]
    with app.app_context():
        for voter in voters:
            ideas.cast_vote(voter, top)
        ideas.cast_vote(voters[0], second)
        # Two of the top idea's votes were cast 10 days ago (the week before last).
        old = utcnow() - timedelta(days=10)
        db.session.execute(update(Vote).where(Vote.idea_id == top,
                                              Vote.user_id.in_([v.id for v in voters[:2]]))
                           .values(created_at=old))
        db.session.commit()
        rows = dashboard.top_ideas(utcnow())
    assert [(r.id, r.votes, r.votes_this_week, r.votes_last_week, r.trend) for r in rows] == [
        (top, 3, 1, 2, "down"), (second, 1, 1, 0, "up")]
    assert rows[0].probability == pytest.approx(50.0) and rows[1].market_id is None


# --- bounded by the window, whatever the history ---------------------------------------------


def _cases(app, count: int, now: datetime, first_number: int = 0) -> None:
    """``count`` cases spread over the dashboard's weeks, every third one closed."""
    from voice.admin.models import Case
    from voice.extensions import db

    with app.app_context():
        triage = service.ensure_defaults().id
        rows = []
        for number in range(first_number, first_number + count):
            opened = now - timedelta(hours=1 + 37 * number)
            done = number % 3 == 0
            rows.append({"source_type": "idea", "source_id": 10_000 + number, "rule_id": 4,
                         "team_id": triage, "state": "closed" if done else "new",
                         "due_at": opened + timedelta(hours=48), "created_at": opened,
                         "updated_at": opened,
                         "first_response_at": opened + timedelta(minutes=5 + number),
                         "closed_at": opened + timedelta(hours=1 + number) if done else None})
        db.session.execute(insert(Case), rows)
        db.session.commit()


def test_statements_do_not_grow_with_the_cases(app, make_user):
    """The dashboard's statements: scores, open cases, loop measures, top ideas, their
    markets, detractors; one each, with 3 cases as with 30."""
    from tests.conftest import counting_statements
    from voice.ideas import service as ideas

    author = make_user()
    with app.app_context():
        ideas.submit_idea(author, "Offline mode", "")  # routed: the first case
    now = utcnow()
    counts = []
    for first, count in ((0, 2), (2, 27)):
        _cases(app, count, now, first)
        with counting_statements(app) as statements, app.app_context():
            board = dashboard.build(now=now)
        counts.append((len(statements), board.loop_total.cases))
    assert counts == [(6, 3), (6, 30)]


def test_loop_measures_in_sql_equal_the_pure_reference(app, make_user):
    """The medians and counts the database computes (window functions) are those of
    metrics.loop_measures over the same cases: by team, by week and in all, odd and
    even groups, NULL times, anonymous customers, and no case from before the window."""
    import random

    from voice.admin.models import CLOSED_STATES, Case, Team
    from voice.extensions import db

    rng = random.Random(7)
    customers = [make_user().id, make_user().id]
    now = datetime(2026, 3, 4, 15, 30)
    weeks = metrics.weeks_back(now, dashboard.WEEKS)
    since = datetime.combine(weeks[0], datetime.min.time())
    with app.app_context():
        service.ensure_defaults()
        db.session.execute(insert(Team), [{"name": f"Team {i}"} for i in range(3)])
        teams = list(db.session.scalars(select(Team.id).order_by(Team.id)))
        rows = []
        for number in range(150):
            opened = since - timedelta(days=20) + timedelta(minutes=rng.randrange(150_000))
            first = opened + timedelta(seconds=rng.randrange(1, 200_000))
            state = rng.choice(["new", "in_progress", "closed", "closed", "wont_do"])
            closed = first + timedelta(seconds=rng.randrange(0, 400_000))
            customer = rng.choice([None, *customers])
            rows.append({
                "source_type": "idea", "source_id": number, "rule_id": 4,
                "team_id": rng.choice(teams[1:]),  # the first team (Triage) has no case
                "state": state, "due_at": opened, "created_at": opened, "updated_at": opened,
                "first_response_at": None if state == "new" else first,
                "closed_at": closed if state in CLOSED_STATES else None,
                "customer_id": customer,
                "replied_at": closed if state == "closed" and rng.random() < 0.5 else None})
        db.session.execute(insert(Case), rows)
        db.session.commit()
        board = dashboard.build(now=now)

    until = now + timedelta(seconds=1)
    kept = [r for r in rows if since <= r["created_at"] < until]
    assert 0 < len(kept) < len(rows)

    def reference(key):
        return [CaseTimes(key(r), r["created_at"], r["first_response_at"], r["closed_at"],
                          r["replied_at"] is not None, replyable=r["customer_id"] is not None)
                for r in kept]

    def figures(m):
        return (m.key, m.cases, m.closed, m.closed_replyable, m.closed_with_reply,
                m.responded, pytest.approx(m.median_first_response_hours, abs=1e-6),
                pytest.approx(m.median_close_hours, abs=1e-6))

    by_name = [row.team_id for row in board.team_cases]  # the page lists teams by name
    assert sorted(by_name) == teams
    by_team = metrics.loop_measures(reference(lambda r: r["team_id"]), keys=by_name)
    by_week = metrics.loop_measures(reference(lambda r: metrics.week_start(r["created_at"])),
                                    keys=weeks)
    [total] = metrics.loop_measures(reference(lambda r: 0), keys=[0])
    assert [figures(m) for m in board.loop_teams] == [figures(m) for m in by_team]
    assert [figures(m) for m in board.loop_weeks] == [figures(m) for m in by_week]
    assert figures(board.loop_total) == figures(total)
    [triage] = [m for m in board.loop_teams if m.key == teams[0]]
    assert triage.cases == 0 and triage.median_close_hours is None
    assert board.since == weeks[0]
