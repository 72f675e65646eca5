"""The staff home: the figures, aggregated in SQL (GROUP BY), folded by voice.admin.metrics.

Every figure carries the address of the list behind it (the view builds the links).

Its cost must not grow with the history: the scores come from the survey tallies (one
row per question, week and score), the detractors and the ideas are found by walking
indexes newest or biggest first with a LIMIT, and the loop measures cover the cases
opened in the reporting window only, so that work is bounded by the window's cases, not
by every case ever opened.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import numpy as np
from sqlalchemy import Float, case, cast, func, literal, select

from voice.admin import metrics
from voice.admin.models import CLOSED_STATES, OPEN_STATES, Case, Team
from voice.clock import utcnow
from voice.database import is_postgresql
from voice.extensions import db
from voice.paging import Page, paginate

WEEKS = 12
TOP_IDEAS = 10
DETRACTOR_COMMENTS = 5


@dataclass
class IdeaRow:
    id: int
    title: str
    status: str
    votes: int
    votes_this_week: int
    votes_last_week: int
    trend: str
    market_id: int | None = None
    probability: float | None = None  # percent


@dataclass
class TeamCases:
    team_id: int
    name: str
    open: int = 0
    overdue: int = 0


@dataclass
class DetractorComment:
    response_id: int
    survey_id: int
    survey_title: str
    score: int
    text: str
    created_at: datetime
    case_id: int | None = None


@dataclass
class Dashboard:
    now: datetime
    since: date  # the Monday the window opens: the scores and the loop measures start there
    ideas: list[IdeaRow]
    nps_weeks: list[metrics.ScoreWeek]
    csat_weeks: list[metrics.ScoreWeek]
    nps_total: metrics.ScoreWeek
    csat_total: metrics.ScoreWeek
    detractors: list[DetractorComment]
    team_cases: list[TeamCases]
    loop_teams: list[metrics.LoopMeasures]
    loop_weeks: list[metrics.LoopMeasures]
    loop_total: metrics.LoopMeasures
    team_names: dict[int, str] = field(default_factory=dict)

    @property
    def open_total(self) -> int:
        return sum(row.open for row in self.team_cases)

    @property
    def overdue_total(self) -> int:
        return sum(row.overdue for row in self.team_cases)


def top_ideas(now: datetime, limit: int = TOP_IDEAS) -> list[IdeaRow]:
    """The ideas with the most votes, with their votes of this week and the week before.

    The recent votes are counted for the top ideas only (a CTE takes them first), not
    grouped over every vote of the fortnight."""
    from voice.ideas.models import Idea, Vote

    week_ago, two_weeks_ago = now - timedelta(days=7), now - timedelta(days=14)
    top = (select(Idea.id, Idea.title, Idea.status, Idea.vote_count)
           .where(Idea.merged_into_id.is_(None))
           .order_by(Idea.vote_count.desc(), Idea.id).limit(limit).cte("top"))
    rows = db.session.execute(
        select(top.c.id, top.c.title, top.c.status, top.c.vote_count,
               func.count(Vote.id).filter(Vote.created_at >= week_ago),
               func.count(Vote.id).filter(Vote.created_at < week_ago))
        .outerjoin(Vote, (Vote.idea_id == top.c.id) & (Vote.created_at >= two_weeks_ago)
                   & (Vote.created_at <= now))
        .group_by(top.c.id, top.c.title, top.c.status, top.c.vote_count)
        .order_by(top.c.vote_count.desc(), top.c.id)
    ).all()
    ideas = [IdeaRow(id=i, title=t, status=s, votes=v, votes_this_week=tw, votes_last_week=lw,
                     trend=metrics.trend(tw, lw)) for i, t, s, v, tw, lw in rows]
    if ideas:
        from voice.markets.service import linked_markets

        linked = linked_markets([idea.id for idea in ideas])
        for idea in ideas:
            market = linked.get(idea.id)
            if market is not None:
                idea.market_id = market.market_id
                idea.probability = 100.0 * market.probability
    return ideas


SCORE_KINDS = ("nps", "csat")


def score_rows(weeks: list[date]) -> dict[str, list[tuple]]:
    """Per kind (nps, csat): (week, score, count) of the answers in ``weeks``, summed over
    every survey from the tallies the surveys keep (see voice/surveys/models.py), so the
    cost follows questions x weeks x scores, not the number of answers. A week is the
    Monday of the response's week, as the tallies count them."""
    from voice.surveys.models import Question, Tally

    scored = select(Question.id).where(Question.kind.in_(SCORE_KINDS))
    rows = db.session.execute(
        select(Question.kind, Tally.week, Tally.value, func.sum(Tally.count))
        .join(Question, Question.id == Tally.question_id)
        .where(Tally.question_id.in_(scored), Tally.week >= weeks[0], Tally.week <= weeks[-1],
               Tally.value != "")
        .group_by(Question.kind, Tally.week, Tally.value)
    ).all()
    found: dict[str, list[tuple]] = {kind: [] for kind in SCORE_KINDS}
    for kind, week, value, count in rows:
        if value.isdigit():
            found[kind].append((week, int(value), int(count)))
    return found


def latest_detractors(limit: int = DETRACTOR_COMMENTS) -> list[DetractorComment]:
    """The latest NPS detractors (0–6) who wrote something, with their text and case.

    One statement: the responses are walked newest first (ix_survey_responses_created_at)
    and each is probed (by ix_survey_answers_response_id) for a detractor score and a
    comment until ``limit`` are found. The probes are scalar subqueries, not EXISTS:
    PostgreSQL turns EXISTS into a semi-join and, misjudging how few answers are
    comments, may join every comment ever written instead of walking."""
    from voice.surveys.models import Answer, Question, Response, Survey

    def answers(column, kind: str):
        return (select(column).join(Question, Question.id == Answer.question_id)
                .where(Answer.response_id == Response.id, Question.kind == kind))

    score = answers(func.min(Answer.number), "nps").where(Answer.number <= 6).scalar_subquery()
    comment = (answers(Answer.text, "text").where(Answer.text.is_not(None), Answer.text != "")
               .order_by(Answer.id).limit(1).scalar_subquery())
    case_id = (select(func.min(Case.id))
               .where(Case.source_type == "survey_response", Case.source_id == Response.id)
               .scalar_subquery())
    rows = db.session.execute(
        select(Response.id, Survey.id, Survey.title, score, comment, Response.created_at,
               case_id)
        .join(Survey, Survey.id == Response.survey_id)
        .where(score.is_not(None), comment.is_not(None))
        .order_by(Response.created_at.desc(), Response.id.desc()).limit(limit)
    ).all()
    return [DetractorComment(response_id=r, survey_id=s, survey_title=t, score=int(n), text=x,
                             created_at=c, case_id=k) for r, s, t, n, x, c, k in rows]


def cases_by_team(now: datetime) -> list[TeamCases]:
    rows = db.session.execute(
        select(Team.id, Team.name, func.count(Case.id),
               func.count(Case.id).filter(Case.due_at < now))
        .outerjoin(Case, (Case.team_id == Team.id) & Case.state.in_(OPEN_STATES))
        .group_by(Team.id, Team.name).order_by(Team.name)
    ).all()
    return [TeamCases(team_id=i, name=n, open=o, overdue=d) for i, n, o, d in rows]


def _epoch_seconds(moment):
    """A timestamp as seconds since some epoch, in SQL (NULL stays NULL): PostgreSQL's
    Unix epoch, SQLite's Julian day x 86,400 (cheaper there than anything else)."""
    if is_postgresql():
        return cast(func.extract("epoch", moment), Float)
    return func.julianday(moment) * 86400.0


def loop_rows(weeks: list[date], until: datetime) -> list[tuple]:
    """(team id, week index in ``weeks``, opened, first response, closed (NULL unless its
    state is closed) as ``_epoch_seconds``, customer + 2 x replied) of each case opened
    from the first week's Monday until ``until``: the window's cases only
    (ix_cases_created_at), reduced in SQL to what the loop measures need."""
    mondays = [datetime.combine(week, datetime.min.time()) for week in weeks]
    later = [(Case.created_at < monday, index) for index, monday in enumerate(mondays[1:])]
    week_index = case(*later, else_=len(mondays) - 1) if later else literal(0)
    closed = Case.state.in_(CLOSED_STATES)
    flags = (case((Case.customer_id.is_not(None), 1), else_=0)
             + 2 * case((Case.replied_at.is_not(None), 1), else_=0))
    return db.session.execute(
        select(Case.team_id, week_index, _epoch_seconds(Case.created_at),
               _epoch_seconds(Case.first_response_at),
               case((closed, _epoch_seconds(Case.closed_at))), flags)
        .where(Case.created_at >= mondays[0], Case.created_at < until)
    ).all()


def loop_measures(weeks: list[date], until: datetime, team_ids: list[int]) -> tuple[
        list[metrics.LoopMeasures], list[metrics.LoopMeasures], metrics.LoopMeasures]:
    """By team, by week and for all the cases opened in the window.

    The medians need every duration, so the window's cases are read (one row each:
    bounded by the window, never the whole history) and grouped with numpy. Computing
    the medians in SQL was measured on 1,000,000 signals (42,000 cases in the window):
    window functions (row_number and count over partitions) took ~5 times as long on
    SQLite, which sorts the rows once per measure and grouping; PostgreSQL's
    percentile_cont with GROUPING SETS about as long as the read."""
    rows = [tuple(row) for row in loop_rows(weeks, until)]  # numpy reads tuples fast, Rows not
    raw = np.array(rows, dtype=float).reshape(len(rows), 6)  # NULL -> NaN
    table = metrics.case_table(raw[:, 2:])
    teams, week_codes = raw[:, 0].astype(np.int64), raw[:, 1].astype(np.int64)
    return (metrics.loop_columns(table, teams, {team: team for team in team_ids}),
            metrics.loop_columns(table, week_codes, dict(enumerate(weeks))),
            metrics.loop_columns(table, np.zeros(len(rows), dtype=np.int64), {0: 0})[0])


def build(now: datetime | None = None, weeks: int = WEEKS) -> Dashboard:
    now = now or utcnow()
    week_list = metrics.weeks_back(now, weeks)
    until = now + timedelta(seconds=1)
    scores = score_rows(week_list)
    nps_weeks = metrics.fold_scores(scores["nps"], week_list, "nps")
    csat_weeks = metrics.fold_scores(scores["csat"], week_list, "csat")
    team_cases = cases_by_team(now)
    loop_teams, loop_weeks, loop_total = loop_measures(
        week_list, until, [row.team_id for row in team_cases])
    return Dashboard(
        now=now,
        since=week_list[0],
        ideas=top_ideas(now),
        nps_weeks=nps_weeks,
        csat_weeks=csat_weeks,
        nps_total=metrics.overall(nps_weeks),
        csat_total=metrics.overall(csat_weeks),
        detractors=latest_detractors(),
        team_cases=team_cases,
        loop_teams=loop_teams,
        loop_weeks=loop_weeks,
        loop_total=loop_total,
        team_names={row.team_id: row.name for row in team_cases},
    )


# --- the lists behind the survey figures ---------------------------------------------------


@dataclass
class ScoreAnswer:
    response_id: int
    survey_id: int
    survey_title: str
    score: int
    created_at: datetime
    anonymous: bool
    case_id: int | None = None


def score_answers(kind: str, *, since: datetime | None = None, until: datetime | None = None,
                  low: int | None = None, high: int | None = None, page: int = 1,
                  per_page: int = 50) -> Page:
    """The answers behind a score figure: kind, window, score range; newest first."""
    from voice.surveys.models import Answer, Question, Response, Survey

    stmt = (select(Answer.response_id, Survey.id, Survey.title, Answer.number,
                   Response.created_at, Survey.anonymous)
            .join(Question, Question.id == Answer.question_id)
            .join(Response, Response.id == Answer.response_id)
            .join(Survey, Survey.id == Response.survey_id)
            .where(Question.kind == kind, Answer.number.is_not(None)))
    if since is not None:
        stmt = stmt.where(Response.created_at >= since)
    if until is not None:
        stmt = stmt.where(Response.created_at < until)
    if low is not None:
        stmt = stmt.where(Answer.number >= low)
    if high is not None:
        stmt = stmt.where(Answer.number <= high)
    stmt = stmt.order_by(Response.created_at.desc(), Answer.id.desc())
    listing = paginate(stmt, page, per_page, scalars=False)
    listing.items = [ScoreAnswer(*row) for row in listing.items]
    if listing.items:
        cases = dict(db.session.execute(
            select(Case.source_id, func.min(Case.id))
            .where(Case.source_type == "survey_response",
                   Case.source_id.in_([a.response_id for a in listing.items]))
            .group_by(Case.source_id)).all())
        for item in listing.items:
            item.case_id = cases.get(item.response_id)
    return listing
