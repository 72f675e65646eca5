"""What the surveys domain holds of a person: their identified responses and answers.

Receivers of voice.signals' personal-data signals (connected in voice.surveys.hooks).
Closing the account keeps the responses (under the anonymised user, so results and
trends do not move) and the surveys staff wrote: nothing here reaches the person.
Anonymous responses name no user and are in no one's download.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from voice.clock import isoformat
from voice.extensions import db
from voice.surveys.models import Answer, Question, Response, Survey

#: The tables with a user foreign key that this domain answers for.
TABLES = ("surveys", "survey_responses")


def _value(answer: Answer, kind: str) -> Any:
    if kind in ("text", "single_choice"):
        return answer.text
    if kind == "multi_choice":
        return list(answer.choices or [])
    return answer.number


def _answers_by_response(response_ids: list[int]) -> dict[int, list[dict[str, Any]]]:
    found: dict[int, list[dict[str, Any]]] = {}
    if not response_ids:
        return found
    rows = db.session.execute(
        select(Answer, Question.prompt, Question.kind)
        .join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id.in_(response_ids))
        .order_by(Answer.response_id, Question.position, Answer.id)
    ).all()
    for answer, prompt, kind in rows:
        found.setdefault(answer.response_id, []).append(
            {"question_id": answer.question_id, "prompt": prompt, "kind": kind,
             "value": _value(answer, kind)})
    return found


def export(user_id: int) -> dict[str, Any]:
    """The section ``survey_responses``: each response with its answers."""
    responses = db.session.execute(
        select(Response, Survey.title).join(Survey, Survey.id == Response.survey_id)
        .where(Response.user_id == user_id).order_by(Response.id)
    ).all()
    answers = _answers_by_response([r.id for r, _title in responses])
    return {
        "survey_responses": [{"id": r.id, "survey_id": r.survey_id, "survey_title": title,
                              "created_at": isoformat(r.created_at),
                              "answers": answers.get(r.id, [])}
                             for r, title in responses],
    }


def erase(user_id: int) -> None:
    """Nothing to erase: the responses stay, under the anonymised user (see above)."""
