"""The staff home: the figures, aggregated in SQL (GROUP BY), folded by voice.admin.metrics.

Every figure carries the address of the list behind it (the view builds the links).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import func, select

from voice.admin import metrics
from voice.admin.models import CLOSED_STATES, OPEN_STATES, Case, Team
from voice.clock import utcnow
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
    from voice.ideas.models import Idea, Vote

    week_ago, two_weeks_ago = now - timedelta(days=7), now - timedelta(days=14)
    recent = (
        select(Vote.idea_id,
               func.count(Vote.id).filter(Vote.created_at >= week_ago).label("this_week"),
               func.count(Vote.id).filter(Vote.created_at < week_ago).label("last_week"))
        .where(Vote.created_at >= two_weeks_ago, Vote.created_at <= now)
        .group_by(Vote.idea_id).subquery()
    )
    rows = db.session.execute(
        select(Idea.id, Idea.title, Idea.status, Idea.vote_count,
               func.coalesce(recent.c.this_week, 0), func.coalesce(recent.c.last_week, 0))
        .outerjoin(recent, recent.c.idea_id == Idea.id)
        .where(Idea.merged_into_id.is_(None))
        .order_by(Idea.vote_count.desc(), Idea.id).limit(limit)
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


def score_rows(kind: str, since: datetime, until: datetime) -> list[tuple]:
    """(day, score, count) of every answer to a question of ``kind`` in the window."""
    from voice.surveys.models import Answer, Question, Response

    day = func.date(Response.created_at)
    return db.session.execute(
        select(day, Answer.number, func.count(Answer.id))
        .join(Question, Question.id == Answer.question_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Question.kind == kind, Answer.number.is_not(None),
               Response.created_at >= since, Response.created_at < until)
        .group_by(day, Answer.number)
    ).all()


def latest_detractors(limit: int = DETRACTOR_COMMENTS) -> list[DetractorComment]:
    """The latest NPS detractors (0–6) who wrote something, with their text and case."""
    from voice.surveys.models import Answer, Question, Response, Survey

    nps = (select(Answer.response_id, func.min(Answer.number).label("score"))
           .join(Question, Question.id == Answer.question_id)
           .where(Question.kind == "nps", Answer.number <= 6)
           .group_by(Answer.response_id).subquery())
    texts = (select(Answer.response_id, func.min(Answer.id).label("answer_id"))
             .join(Question, Question.id == Answer.question_id)
             .where(Question.kind == "text", Answer.text.is_not(None), Answer.text != "")
             .group_by(Answer.response_id).subquery())
    rows = db.session.execute(
        select(Response.id, Survey.id, Survey.title, nps.c.score, Answer.text,
               Response.created_at)
        .join(nps, nps.c.response_id == Response.id)
        .join(texts, texts.c.response_id == Response.id)
        .join(Answer, Answer.id == texts.c.answer_id)
        .join(Survey, Survey.id == Response.survey_id)
        .order_by(Response.created_at.desc(), Response.id.desc()).limit(limit)
    ).all()
    found = [DetractorComment(response_id=r, survey_id=s, survey_title=t, score=int(n), text=x,
                              created_at=c) for r, s, t, n, x, c in rows]
    if found:
        cases = dict(db.session.execute(
            select(Case.source_id, func.min(Case.id))
            .where(Case.source_type == "survey_response",
                   Case.source_id.in_([d.response_id for d in found]))
            .group_by(Case.source_id)).all())
        for item in found:
            item.case_id = cases.get(item.response_id)
    return found


def cases_by_team(now: datetime) -> list[TeamCases]:
    rows = db.session.execute(
        select(Team.id, Team.name, func.count(Case.id),
               func.count(Case.id).filter(Case.due_at < now))
        .outerjoin(Case, (Case.team_id == Team.id) & Case.state.in_(OPEN_STATES))
        .group_by(Team.id, Team.name).order_by(Team.name)
    ).all()
    return [TeamCases(team_id=i, name=n, open=o, overdue=d) for i, n, o, d in rows]


def case_times(since: datetime | None = None) -> list[tuple]:
    stmt = select(Case.team_id, Case.created_at, Case.first_response_at, Case.closed_at,
                  Case.replied_at.is_not(None), Case.state, Case.customer_id.is_not(None))
    if since is not None:
        stmt = stmt.where(Case.created_at >= since)
    return db.session.execute(stmt).all()


def loop_by_team(rows, team_ids) -> list[metrics.LoopMeasures]:
    return metrics.loop_measures(
        (metrics.CaseTimes(key=team, created_at=c, first_response_at=f,
                           closed_at=x if s in CLOSED_STATES else None, replied=bool(r),
                           replyable=bool(k))
         for team, c, f, x, r, s, k in rows), keys=team_ids)


def loop_by_week(rows, weeks: list[date]) -> list[metrics.LoopMeasures]:
    keep = set(weeks)
    return [m for m in metrics.loop_measures(
        (metrics.CaseTimes(key=metrics.week_start(c), created_at=c, first_response_at=f,
                           closed_at=x if s in CLOSED_STATES else None, replied=bool(r),
                           replyable=bool(k))
         for _team, c, f, x, r, s, k in rows if metrics.week_start(c) in keep), keys=weeks)
        if m.key in keep]


def build(now: datetime | None = None, weeks: int = WEEKS) -> Dashboard:
    now = now or utcnow()
    week_list = metrics.weeks_back(now, weeks)
    since = datetime.combine(week_list[0], datetime.min.time())
    until = now + timedelta(seconds=1)
    nps_weeks = metrics.fold_scores(score_rows("nps", since, until), week_list, "nps")
    csat_weeks = metrics.fold_scores(score_rows("csat", since, until), week_list, "csat")
    team_cases = cases_by_team(now)
    team_ids = [row.team_id for row in team_cases]
    rows = case_times()
    all_rows = [(0, *row[1:]) for row in rows]
    return Dashboard(
        now=now,
        ideas=top_ideas(now),
        nps_weeks=nps_weeks,
        csat_weeks=csat_weeks,
        nps_total=metrics.overall(nps_weeks),
        csat_total=metrics.overall(csat_weeks),
        detractors=latest_detractors(),
        team_cases=team_cases,
        loop_teams=loop_by_team(rows, team_ids),
        loop_weeks=loop_by_week(rows, week_list),
        loop_total=loop_by_team(all_rows, [0])[0],
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
