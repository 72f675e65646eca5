"""The staff home: the figures, aggregated in SQL (GROUP BY), folded by voice.admin.metrics.

Every figure carries the address of the list behind it (the view builds the links).
The ideas' and the surveys' figures are read by those domains (their ``staff_reads``,
and the markets facade's ``linked_markets``); this module reads only the cases.

Its cost must not grow with the history: the scores come from the survey tallies (one
row per question, week and score), the detractors and the ideas are found by walking
indexes newest or biggest first with a LIMIT, and the loop measures cover the cases
opened in the reporting window only, so that work is bounded by the window's cases, not
by every case ever opened.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Float, Row, case, cast, exists, func, literal, select

from voice.admin import clock, metrics
from voice.admin.models import CLOSED_STATES, OPEN_STATES, Case, CaseNote, Team
from voice.admin.query_args import day, whole_number
from voice.admin.rules import SCORED_KINDS
from voice.clock import utcnow
from voice.database import is_postgresql
from voice.errors import Invalid
from voice.extensions import db
from voice.ideas.service import staff_reads as idea_reads
from voice.markets.service import linked_markets
from voice.paging import Page
from voice.surveys.service import staff_reads as survey_reads

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
    market_settled: bool = False  # resolved or voided: show how it ended, not a forecast
    market_summary: str = ""  # "Resolved: Yes", "Voided" or "33% likely"


@dataclass
class TeamCases:
    """A team's open cases at ``now``: overdue never counts a waiting case (its clock is
    stopped), and escalated counts the overdue ones whose owners were told."""

    team_id: int
    name: str
    open: int = 0
    overdue: int = 0
    waiting: int = 0
    escalated: int = 0


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

    @property
    def waiting_total(self) -> int:
        return sum(row.waiting for row in self.team_cases)

    @property
    def escalated_total(self) -> int:
        return sum(row.escalated for row in self.team_cases)


def top_ideas(now: datetime, limit: int = TOP_IDEAS) -> list[IdeaRow]:
    """The ideas with the most votes, with their votes of this week and the week before
    (one statement, the ideas'), and the market of each that has one (one more)."""
    ideas = [IdeaRow(id=row.id, title=row.title, status=row.status, votes=row.votes,
                     votes_this_week=row.votes_this_week, votes_last_week=row.votes_last_week,
                     trend=metrics.trend(row.votes_this_week, row.votes_last_week))
             for row in idea_reads.most_voted(now, limit)]
    if ideas:
        linked = linked_markets([idea.id for idea in ideas])
        for idea in ideas:
            market = linked.get(idea.id)
            if market is not None:
                idea.market_id = market.market_id
                idea.probability = 100.0 * market.probability
                idea.market_settled = market.is_settled
                idea.market_summary = market.summary
    return ideas


SCORE_KINDS = ("nps", "csat")


def score_rows(weeks: list[date]) -> dict[str, list[tuple[date, int, int]]]:
    """Per kind (nps, csat): (week, score, count) of the answers in ``weeks``, summed over
    every survey from the tallies the surveys keep, so the cost follows questions x weeks
    x scores, not the number of answers. A week is the Monday of the response's week, as
    the tallies count them."""
    return survey_reads.score_counts(SCORE_KINDS, weeks[0], weeks[-1])


def _case_ids_of_responses(response_ids: list[int]) -> dict[int, int]:
    """Response id -> the first case it opened (responses without a case are missing)."""
    if not response_ids:
        return {}
    return dict(db.session.execute(
        select(Case.source_id, func.min(Case.id))
        .where(Case.source_type == "survey_response", Case.source_id.in_(response_ids))
        .group_by(Case.source_id)).all())


def latest_detractors(limit: int = DETRACTOR_COMMENTS) -> list[DetractorComment]:
    """The latest NPS detractors (0–6) who wrote something, with their text (one
    statement, the surveys'), and the case each opened (one more, when there are any)."""
    found = survey_reads.latest_detractors(limit)
    cases = _case_ids_of_responses([row.response_id for row in found])
    return [DetractorComment(response_id=row.response_id, survey_id=row.survey_id,
                             survey_title=row.survey_title, score=row.score, text=row.text,
                             created_at=row.created_at, case_id=cases.get(row.response_id))
            for row in found]


def cases_by_team(now: datetime) -> list[TeamCases]:
    """Per team (by name): open, overdue (voice/admin/clock.py: a waiting case never is),
    waiting, and escalated (overdue, its owners told), in one GROUP BY."""
    overdue = clock.overdue_clause(now)
    rows = db.session.execute(
        select(Team.id, Team.name, func.count(Case.id),
               func.count(Case.id).filter(overdue),
               func.count(Case.id).filter(Case.state == clock.WAITING),
               func.count(Case.id).filter(overdue, Case.escalated_at.is_not(None)))
        .outerjoin(Case, (Case.team_id == Team.id) & Case.state.in_(OPEN_STATES))
        .group_by(Team.id, Team.name).order_by(Team.name)
    ).all()
    return [TeamCases(team_id=i, name=n, open=o, overdue=d, waiting=w, escalated=e)
            for i, n, o, d, w, e in rows]


def _epoch_seconds(moment):
    """A timestamp as seconds since some epoch, in SQL (NULL stays NULL): PostgreSQL's
    Unix epoch, SQLite's Julian day x 86,400 (cheaper there than anything else)."""
    if is_postgresql():
        return cast(func.extract("epoch", moment), Float)
    return func.julianday(moment) * 86400.0


def epoch_of(moment: datetime) -> float:
    """``moment`` in the seconds of ``_epoch_seconds`` (Unix time, or SQLite's Julian day
    x 86,400), so a time known here compares with the ones the database computed."""
    unix = (moment - datetime(1970, 1, 1)).total_seconds()
    return unix if is_postgresql() else unix + JULIAN_UNIX_EPOCH * 86400.0


#: The Julian day of 1970-01-01 00:00 UTC.
JULIAN_UNIX_EPOCH = 2440587.5
#: How many columns ``loop_rows`` gives.
LOOP_COLUMNS = 9


def loop_rows(weeks: list[date], until: datetime) -> Sequence[Row[Any]]:
    """(team id, week index in ``weeks``, then opened, first response, closed (NULL
    unless its state is closed), the stop going on (``waiting_since``) as
    ``_epoch_seconds``, paused seconds, customer + 2 x replied + 4 x answered back, the
    customer's id) of each case opened from the first week's Monday until ``until``: the
    window's cases only (ix_cases_created_at), reduced in SQL to what the loop measures
    need. "Answered back" is a ``customer`` note in the thread (an EXISTS on
    ix_case_notes_case_created)."""
    mondays = [datetime.combine(week, datetime.min.time()) for week in weeks]
    later = [(Case.created_at < monday, index) for index, monday in enumerate(mondays[1:])]
    week_index = case(*later, else_=len(mondays) - 1) if later else literal(0)
    closed = Case.state.in_(CLOSED_STATES)
    wrote_back = exists().where(CaseNote.case_id == Case.id, CaseNote.kind == "customer")
    flags = (case((Case.customer_id.is_not(None), 1), else_=0)
             + 2 * case((Case.replied_at.is_not(None), 1), else_=0)
             + 4 * case((wrote_back, 1), else_=0))
    return db.session.execute(
        select(Case.team_id, week_index, _epoch_seconds(Case.created_at),
               _epoch_seconds(Case.first_response_at),
               case((closed, _epoch_seconds(Case.closed_at))),
               _epoch_seconds(Case.waiting_since), Case.paused_seconds, flags,
               Case.customer_id)
        .where(Case.created_at >= mondays[0], Case.created_at < until)
    ).all()


def loop_measures(weeks: list[date], until: datetime, team_ids: list[int],
                  now: datetime | None = None) -> tuple[
        list[metrics.LoopMeasures], list[metrics.LoopMeasures], metrics.LoopMeasures]:
    """By team, by week and for all the cases opened in the window (the open cases' age
    counted at ``now``, by default ``until``).

    The medians need every duration, so the window's cases are read (one row each:
    bounded by the window, never the whole history) and grouped with numpy. Computing
    the medians in SQL was measured on 1,000,000 signals (42,000 cases in the window):
    window functions (row_number and count over partitions) took ~5 times as long on
    SQLite, which sorts the rows once per measure and grouping; PostgreSQL's
    percentile_cont with GROUPING SETS about as long as the read."""
    rows = [tuple(row) for row in loop_rows(weeks, until)]  # numpy reads tuples fast, Rows not
    raw = np.array(rows, dtype=float).reshape(len(rows), LOOP_COLUMNS)  # NULL -> NaN
    table = metrics.case_table(raw[:, 2:], now=epoch_of(now or until))
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
        week_list, until, [row.team_id for row in team_cases], now)
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


def _one_decimal(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


def chart_data(board: Dashboard) -> dict[str, Any]:
    """The figures the home page's charts draw, as the JSON they read."""
    num = _one_decimal
    return {
        "scores": {"labels": [w.week.isoformat() for w in board.nps_weeks],
                   "nps": [num(w.nps) for w in board.nps_weeks],
                   "csat": [num(w.csat) for w in board.csat_weeks]},
        "cases": {"labels": [row.name for row in board.team_cases],
                  "open": [row.open for row in board.team_cases],
                  "overdue": [row.overdue for row in board.team_cases]},
        "loop": {"labels": [str(m.key) for m in board.loop_weeks],  # the weeks' Mondays
                 "reply_share": [num(m.reply_share) for m in board.loop_weeks],
                 "first_response": [num(m.median_first_response_hours)
                                    for m in board.loop_weeks],
                 "close": [num(m.median_close_hours) for m in board.loop_weeks]},
    }


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
    """The answers behind a score figure: kind, window, score range; newest first, each
    with the case its response opened."""
    listing = survey_reads.scored_answers(kind, since=since, until=until, low=low, high=high,
                                          page=page, per_page=per_page)
    cases = _case_ids_of_responses([answer.response_id for answer in listing.items])
    listing.items = [ScoreAnswer(response_id=a.response_id, survey_id=a.survey_id,
                                 survey_title=a.survey_title, score=a.score,
                                 created_at=a.created_at, anonymous=a.anonymous,
                                 case_id=cases.get(a.response_id))
                     for a in listing.items]
    return listing


@dataclass(frozen=True)
class ScoreFilters:
    """Which answers a score figure's list shows: a kind, a week (its Monday, or every
    week), a score range (either end may be open)."""

    kind: str = "nps"
    week: str = ""
    since: datetime | None = None
    low: int | None = None
    high: int | None = None

    @property
    def until(self) -> datetime | None:
        return None if self.since is None else self.since + timedelta(days=7)


def parse_score_filters(args: Mapping[str, str]) -> ScoreFilters:
    """The list's filters from the page's query arguments; Invalid for an unscored kind
    or a week that is not a date."""
    kind = args.get("kind", "nps")
    if kind not in SCORED_KINDS:
        raise Invalid(f"kind is one of {', '.join(SCORED_KINDS)}.", code="invalid_filter",
                      field="kind")
    week = (args.get("week") or "").strip()
    return ScoreFilters(kind=kind, week=week, since=day({"week": week}, "week"),
                        low=whole_number(args.get("min")), high=whole_number(args.get("max")))


def list_score_answers(filters: ScoreFilters, page: int = 1, per_page: int = 50) -> Page:
    return score_answers(filters.kind, since=filters.since, until=filters.until,
                         low=filters.low, high=filters.high, page=page, per_page=per_page)
