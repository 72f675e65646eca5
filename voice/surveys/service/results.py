"""Surveys: what staff read of the answers. Results, the weekly NPS trend, text answers,
the results page's report and the CSV export.

Every read here is staff only, checked here (``voice.permissions.require_staff``), not
in the page or the API: each takes the ``actor``. Called without one (keyword omitted)
it is an in-process caller with its own authority (benchmarks, the CLI, tests), and
nothing is checked; the pages and the API pass the signed-in user.

Results are read from the tallies (one GROUP BY), never from the answers, except the
text answers (a page of them) and the export (every answer, linear by nature).
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Final

import numpy as np
from sqlalchemy import func, select

from voice.clock import isoformat, week_start
from voice.errors import NotFound
from voice.extensions import db
from voice.paging import Page, paginate
from voice.permissions import require_staff
from voice.surveys import stats
from voice.surveys.models import ANSWERED, Answer, Question, Response, Survey, Tally
from voice.surveys.scales import CHOICE_KINDS, SCALES, scale_values
from voice.surveys.service.queries import load_survey
from voice.text import csv_cell

READ_REFUSED = "Only staff may see survey results."


class _Trusted:
    """The ``actor`` of a caller that passes none: an in-process caller, not a request."""

    def __repr__(self) -> str:
        return "TRUSTED"


_TRUSTED: Final = _Trusted()


def _check(actor: Any) -> None:
    if actor is not _TRUSTED:
        require_staff(actor, READ_REFUSED)


_round = stats.round_half_up  # display rounding: exact halves up (12.25 -> 12.3)


# --- results ------------------------------------------------------------------------------


def _nps_json(score: stats.Nps) -> dict[str, Any]:
    return {
        "score": _round(score.score, 1),
        "promoters": score.promoters, "passives": score.passives,
        "detractors": score.detractors,
        "margin_of_error": _round(score.margin_of_error, 1),
        "low": _round(score.low, 1), "high": _round(score.high, 1),
    }


def _scale_result(kind: str, totals: dict[str, int]) -> dict[str, Any]:
    values = np.array(scale_values(kind))
    counts = np.array([totals.get(str(v), 0) for v in values], dtype=np.int64)
    result: dict[str, Any] = {
        "distribution": {str(v): int(c) for v, c in zip(values, counts, strict=True)},
        "mean": _round(stats.mean(values, counts), 2),
    }
    if kind == "nps":
        result["nps"] = _nps_json(stats.nps(counts))
    elif kind == "csat":
        result["csat"] = {"score": _round(stats.csat(counts), 1)}
    return result


def _question_result(question: Question, totals: dict[str, int]) -> dict[str, Any]:
    result: dict[str, Any] = {
        "id": question.id, "kind": question.kind, "prompt": question.prompt,
        "position": question.position, "required": question.required,
        "answered": int(totals.get(ANSWERED, 0)),
    }
    result["few_answers"] = stats.read_with_care(result["answered"])
    if question.kind in SCALES:
        result.update(_scale_result(question.kind, totals))
    elif question.kind in CHOICE_KINDS:
        labels = list(question.choices or [])
        labels += sorted(v for v in totals if v != ANSWERED and v not in labels)
        result["distribution"] = {label: int(totals.get(label, 0)) for label in labels}
    else:
        result["distribution"] = {}
    return result


def _results(survey: Survey) -> dict[str, Any]:
    totals: dict[int, dict[str, int]] = defaultdict(dict)
    rows = db.session.execute(
        select(Tally.question_id, Tally.value, func.sum(Tally.count))
        .where(Tally.survey_id == survey.id)
        .group_by(Tally.question_id, Tally.value)
    )
    for qid, value, count in rows:
        totals[qid][value] = int(count)
    return {
        "survey_id": survey.id,
        "title": survey.title,
        "status": survey.status,
        "anonymous": survey.anonymous,
        "responses": survey.response_count,
        "questions": [_question_result(q, totals[q.id]) for q in survey.questions],
    }


def survey_results(survey_id: int, *, actor: Any = _TRUSTED) -> dict[str, Any]:
    """The Results of the API contract: per question the count answered, the
    distribution, and the NPS, CSAT or mean its kind calls for. Staff only."""
    _check(actor)
    return _results(load_survey(survey_id))


# --- the weekly NPS -----------------------------------------------------------------------


def _no_trend() -> dict[str, Any]:
    return {"question_id": None, "points": []}


def _trend_points(question_id: int) -> list[dict[str, Any]]:
    rows = db.session.execute(
        select(Tally.week, Tally.value, Tally.count)
        .where(Tally.question_id == question_id, Tally.value != ANSWERED)
    ).all()
    if not rows:
        return []
    weeks = sorted({week_start(w) for w, _, _ in rows})
    first, last = weeks[0], weeks[-1]
    span = (last - first).days // 7 + 1
    scores = scale_values("nps")
    grid = np.zeros((span, len(scores)), dtype=np.int64)
    for week, value, count in rows:
        grid[(week_start(week) - first).days // 7, int(value) - scores.start] += count
    return [
        {
            "week": (first + timedelta(weeks=index)).isoformat(),
            "n": score.n, "score": _round(score.score, 1),
            "margin_of_error": _round(score.margin_of_error, 1),
            "low": _round(score.low, 1), "high": _round(score.high, 1),
            "few_answers": stats.read_with_care(score.n),
            "promoters": score.promoters, "passives": score.passives,
            "detractors": score.detractors,
        }
        for index, score in enumerate(stats.nps_series(grid))
    ]


def nps_trend(survey_id: int, question_id: int | None = None, *,
              actor: Any = _TRUSTED) -> dict[str, Any]:
    """Weekly NPS of one NPS question (the first by default), every week from the
    first answer to the last, empty weeks included with no score. Staff only."""
    _check(actor)
    survey = load_survey(survey_id)
    nps_questions = [q for q in survey.questions if q.kind == "nps"]
    if question_id is not None:
        nps_questions = [q for q in nps_questions if q.id == question_id]
        if not nps_questions:
            raise NotFound("That survey has no such NPS question.")
    if not nps_questions:
        return _no_trend()
    return {"question_id": nps_questions[0].id, "points": _trend_points(nps_questions[0].id)}


# --- text answers -------------------------------------------------------------------------


def _text_page(survey_id: int, question_id: int, search: str, page: int, per_page: int,
               answered: int | None) -> Page:
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey_id or question.kind != "text":
        raise NotFound("That survey has no such text question.")
    search = (search or "").strip()[:200]
    stmt = (
        select(Answer.id, Answer.response_id, Answer.text, Response.created_at,
               Response.user_id)
        .join(Response, Response.id == Answer.response_id)
        .where(Answer.question_id == question_id)
        .order_by(Answer.id.desc())
    )
    if search:
        stmt = stmt.where(func.lower(Answer.text).contains(search.lower(), autoescape=True))
        listing = paginate(stmt, page, per_page, scalars=False)
    else:
        if answered is None:  # the tallies know the count: no COUNT over the answers
            answered = db.session.scalar(
                select(func.coalesce(func.sum(Tally.count), 0))
                .where(Tally.question_id == question_id, Tally.value == ANSWERED))
        listing = paginate(stmt, page, per_page, scalars=False, total=int(answered or 0))
    # ``user_id``: who answered an identified survey (None on an anonymous one, which
    # keeps no user), for the staff's link to the customer page.
    listing.items = [{"id": a, "response_id": r, "text": t, "created_at": c, "user_id": u}
                     for a, r, t, c, u in listing.items]
    return listing


def text_answers(survey_id: int, question_id: int, search: str = "", page: int = 1,
                 per_page: int = 10, answered: int | None = None, *,
                 actor: Any = _TRUSTED) -> Page:
    """A page of a text question's answers, newest first, optionally containing
    ``search``. Items are dicts {id, response_id, text, created_at, user_id}. ``answered``: the
    question's answer count when the caller has it (it spares a sum). Staff only."""
    _check(actor)
    return _text_page(survey_id, question_id, search, page, per_page, answered)


# --- the results page ---------------------------------------------------------------------


@dataclass
class Report:
    survey: Survey
    results: dict[str, Any]
    trend: dict[str, Any]
    texts: dict[int, Page]  # text question id -> a page of its answers
    search_question: int | None
    search: str


def survey_report(actor: Any, survey_id: int, search_question: int | None = None,
                  search: str = "", page: int = 1) -> Report:
    """Everything the staff results page shows, in a fixed number of queries."""
    require_staff(actor, READ_REFUSED)
    survey = load_survey(survey_id)
    results = _results(survey)
    first_nps = next((q for q in survey.questions if q.kind == "nps"), None)
    trend = _no_trend()
    if first_nps is not None:
        trend = {"question_id": first_nps.id, "points": _trend_points(first_nps.id)}
    answered = {q["id"]: q["answered"] for q in results["questions"]}
    texts = {}
    for question in survey.questions:
        if question.kind != "text":
            continue
        mine = question.id == search_question
        texts[question.id] = _text_page(survey.id, question.id, search if mine else "",
                                        page if mine else 1, 10, answered[question.id])
    return Report(survey, results, trend, texts, search_question, search)


# --- export -------------------------------------------------------------------------------


def _answer_cells(survey_id: int) -> dict[int, dict[int, Any]]:
    """response id -> question id -> the cell: a score, a text or label, or the labels
    joined by "; "."""
    cells: dict[int, dict[int, Any]] = defaultdict(dict)
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.number, Answer.text,
               Answer.choices).where(Answer.survey_id == survey_id)
    )
    for response_id, qid, number, text, choices in rows:
        if number is not None:
            value: Any = number
        elif choices is not None:
            value = "; ".join(choices)
        else:
            value = text
        cells[response_id][qid] = value
    return cells


def export_csv(survey_id: int, *, actor: Any = _TRUSTED) -> str:
    """Every response as a CSV row: response id, time, user id (blank when anonymous),
    then one column per question (several choices joined by "; "). A cell a
    spreadsheet would run as a formula is quoted (``voice.text.csv_cell``). Staff only."""
    _check(actor)
    survey = load_survey(survey_id)
    questions = survey.questions
    cells = _answer_cells(survey.id)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["response_id", "submitted_at", "user_id"]
                    + [f"Q{q.position} {q.prompt}" for q in questions])
    responses = db.session.execute(
        select(Response.id, Response.created_at, Response.user_id)
        .where(Response.survey_id == survey.id).order_by(Response.id)
    )
    for response_id, created_at, user_id in responses:
        mine = cells.get(response_id, {})
        writer.writerow([response_id, isoformat(created_at), "" if user_id is None else user_id]
                        + [csv_cell(mine.get(q.id, "")) for q in questions])
    return out.getvalue()
