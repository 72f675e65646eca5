"""The dashboard's figures against hand-computed values: the pure helpers, then the whole page."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

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
    from voice.surveys import service as surveys

    staff = make_user("staff")
    real_now = utcnow().replace(microsecond=0)
    this_week = metrics.week_start(real_now)
    week_a = datetime.combine(this_week - timedelta(weeks=2), datetime.min.time())
    week_b = datetime.combine(this_week, datetime.min.time())
    now = max(real_now, week_b + timedelta(hours=1))  # week B's answers are in the past
    with app.app_context():
        survey = surveys.create_survey(staff, "Relationship survey", status="open", questions=[
            {"kind": "nps", "prompt": "Recommend us?", "required": False},
            {"kind": "csat", "prompt": "Satisfied?", "required": False},
            {"kind": "text", "prompt": "Why?", "required": False}])
        survey_id = survey.id
        nps_q, csat_q, text_q = [q.id for q in surveys.load_survey(survey_id).questions]
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
        user = make_user()
        with app.app_context():
            ids.append(surveys.submit_response(survey_id, user, values,
                                               submitted_at=moment).id)
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
