"""The surveys' tables as the staff side (voice/admin) reads them, so it queries none itself.

Each read is one or two statements and returns plain frozen rows (a list behind a score
figure: a Page of them). What the staff side builds from them (routing signals, the case
page's source, the dashboard's scores and detractors) is its own business.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, select

from voice.accounts.models import User
from voice.activity import Activity
from voice.extensions import db
from voice.paging import Page, paginate
from voice.surveys.models import Answer, Question, Response, Survey, Tally
from voice.surveys.scales import NPS_DETRACTORS


@dataclass(frozen=True)
class SurveyRow:
    id: int
    title: str
    area_id: int | None
    anonymous: bool


@dataclass(frozen=True)
class ResponseRow:
    id: int
    survey_id: int
    user_id: int | None
    created_at: datetime


@dataclass(frozen=True)
class AnswerRow:
    question_id: int
    kind: str  # the question's
    number: int | None
    text: str | None


@dataclass(frozen=True)
class SurveyResponse:
    """A response with its survey and its answers (``kinds``: question id -> kind)."""

    response: ResponseRow
    survey: SurveyRow
    answers: tuple[AnswerRow, ...]

    @property
    def kinds(self) -> dict[int, str]:
        return {answer.question_id: answer.kind for answer in self.answers}


@dataclass(frozen=True)
class AnsweredQuestion:
    prompt: str
    kind: str
    number: int | None
    choices: tuple[str, ...]
    text: str | None


@dataclass(frozen=True)
class ResponseSource:
    """A response as a case page shows its source, its answers in the survey's order."""

    response: ResponseRow
    survey: SurveyRow
    author_name: str | None  # None for an anonymous survey or response
    answers: tuple[AnsweredQuestion, ...]


@dataclass(frozen=True)
class Detractor:
    response_id: int
    survey_id: int
    survey_title: str
    score: int
    text: str
    created_at: datetime


@dataclass(frozen=True)
class ScoredAnswer:
    response_id: int
    survey_id: int
    survey_title: str
    score: int
    created_at: datetime
    anonymous: bool


@dataclass(frozen=True)
class SurveyTitle:
    id: int
    title: str


@dataclass(frozen=True)
class ResponseActivityCounts:
    """A person's identified responses, and the score of their latest NPS answer."""

    responses: int
    last_nps: int | None


def _survey_row(survey: Survey) -> SurveyRow:
    return SurveyRow(id=survey.id, title=survey.title, area_id=survey.area_id,
                     anonymous=survey.anonymous)


def _response_row(response: Response) -> ResponseRow:
    return ResponseRow(id=response.id, survey_id=response.survey_id, user_id=response.user_id,
                       created_at=response.created_at)


def survey_row(survey_id: int) -> SurveyRow | None:
    """Through the session's identity map: no statement when it is loaded already."""
    survey = db.session.get(Survey, survey_id)
    return None if survey is None else _survey_row(survey)


def survey_exists(survey_id: int) -> bool:
    return survey_row(survey_id) is not None


def question_kinds(survey_id: int) -> dict[int, str]:
    """Question id -> kind, for every question of the survey."""
    return dict(db.session.execute(
        select(Question.id, Question.kind).where(Question.survey_id == survey_id)).all())


def survey_titles(limit: int = 500) -> list[SurveyTitle]:
    """Surveys by title (a routing rule may name one)."""
    return [SurveyTitle(i, t) for i, t in db.session.execute(
        select(Survey.id, Survey.title).order_by(Survey.title).limit(limit))]


def responses_between(since: datetime, until: datetime, limit: int) -> list[SurveyResponse]:
    """The responses of the window (both ends included), newest first, each with its
    survey and answers (two statements)."""
    pairs = list(db.session.execute(
        select(Response, Survey).join(Survey, Survey.id == Response.survey_id)
        .where(Response.created_at >= since, Response.created_at <= until)
        .order_by(Response.created_at.desc()).limit(limit)))
    if not pairs:
        return []
    answers: dict[int, list[AnswerRow]] = defaultdict(list)
    for response_id, question_id, kind, number, text in db.session.execute(
        select(Answer.response_id, Answer.question_id, Question.kind, Answer.number, Answer.text)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id.in_([response.id for response, _ in pairs]))
    ):
        answers[response_id].append(AnswerRow(question_id, kind, number, text))
    return [SurveyResponse(_response_row(response), _survey_row(survey),
                           tuple(answers[response.id]))
            for response, survey in pairs]


def response_source(response_id: int) -> ResponseSource | None:
    row = db.session.execute(
        select(Response, Survey, User.display_name)
        .join(Survey, Survey.id == Response.survey_id)
        .outerjoin(User, User.id == Response.user_id)
        .where(Response.id == response_id)).first()
    if row is None:
        return None
    response, survey, name = row
    answers = tuple(
        AnsweredQuestion(prompt=question.prompt, kind=question.kind, number=answer.number,
                         choices=tuple(str(c) for c in answer.choices or ()), text=answer.text)
        for answer, question in db.session.execute(
            select(Answer, Question).join(Question, Question.id == Answer.question_id)
            .where(Answer.response_id == response.id).order_by(Question.position, Question.id)))
    author = None if survey.anonymous else name
    return ResponseSource(_response_row(response), _survey_row(survey), author, answers)


def score_counts(kinds: Iterable[str], first_week: date, last_week: date,
                 ) -> dict[str, list[tuple[date, int, int]]]:
    """Per kind: (week, score, count) of the answers of the weeks from ``first_week`` to
    ``last_week`` (Mondays), summed over every survey from the tallies (one row per
    question, week and score), so the cost follows questions x weeks x scores, not the
    number of answers."""
    wanted = tuple(kinds)
    scored = select(Question.id).where(Question.kind.in_(wanted))
    rows = db.session.execute(
        select(Question.kind, Tally.week, Tally.value, func.sum(Tally.count))
        .join(Question, Question.id == Tally.question_id)
        .where(Tally.question_id.in_(scored), Tally.week >= first_week,
               Tally.week <= last_week, Tally.value != "")
        .group_by(Question.kind, Tally.week, Tally.value)
    ).all()
    found: dict[str, list[tuple[date, int, int]]] = {kind: [] for kind in wanted}
    for kind, week, value, count in rows:
        if value.isdigit():
            found[kind].append((week, int(value), int(count)))
    return found


def _answers_of_kind(column: Any, kind: str) -> Any:
    return (select(column).join(Question, Question.id == Answer.question_id)
            .where(Answer.response_id == Response.id, Question.kind == kind))


def latest_detractors(limit: int) -> list[Detractor]:
    """The latest NPS detractors who wrote something, with their text.

    One statement: the responses are walked newest first (ix_survey_responses_created_at)
    and each is probed (by ix_survey_answers_response_id) for a detractor score and a
    comment until ``limit`` are found. The probes are scalar subqueries, not EXISTS:
    PostgreSQL turns EXISTS into a semi-join and, misjudging how few answers are
    comments, may join every comment ever written instead of walking."""
    score = (_answers_of_kind(func.min(Answer.number), "nps")
             .where(Answer.number <= NPS_DETRACTORS.high).scalar_subquery())
    comment = (_answers_of_kind(Answer.text, "text")
               .where(Answer.text.is_not(None), Answer.text != "")
               .order_by(Answer.id).limit(1).scalar_subquery())
    rows = db.session.execute(
        select(Response.id, Survey.id, Survey.title, score, comment, Response.created_at)
        .join(Survey, Survey.id == Response.survey_id)
        .where(score.is_not(None), comment.is_not(None))
        .order_by(Response.created_at.desc(), Response.id.desc()).limit(limit)
    ).all()
    return [Detractor(response_id=r, survey_id=s, survey_title=t, score=int(n), text=x,
                      created_at=c) for r, s, t, n, x, c in rows]


def scored_answers(kind: str, *, since: datetime | None = None, until: datetime | None = None,
                   low: int | None = None, high: int | None = None, page: int = 1,
                   per_page: int = 50) -> Page:
    """The answers to questions of ``kind`` in the window and score range, newest first,
    a page of :class:`ScoredAnswer`."""
    conditions: list[ColumnElement[bool]] = [Question.kind == kind, Answer.number.is_not(None)]
    if since is not None:
        conditions.append(Response.created_at >= since)
    if until is not None:
        conditions.append(Response.created_at < until)
    if low is not None:
        conditions.append(Answer.number >= low)
    if high is not None:
        conditions.append(Answer.number <= high)
    stmt = (select(Answer.response_id, Survey.id, Survey.title, Answer.number,
                   Response.created_at, Survey.anonymous)
            .join(Question, Question.id == Answer.question_id)
            .join(Response, Response.id == Answer.response_id)
            .join(Survey, Survey.id == Response.survey_id)
            .where(*conditions)
            .order_by(Response.created_at.desc(), Answer.id.desc()))
    listing = paginate(stmt, page, per_page, scalars=False)
    listing.items = [ScoredAnswer(*row) for row in listing.items]
    return listing


# --- one person's activity (the staff's customer page) -------------------------------------
# Identified responses only: an anonymous survey keeps no user id on its responses, and the
# condition on ``Survey.anonymous`` keeps out any response of a survey made anonymous since.


def _identified(user_id: int) -> list[ColumnElement[bool]]:
    return [Response.user_id == user_id, Survey.anonymous.is_(False)]


def activity_counts(user_id: int) -> ResponseActivityCounts:
    """How many identified responses ``user_id`` gave, and their latest NPS score (one
    statement)."""
    responses = (select(func.count()).select_from(Response)
                 .join(Survey, Survey.id == Response.survey_id)
                 .where(*_identified(user_id)).scalar_subquery())
    last_nps = (select(Answer.number).join(Question, Question.id == Answer.question_id)
                .join(Response, Response.id == Answer.response_id)
                .join(Survey, Survey.id == Response.survey_id)
                .where(*_identified(user_id), Question.kind == "nps",
                       Answer.number.is_not(None))
                .order_by(Response.created_at.desc(), Response.id.desc()).limit(1)
                .scalar_subquery())
    count, score = db.session.execute(select(responses, last_nps)).one()
    return ResponseActivityCounts(responses=count or 0, last_nps=score)


def activity_of(user_id: int, limit: int) -> list[Activity]:
    """The ``limit`` newest identified responses of ``user_id``, newest first, each with
    its survey's title and its NPS score when it has one (one statement)."""
    nps = _answers_of_kind(func.min(Answer.number), "nps").scalar_subquery()
    rows = db.session.execute(
        select(Response.id, Response.created_at, Survey.id, Survey.title, nps)
        .join(Survey, Survey.id == Response.survey_id)
        .where(*_identified(user_id))
        .order_by(Response.created_at.desc(), Response.id.desc()).limit(limit))
    return [Activity(kind="response", at=at, id=response_id, target_id=survey_id,
                     title=title or "", detail="" if score is None else f"NPS {score}")
            for response_id, at, survey_id, title, score in rows]
