"""Surveys: the builder's writes. Create and edit a survey and its questions, publish,
close, duplicate. Staff only; each operation is one ``write_transaction`` that locks
the survey row FOR UPDATE (so it waits for the responses in flight) and tells the
audit log what was done."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete

from voice import signals
from voice.areas.service import resolve_area_id
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid
from voice.extensions import db
from voice.permissions import require_staff
from voice.surveys.models import Question, Survey, Tally
from voice.surveys.scales import CHOICE_KINDS, KINDS
from voice.surveys.service.queries import (
    CHANGE_REFUSED,
    has_answers,
    load_survey,
    lock_question,
    lock_survey,
    questions_of,
)

MAX_TITLE = 200
MAX_DESCRIPTION = 5_000
MAX_PROMPT = 500
MAX_CHOICE = 200
MAX_CHOICES = 30
MAX_QUESTIONS = 50


def _audit(actor: Any, action: str, survey_id: int, detail: str = "") -> None:
    """Tell the audit log (on the staff side) what a staff member did to a survey."""
    signals.staff_acted.send(actor, action=action, target_type="survey", target_id=survey_id,
                             detail=detail)


# --- checking what staff wrote ------------------------------------------------------------


@dataclass
class QuestionSpec:
    kind: str
    prompt: str
    required: bool
    choices: list[str]


def _bad_question(where: str, message: str, field: str) -> Invalid:
    """``message`` after ``where`` ("Question 2: a choice question needs ..."), or on
    its own as a sentence ("A choice question needs ...")."""
    if not where:
        message = message[:1].upper() + message[1:]
    return Invalid(f"{where}{message}", code="invalid_question", field=field)


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _clean_prompt(where: str, prompt: Any) -> str:
    if not isinstance(prompt, str) or not _one_line(prompt):
        raise _bad_question(where, "write the question.", "prompt")
    prompt = _one_line(prompt)
    if len(prompt) > MAX_PROMPT:
        raise _bad_question(where, f"a question has at most {MAX_PROMPT} characters.",
                            "prompt")
    return prompt


def _clean_choices(where: str, kind: str, choices: Any) -> list[str]:
    if kind not in CHOICE_KINDS:
        if choices not in (None, [], ""):
            raise _bad_question(where, "only choice questions have choices.", "choices")
        return []
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise _bad_question(where, "give the choices as a list of labels.", "choices")
    labels = [label for label in (_one_line(c) for c in choices) if label]
    if not 2 <= len(labels) <= MAX_CHOICES:
        raise _bad_question(where, f"a choice question needs 2 to {MAX_CHOICES} choices.",
                            "choices")
    if any(len(c) > MAX_CHOICE for c in labels):
        raise _bad_question(where, f"a choice has at most {MAX_CHOICE} characters.", "choices")
    if len({c.casefold() for c in labels}) != len(labels):
        raise _bad_question(where, "each choice must be different.", "choices")
    return labels


def clean_question(
    kind: Any, prompt: Any, required: Any = True, choices: Any = None, *, label: str = ""
) -> QuestionSpec:
    """A question's fields checked and tidied; Invalid naming the form field otherwise."""
    where = f"{label}: " if label else ""
    if kind not in KINDS:
        raise _bad_question(where, f"a question's kind is one of {', '.join(KINDS)}.", "kind")
    prompt = _clean_prompt(where, prompt)
    if not isinstance(required, bool):
        raise _bad_question(where, "required is true or false.", "required")
    return QuestionSpec(kind, prompt, required, _clean_choices(where, kind, choices))


def _clean_questions(questions: Iterable[Any]) -> list[QuestionSpec]:
    specs = []
    for number, raw in enumerate(questions or (), start=1):
        if not isinstance(raw, Mapping):
            raise Invalid(f"Question {number} must be an object.", code="invalid_question",
                          field="questions")
        specs.append(clean_question(raw.get("kind"), raw.get("prompt"),
                                    raw.get("required", True), raw.get("choices"),
                                    label=f"Question {number}"))
    if len(specs) > MAX_QUESTIONS:
        raise Invalid(f"A survey has at most {MAX_QUESTIONS} questions.",
                      code="invalid_question", field="questions")
    return specs


def _bad_survey(message: str, field: str) -> Invalid:
    return Invalid(message, code="invalid_survey", field=field)


def _clean_details(title: Any, description: Any, opens_at: Any,
                   closes_at: Any) -> tuple[str, str]:
    if not isinstance(title, str) or not _one_line(title):
        raise _bad_survey("Give the survey a title.", "title")
    title = _one_line(title)
    if len(title) > MAX_TITLE:
        raise _bad_survey(f"A title has at most {MAX_TITLE} characters.", "title")
    description = description or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise _bad_survey(f"An introduction has at most {MAX_DESCRIPTION:,} characters.",
                          "description")
    for name, moment in (("opens_at", opens_at), ("closes_at", closes_at)):
        if moment is not None and not isinstance(moment, datetime):
            raise _bad_survey("Give times as dates and times.", name)
    if opens_at and closes_at and closes_at <= opens_at:
        raise _bad_survey("The survey must close after it opens.", "closes_at")
    return title, description.strip()


# --- the survey ---------------------------------------------------------------------------


def _new_question(survey_id: int, position: int, spec: QuestionSpec) -> Question:
    return Question(survey_id=survey_id, position=position, kind=spec.kind, prompt=spec.prompt,
                    required=spec.required, choices=spec.choices)


def create_survey(
    actor: Any,
    title: str,
    description: str = "",
    anonymous: bool = False,
    area_slug: str | None = None,
    opens_at: datetime | None = None,
    closes_at: datetime | None = None,
    questions: Iterable[Mapping[str, Any]] = (),
    status: str = "draft",
) -> Survey:
    """A new survey (a draft unless ``status`` is open) with its questions."""
    require_staff(actor, CHANGE_REFUSED)
    title, description = _clean_details(title, description, opens_at, closes_at)
    if not isinstance(anonymous, bool):
        raise _bad_survey("anonymous is true or false.", "anonymous")
    if status not in ("draft", "open"):
        raise Invalid("A new survey is a draft or open.", code="invalid_status", field="status")
    specs = _clean_questions(questions)
    with write_transaction():
        survey = Survey(
            title=title, description=description, anonymous=anonymous,
            area_id=resolve_area_id(area_slug), opens_at=opens_at, closes_at=closes_at,
            created_by_id=actor.id, status="draft",
        )
        db.session.add(survey)
        db.session.flush()
        db.session.add_all([_new_question(survey.id, position, spec)
                            for position, spec in enumerate(specs, start=1)])
        if status == "open":
            db.session.flush()
            _publish(survey)
        _audit(actor, "survey.create", survey.id, f"{title} ({status})")
    return load_survey(survey.id)


def update_survey(actor: Any, survey_id: int, title: str, description: str, anonymous: bool,
                  area_slug: str | None, opens_at: datetime | None,
                  closes_at: datetime | None) -> Survey:
    """Change a survey's details; anonymity is fixed once there are responses."""
    require_staff(actor, CHANGE_REFUSED)
    title, description = _clean_details(title, description, opens_at, closes_at)
    with write_transaction():
        survey = lock_survey(survey_id)
        if bool(anonymous) != survey.anonymous and survey.response_count > 0:
            raise Conflict("The survey has responses, so it cannot switch between anonymous "
                           "and identified.", code="survey_has_responses", field="anonymous")
        survey.title, survey.description = title, description
        survey.anonymous = bool(anonymous)
        survey.area_id = resolve_area_id(area_slug)
        survey.opens_at, survey.closes_at = opens_at, closes_at
        _audit(actor, "survey.edit", survey.id, title)
    return load_survey(survey_id)


def _publish(survey: Survey) -> None:
    if survey.status == "open":
        raise Conflict("The survey is already open.", code="invalid_status")
    if not questions_of(survey.id):
        raise Invalid("Add at least one question before publishing.", code="no_questions")
    if survey.closes_at is not None and survey.closes_at <= utcnow():
        raise _bad_survey("The close time has passed; move it first.", "closes_at")
    survey.status = "open"


def publish_survey(actor: Any, survey_id: int) -> Survey:
    """Open a draft (or reopen a closed survey) for answers."""
    require_staff(actor, CHANGE_REFUSED)
    with write_transaction():
        _publish(lock_survey(survey_id))
        _audit(actor, "survey.publish", survey_id)
    return load_survey(survey_id)


def close_survey(actor: Any, survey_id: int) -> Survey:
    require_staff(actor, CHANGE_REFUSED)
    with write_transaction():
        survey = lock_survey(survey_id)
        if survey.status != "open":
            raise Conflict("Only an open survey can be closed.", code="invalid_status")
        survey.status = "closed"
        _audit(actor, "survey.close", survey_id)
    return load_survey(survey_id)


def set_status(actor: Any, survey_id: int, status: str) -> Survey:
    """The API's PATCH: open (publish or reopen) or close."""
    if status == "open":
        return publish_survey(actor, survey_id)
    if status == "closed":
        return close_survey(actor, survey_id)
    raise Invalid("The status is open or closed.", code="invalid_status", field="status")


def duplicate_survey(actor: Any, survey_id: int) -> Survey:
    """A new draft with the same details and questions, and no answers."""
    require_staff(actor, CHANGE_REFUSED)
    with write_transaction():
        source = load_survey(survey_id)
        copy = Survey(
            title=f"Copy of {source.title}"[:MAX_TITLE], description=source.description,
            anonymous=source.anonymous, area_id=source.area_id, created_by_id=actor.id,
            status="draft",
        )
        db.session.add(copy)
        db.session.flush()
        db.session.add_all([
            Question(survey_id=copy.id, position=question.position, kind=question.kind,
                     prompt=question.prompt, required=question.required,
                     choices=list(question.choices or []))
            for question in source.questions
        ])
        _audit(actor, "survey.duplicate", copy.id, f"from survey {survey_id}")
    return load_survey(copy.id)


# --- questions ----------------------------------------------------------------------------


def add_question(actor: Any, survey_id: int, kind: str, prompt: str, required: bool = True,
                 choices: list[str] | None = None) -> Question:
    """Add a question at the end. A published survey may gain questions: earlier
    respondents simply did not see them."""
    require_staff(actor, CHANGE_REFUSED)
    spec = clean_question(kind, prompt, required, choices)
    with write_transaction():
        survey = lock_survey(survey_id)
        questions = questions_of(survey.id)
        if len(questions) >= MAX_QUESTIONS:
            raise Invalid(f"A survey has at most {MAX_QUESTIONS} questions.",
                          code="invalid_question", field="prompt")
        question = _new_question(survey.id, len(questions) + 1, spec)
        db.session.add(question)
        _audit(actor, "survey.question_add", survey.id, spec.prompt[:200])
    return question


def _keep_answered(question: Question, spec: QuestionSpec) -> None:
    """Once a question has answers its kind is fixed and no choice may go (they name it)."""
    if spec.kind != question.kind:
        raise Conflict("This question has answers, so its kind cannot change.",
                       code="question_has_answers", field="kind")
    missing = [c for c in question.choices or [] if c not in spec.choices]
    if missing:
        raise Conflict(
            "This question has answers, so its choices can be added to but not "
            f"removed or renamed (missing: {', '.join(missing)}).",
            code="question_has_answers", field="choices")


def edit_question(actor: Any, question_id: int, prompt: str, required: bool,
                  choices: list[str] | None = None, kind: str | None = None) -> Question:
    """Change a question. Once it has answers its kind is fixed and its choices may
    grow but not lose or rename a label (the answers name them)."""
    require_staff(actor, CHANGE_REFUSED)
    with write_transaction():
        survey, question = lock_question(question_id)
        new_kind = kind or question.kind
        spec = clean_question(new_kind, prompt, required,
                              choices if new_kind in CHOICE_KINDS else None)
        if has_answers(question.id):
            _keep_answered(question, spec)
        question.kind, question.prompt = spec.kind, spec.prompt
        question.required, question.choices = spec.required, spec.choices
        _audit(actor, "survey.question_edit", survey.id, spec.prompt[:200])
    return question


def move_question(actor: Any, question_id: int, direction: str) -> Question:
    """Swap a question with its neighbour above (``up``) or below (``down``)."""
    require_staff(actor, CHANGE_REFUSED)
    if direction not in ("up", "down"):
        raise Invalid("Move a question up or down.", code="invalid_direction")
    with write_transaction():
        survey, question = lock_question(question_id)
        questions = questions_of(survey.id)
        index = next(i for i, q in enumerate(questions) if q.id == question.id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(questions):
            questions[index], questions[other] = questions[other], questions[index]
        for position, item in enumerate(questions, start=1):
            item.position = position
        _audit(actor, "survey.question_move", survey.id, f"{question.prompt[:180]} {direction}")
    return question


def remove_question(actor: Any, question_id: int) -> None:
    """Remove a question that has no answers."""
    require_staff(actor, CHANGE_REFUSED)
    with write_transaction():
        survey, question = lock_question(question_id)
        if has_answers(question.id):
            raise Conflict("This question has answers; removing it would lose them. "
                           "Close the survey and duplicate it instead.",
                           code="question_has_answers")
        db.session.execute(delete(Tally).where(Tally.question_id == question.id))
        _audit(actor, "survey.question_remove", survey.id, question.prompt[:200])
        db.session.delete(question)
        db.session.flush()
        for position, item in enumerate(questions_of(survey.id), start=1):
            item.position = position
