"""Surveys: the running tallies. Each response adds to one counter per (question, week,
value) in the same transaction (one upsert, see ``voice.surveys.sql``), so results cost
the same at any number of responses; ``rebuild_tallies`` recomputes them from the
answers with GROUP BY."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from typing import Any

from sqlalchemy import Date, Label, Select, delete, func, select

from voice.clock import week_start
from voice.database import write_transaction
from voice.extensions import db
from voice.surveys import sql
from voice.surveys.models import ANSWERED, Answer, Question, Response, Tally
from voice.surveys.scales import SCALES
from voice.surveys.service.queries import lock_survey, questions_of

#: (question id, week, value) -> how many to add.
TallyCounts = Counter[tuple[int, date, str]]


def week_of(moment: datetime) -> date:
    """The Monday of the moment's week (the week a response is tallied in)."""
    return week_start(moment)


def week_of_day(day: date | str) -> date:
    """The Monday of a day's week; the day as the database returns it (SQLite: text)."""
    return week_start(day)


def upsert_tallies(survey_id: int, counts: Mapping[tuple[int, date, str], int]) -> None:
    """Add ``counts`` to the tallies: one INSERT ... ON CONFLICT DO UPDATE sent as an
    executemany (one statement, compiled once, whatever the number of rows). Keys
    are sorted, so concurrent writers take the row locks in the same order."""
    rows = [
        {"survey_id": survey_id, "question_id": q, "week": w, "value": v, "count": n}
        for (q, w, v), n in sorted(counts.items())
    ]
    if rows:
        db.session.execute(sql.statements().add_tallies, rows)


def response_counts(cleaned: Iterable[tuple[Any, ...]], week: date) -> TallyCounts:
    """The tallies one response adds: per answered question one ``ANSWERED``, and one
    for its score, its single choice or each of its choices."""
    counts: TallyCounts = Counter()
    for question, number, text, choices in cleaned:
        counts[(question.id, week, ANSWERED)] += 1
        if number is not None:
            counts[(question.id, week, str(number))] += 1
        elif question.kind == "single_choice":
            counts[(question.id, week, text)] += 1
        for label in choices or ():
            counts[(question.id, week, label)] += 1
    return counts


def count_response(survey_id: int, cleaned: Iterable[tuple[Any, ...]], week: date) -> None:
    """Add a response to the tallies and to ``response_count``: the last statements of
    its transaction, tallies first (see ``submit_response`` for the lock order)."""
    upsert_tallies(survey_id, response_counts(cleaned, week))
    db.session.execute(sql.statements().count_response, {"survey_id": survey_id})


# --- rebuilding ---------------------------------------------------------------------------


def _by_day() -> tuple[Label[date], Select[int, date]]:
    """The day of each answer's response (SQL ``date()``), and answers by question and day."""
    day = func.date(Response.created_at, type_=Date).label("day")
    base = select(Answer.question_id, day).join(Response, Response.id == Answer.response_id)
    return day, base


def _count_values(counts: TallyCounts, question_ids: list[int]) -> None:
    """Scores and single choices: one GROUP BY over (question, day, value)."""
    day, base = _by_day()
    stmt = (base.add_columns(Answer.number, Answer.text, func.count())
            .where(Answer.question_id.in_(question_ids))
            .group_by(Answer.question_id, day, Answer.number, Answer.text))
    for qid, when, number, text, n in db.session.execute(stmt):
        value = str(number) if number is not None else text
        counts[(qid, week_of_day(when), value)] += n
        counts[(qid, week_of_day(when), ANSWERED)] += n


def _count_texts(counts: TallyCounts, question_ids: list[int]) -> None:
    """Text answers count only as answered: one GROUP BY over (question, day)."""
    day, base = _by_day()
    stmt = (base.add_columns(func.count()).where(Answer.question_id.in_(question_ids))
            .group_by(Answer.question_id, day))
    for qid, when, n in db.session.execute(stmt):
        counts[(qid, week_of_day(when), ANSWERED)] += n


def _count_multi(counts: TallyCounts, question_ids: list[int]) -> None:
    """Multi-choice labels live in a JSON list: each answer is read and counted here."""
    _, base = _by_day()
    stmt = base.add_columns(Answer.choices).where(Answer.question_id.in_(question_ids))
    for qid, when, labels in db.session.execute(stmt):
        counts[(qid, week_of_day(when), ANSWERED)] += 1
        for label in labels or ():
            counts[(qid, week_of_day(when), label)] += 1


def _ids(questions: list[Question], *kinds: str) -> list[int]:
    return [q.id for q in questions if q.kind in kinds]


def rebuild_tallies(survey_id: int) -> None:
    """Recompute a survey's tallies and response count from its answers (GROUP BY)."""
    with write_transaction():
        survey = lock_survey(survey_id)
        questions = questions_of(survey.id)
        db.session.execute(delete(Tally).where(Tally.survey_id == survey.id))
        counts: TallyCounts = Counter()
        for count, kinds in ((_count_values, (*SCALES, "single_choice")),
                             (_count_texts, ("text",)), (_count_multi, ("multi_choice",))):
            ids = _ids(questions, *kinds)
            if ids:
                count(counts, ids)
        upsert_tallies(survey.id, counts)
        survey.response_count = db.session.scalar(
            select(func.count(Response.id)).where(Response.survey_id == survey.id)) or 0
