"""Surveys: the builder, answering, results, trend and export.

Every write runs in one ``write_transaction``. The builder, close, publish and
``rebuild_tallies`` lock the survey row ``FOR UPDATE``; ``submit_response`` only
``FOR KEY SHARE``, so responses to one survey overlap on PostgreSQL while a close or
an edit still waits for them (see ``submit_response`` for why the lock order cannot
deadlock). It sends ``signals.survey_response_submitted`` in the same transaction.

Results come from ``Tally`` counters bumped by each response (one upsert), so
their cost does not grow with the number of responses; ``rebuild_tallies``
recomputes them from the answers with GROUP BY.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import secrets
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Date, bindparam, delete, exists, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import joinedload, make_transient_to_detached, selectinload

from voice import signals
from voice.areas.models import Area
from voice.areas.service import area_by_slug
from voice.clock import isoformat, utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from voice.extensions import db
from voice.paging import Page, paginate
from voice.surveys import stats
from voice.surveys.models import (
    CHOICE_KINDS,
    KINDS,
    SCALES,
    Answer,
    Question,
    Response,
    Survey,
    Tally,
    UsedResponseToken,
)

MAX_TITLE = 200
MAX_DESCRIPTION = 5_000
MAX_PROMPT = 500
MAX_CHOICE = 200
MAX_CHOICES = 30
MAX_QUESTIONS = 50
MAX_TEXT = 5_000
TOKEN_SALT = "voice.surveys.response-token"
TOKEN_MAX_AGE = 7 * 24 * 3600
ANSWERED = ""  # the Tally value that counts a question's answers


# --- errors the pages need more from -----------------------------------------------------


class AnswersInvalid(Invalid):
    """Some answers were refused; ``errors`` maps each question id to its message."""

    def __init__(self, errors: dict[int, str], code: str):
        first_id, first = next(iter(errors.items()))
        count = len(errors)
        message = first if count == 1 else f"{count} answers need attention. First: {first}"
        super().__init__(message, code=code, field=f"q{first_id}")
        self.errors = errors


class AlreadyResponded(Conflict):
    code = "already_responded"

    def __init__(self, message: str, responded_at: datetime | None = None):
        super().__init__(message, code="already_responded")
        self.responded_at = responded_at


# --- reading ------------------------------------------------------------------------------


def _audit(actor, action: str, survey_id: int, detail: str = "") -> None:
    """Tell the audit log (on the staff side) what a staff member did to a survey."""
    signals.staff_acted.send(actor, action=action, target_type="survey", target_id=survey_id,
                             detail=detail)


def _require_staff(actor) -> None:
    if actor is None or not getattr(actor, "is_staff", False):
        raise Forbidden("Only staff may change surveys.")


def load_survey(survey_id: int) -> Survey:
    """The survey with its questions loaded (templates never lazy-load)."""
    survey = db.session.scalar(
        select(Survey)
        .where(Survey.id == survey_id)
        .options(selectinload(Survey.questions))
        .execution_options(populate_existing=True)
    )
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def get_survey(survey_id: int, viewer=None) -> Survey:
    """A survey as a viewer may see it: drafts only to staff."""
    survey = load_survey(survey_id)
    if survey.status == "draft" and not getattr(viewer, "is_staff", False):
        raise NotFound("No such survey.")
    return survey


def _open_now_clause(now: datetime):
    return (
        (Survey.status == "open")
        & ((Survey.opens_at.is_(None)) | (Survey.opens_at <= now))
        & ((Survey.closes_at.is_(None)) | (Survey.closes_at > now))
    )


def open_surveys(page: int = 1, per_page: int = 20) -> Page:
    """The surveys taking answers now, newest first, with their questions."""
    stmt = (
        select(Survey)
        .where(_open_now_clause(utcnow()))
        .options(selectinload(Survey.questions))
        .order_by(Survey.created_at.desc(), Survey.id.desc())
    )
    return paginate(stmt, page, per_page)


@dataclass
class OpenList:
    listing: Page
    answered: dict[int, datetime] = field(default_factory=dict)  # survey id -> when


def open_surveys_for(user, page: int = 1, per_page: int = 20) -> OpenList:
    """The open surveys and, for a signed-in customer, which of them they answered."""
    listing = open_surveys(page, per_page)
    answered: dict[int, datetime] = {}
    if user is not None and getattr(user, "is_authenticated", False) and listing.items:
        rows = db.session.execute(
            select(Response.survey_id, Response.created_at).where(
                Response.user_id == user.id,
                Response.survey_id.in_([s.id for s in listing.items]),
            )
        )
        answered = {row[0]: row[1] for row in rows.all()}
    return OpenList(listing, answered)


def staff_surveys(page: int = 1, per_page: int = 20, status: str | None = None) -> Page:
    """Every survey, newest first, as (Survey, area name or None) rows."""
    stmt = select(Survey, Area.name).outerjoin(Area, Area.id == Survey.area_id)
    if status:
        if status not in ("draft", "open", "closed"):
            raise Invalid("A status is draft, open or closed.", code="invalid_status")
        stmt = stmt.where(Survey.status == status)
    stmt = stmt.order_by(Survey.created_at.desc(), Survey.id.desc())
    return paginate(stmt, page, per_page, scalars=False)


def _questions(survey_id: int) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.survey_id == survey_id)
            .order_by(Question.position, Question.id)
        )
    )


def _answered_question_ids(survey_id: int) -> set[int]:
    rows = db.session.scalars(
        select(Tally.question_id)
        .where(Tally.survey_id == survey_id, Tally.value == ANSWERED, Tally.count > 0)
        .distinct()
    )
    return set(rows)


def _has_answers(question_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Answer.question_id == question_id))))


@dataclass
class BuilderView:
    survey: Survey
    area_slug: str | None
    answered_question_ids: set[int]


def survey_for_builder(actor, survey_id: int) -> BuilderView:
    _require_staff(actor)
    survey = load_survey(survey_id)
    slug = None
    if survey.area_id is not None:
        slug = db.session.scalar(select(Area.slug).where(Area.id == survey.area_id))
    return BuilderView(survey, slug, _answered_question_ids(survey_id))


@dataclass
class AnsweringView:
    survey: Survey
    accepting: bool
    closed_message: str | None
    responded_at: datetime | None = None  # identified: when this customer answered
    token: str | None = None  # anonymous: the one-time token for this browser session
    token_spent: bool = False  # anonymous: this browser session has answered
    needs_login: bool = False


def survey_for_answering(survey_id: int, user=None, nonce: str | None = None) -> AnsweringView:
    """What the answering page shows: the survey, whether it takes answers, and
    whether this customer (identified) or browser session (anonymous) answered."""
    survey = get_survey(survey_id, user)
    now = utcnow()
    accepting = survey.accepts_answers_at(now)
    view = AnsweringView(survey, accepting, None if accepting else closed_message(survey, now))
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    if survey.anonymous:
        if nonce:
            view.token = response_token(survey.id, nonce)
            view.token_spent = _token_spent(survey.id, nonce)
    elif signed_in:
        view.responded_at = db.session.scalar(
            select(Response.created_at).where(
                Response.survey_id == survey.id, Response.user_id == user.id
            )
        )
    else:
        view.needs_login = True
    return view


def closed_message(survey: Survey, moment: datetime) -> str:
    if survey.status == "draft":
        return "This survey is not published yet."
    if survey.status == "closed":
        return "This survey is closed and takes no more answers. Thank you for your interest."
    if survey.opens_at is not None and moment < survey.opens_at:
        return f"This survey opens on {survey.opens_at:%d %b %Y at %H:%M} UTC."
    return "This survey closed and takes no more answers. Thank you for your interest."


# --- the builder --------------------------------------------------------------------------


@dataclass
class QuestionSpec:
    kind: str
    prompt: str
    required: bool
    choices: list[str]


def clean_question(
    kind: Any, prompt: Any, required: Any = True, choices: Any = None, *, label: str = ""
) -> QuestionSpec:
    """A question's fields checked and tidied; Invalid naming the form field otherwise."""
    where = f"{label}: " if label else ""
    if kind not in KINDS:
        raise Invalid(f"{where}a question's kind is one of {', '.join(KINDS)}.",
                      code="invalid_question", field="kind")
    if not isinstance(prompt, str) or not " ".join(prompt.split()):
        raise Invalid(f"{where}write the question.", code="invalid_question", field="prompt")
    prompt = " ".join(prompt.split())
    if len(prompt) > MAX_PROMPT:
        raise Invalid(f"{where}a question has at most {MAX_PROMPT} characters.",
                      code="invalid_question", field="prompt")
    if not isinstance(required, bool):
        raise Invalid(f"{where}required is true or false.", code="invalid_question",
                      field="required")
    labels: list[str] = []
    if kind in CHOICE_KINDS:
        if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
            raise Invalid(f"{where}give the choices as a list of labels.",
                          code="invalid_question", field="choices")
        labels = [" ".join(c.split()) for c in choices]
        labels = [c for c in labels if c]
        if not 2 <= len(labels) <= MAX_CHOICES:
            raise Invalid(f"{where}a choice question needs 2 to {MAX_CHOICES} choices.",
                          code="invalid_question", field="choices")
        if any(len(c) > MAX_CHOICE for c in labels):
            raise Invalid(f"{where}a choice has at most {MAX_CHOICE} characters.",
                          code="invalid_question", field="choices")
        if len({c.casefold() for c in labels}) != len(labels):
            raise Invalid(f"{where}each choice must be different.", code="invalid_question",
                          field="choices")
    elif choices not in (None, [], ""):
        raise Invalid(f"{where}only choice questions have choices.", code="invalid_question",
                      field="choices")
    return QuestionSpec(kind, prompt, required, labels)


def _clean_details(title, description, opens_at, closes_at) -> tuple[str, str]:
    if not isinstance(title, str) or not " ".join(title.split()):
        raise Invalid("Give the survey a title.", code="invalid_survey", field="title")
    title = " ".join(title.split())
    if len(title) > MAX_TITLE:
        raise Invalid(f"A title has at most {MAX_TITLE} characters.", code="invalid_survey",
                      field="title")
    description = description or ""
    if not isinstance(description, str) or len(description) > MAX_DESCRIPTION:
        raise Invalid(f"An introduction has at most {MAX_DESCRIPTION:,} characters.",
                      code="invalid_survey", field="description")
    for name, moment in (("opens_at", opens_at), ("closes_at", closes_at)):
        if moment is not None and not isinstance(moment, datetime):
            raise Invalid("Give times as dates and times.", code="invalid_survey", field=name)
    if opens_at and closes_at and closes_at <= opens_at:
        raise Invalid("The survey must close after it opens.", code="invalid_survey",
                      field="closes_at")
    return title, description.strip()


def _area_id(area_slug: str | None) -> int | None:
    if not area_slug:
        return None
    area = area_by_slug(area_slug)
    if area is None:
        raise Invalid("No such product area.", code="invalid_area", field="area")
    return area.id


def create_survey(
    actor,
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
    _require_staff(actor)
    title, description = _clean_details(title, description, opens_at, closes_at)
    if not isinstance(anonymous, bool):
        raise Invalid("anonymous is true or false.", code="invalid_survey", field="anonymous")
    if status not in ("draft", "open"):
        raise Invalid("A new survey is a draft or open.", code="invalid_status", field="status")
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
    with write_transaction():
        survey = Survey(
            title=title, description=description, anonymous=anonymous,
            area_id=_area_id(area_slug), opens_at=opens_at, closes_at=closes_at,
            created_by_id=actor.id, status="draft",
        )
        db.session.add(survey)
        db.session.flush()
        for position, spec in enumerate(specs, start=1):
            db.session.add(Question(survey_id=survey.id, position=position, kind=spec.kind,
                                    prompt=spec.prompt, required=spec.required,
                                    choices=spec.choices))
        if status == "open":
            db.session.flush()
            _publish(survey)
        _audit(actor, "survey.create", survey.id, f"{title} ({status})")
    return load_survey(survey.id)


def update_survey(actor, survey_id: int, title: str, description: str, anonymous: bool,
                  area_slug: str | None, opens_at: datetime | None,
                  closes_at: datetime | None) -> Survey:
    """Change a survey's details; anonymity is fixed once there are responses."""
    _require_staff(actor)
    title, description = _clean_details(title, description, opens_at, closes_at)
    with write_transaction():
        survey = _lock_survey(survey_id)
        if bool(anonymous) != survey.anonymous and survey.response_count > 0:
            raise Conflict("The survey has responses, so it cannot switch between anonymous "
                           "and identified.", code="survey_has_responses", field="anonymous")
        survey.title, survey.description = title, description
        survey.anonymous = bool(anonymous)
        survey.area_id = _area_id(area_slug)
        survey.opens_at, survey.closes_at = opens_at, closes_at
        _audit(actor, "survey.edit", survey.id, title)
    return load_survey(survey_id)


def _lock_survey(survey_id: int) -> Survey:
    survey = db.session.scalar(
        select(Survey).where(Survey.id == survey_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def _lock_question(question_id: int) -> tuple[Survey, Question]:
    survey_id = db.session.scalar(select(Question.survey_id).where(Question.id == question_id))
    if survey_id is None:
        raise NotFound("No such question.")
    survey = _lock_survey(survey_id)
    question = db.session.get(Question, question_id, populate_existing=True)
    if question is None:
        raise NotFound("No such question.")
    return survey, question


def add_question(actor, survey_id: int, kind: str, prompt: str, required: bool = True,
                 choices: list[str] | None = None) -> Question:
    """Add a question at the end. A published survey may gain questions: earlier
    respondents simply did not see them."""
    _require_staff(actor)
    spec = clean_question(kind, prompt, required, choices)
    with write_transaction():
        survey = _lock_survey(survey_id)
        questions = _questions(survey.id)
        if len(questions) >= MAX_QUESTIONS:
            raise Invalid(f"A survey has at most {MAX_QUESTIONS} questions.",
                          code="invalid_question", field="prompt")
        question = Question(survey_id=survey.id, position=len(questions) + 1, kind=spec.kind,
                            prompt=spec.prompt, required=spec.required, choices=spec.choices)
        db.session.add(question)
        _audit(actor, "survey.question_add", survey.id, spec.prompt[:200])
    return question


def edit_question(actor, question_id: int, prompt: str, required: bool,
                  choices: list[str] | None = None, kind: str | None = None) -> Question:
    """Change a question. Once it has answers its kind is fixed and its choices may
    grow but not lose or rename a label (the answers name them)."""
    _require_staff(actor)
    with write_transaction():
        survey, question = _lock_question(question_id)
        new_kind = kind or question.kind
        spec = clean_question(new_kind, prompt, required,
                              choices if new_kind in CHOICE_KINDS else None)
        if _has_answers(question.id):
            if spec.kind != question.kind:
                raise Conflict("This question has answers, so its kind cannot change.",
                               code="question_has_answers", field="kind")
            missing = [c for c in question.choices or [] if c not in spec.choices]
            if missing:
                raise Conflict(
                    "This question has answers, so its choices can be added to but not "
                    f"removed or renamed (missing: {', '.join(missing)}).",
                    code="question_has_answers", field="choices")
        question.kind, question.prompt = spec.kind, spec.prompt
        question.required, question.choices = spec.required, spec.choices
        _audit(actor, "survey.question_edit", survey.id, spec.prompt[:200])
    return question


def move_question(actor, question_id: int, direction: str) -> Question:
    """Swap a question with its neighbour above (``up``) or below (``down``)."""
    _require_staff(actor)
    if direction not in ("up", "down"):
        raise Invalid("Move a question up or down.", code="invalid_direction")
    with write_transaction():
        survey, question = _lock_question(question_id)
        questions = _questions(survey.id)
        index = next(i for i, q in enumerate(questions) if q.id == question.id)
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(questions):
            questions[index], questions[other] = questions[other], questions[index]
        for position, item in enumerate(questions, start=1):
            item.position = position
        _audit(actor, "survey.question_move", survey.id, f"{question.prompt[:180]} {direction}")
    return question


def remove_question(actor, question_id: int) -> None:
    """Remove a question that has no answers."""
    _require_staff(actor)
    with write_transaction():
        survey, question = _lock_question(question_id)
        if _has_answers(question.id):
            raise Conflict("This question has answers; removing it would lose them. "
                           "Close the survey and duplicate it instead.",
                           code="question_has_answers")
        db.session.execute(delete(Tally).where(Tally.question_id == question.id))
        _audit(actor, "survey.question_remove", survey.id, question.prompt[:200])
        db.session.delete(question)
        db.session.flush()
        for position, item in enumerate(_questions(survey.id), start=1):
            item.position = position


def _publish(survey: Survey) -> None:
    if survey.status == "open":
        raise Conflict("The survey is already open.", code="invalid_status")
    if not _questions(survey.id):
        raise Invalid("Add at least one question before publishing.", code="no_questions")
    if survey.closes_at is not None and survey.closes_at <= utcnow():
        raise Invalid("The close time has passed; move it first.", code="invalid_survey",
                      field="closes_at")
    survey.status = "open"


def publish_survey(actor, survey_id: int) -> Survey:
    """Open a draft (or reopen a closed survey) for answers."""
    _require_staff(actor)
    with write_transaction():
        _publish(_lock_survey(survey_id))
        _audit(actor, "survey.publish", survey_id)
    return load_survey(survey_id)


def close_survey(actor, survey_id: int) -> Survey:
    _require_staff(actor)
    with write_transaction():
        survey = _lock_survey(survey_id)
        if survey.status != "open":
            raise Conflict("Only an open survey can be closed.", code="invalid_status")
        survey.status = "closed"
        _audit(actor, "survey.close", survey_id)
    return load_survey(survey_id)


def set_status(actor, survey_id: int, status: str) -> Survey:
    """The API's PATCH: open (publish or reopen) or close."""
    if status == "open":
        return publish_survey(actor, survey_id)
    if status == "closed":
        return close_survey(actor, survey_id)
    raise Invalid("The status is open or closed.", code="invalid_status", field="status")


def duplicate_survey(actor, survey_id: int) -> Survey:
    """A new draft with the same details and questions, and no answers."""
    _require_staff(actor)
    with write_transaction():
        source = load_survey(survey_id)
        copy = Survey(
            title=f"Copy of {source.title}"[:MAX_TITLE], description=source.description,
            anonymous=source.anonymous, area_id=source.area_id, created_by_id=actor.id,
            status="draft",
        )
        db.session.add(copy)
        db.session.flush()
        for question in source.questions:
            db.session.add(Question(
                survey_id=copy.id, position=question.position, kind=question.kind,
                prompt=question.prompt, required=question.required,
                choices=list(question.choices or []),
            ))
        _audit(actor, "survey.duplicate", copy.id, f"from survey {survey_id}")
    return load_survey(copy.id)


# --- answering ----------------------------------------------------------------------------


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=TOKEN_SALT)


def new_nonce() -> str:
    return secrets.token_urlsafe(16)


def response_token(survey_id: int, nonce: str | None = None) -> str:
    """A signed one-time token for an anonymous survey. The pages derive it from a
    nonce kept in the browser session, so a reloaded page's token names the same
    response (the signature's timestamp may differ; spending one spends both)."""
    return _serializer().dumps({"s": survey_id, "n": nonce or new_nonce()})


def _digest(survey_id: int, nonce: str) -> str:
    return hashlib.sha256(f"{survey_id}:{nonce}".encode()).hexdigest()


def _token_spent(survey_id: int, nonce: str) -> bool:
    digest = _digest(survey_id, nonce)
    return db.session.scalar(
        select(UsedResponseToken.id).where(UsedResponseToken.digest == digest)
    ) is not None


def _token_digest(survey: Survey, token: Any) -> str:
    """The digest to spend for a token signed for this survey (spent or not: the
    INSERT of ``_spend_token`` decides that)."""
    if not token or not isinstance(token, str):
        raise Invalid("This anonymous survey needs the response token from its page; "
                      "reload the page and answer again.", code="token_required")
    try:
        data = _serializer().loads(token, max_age=TOKEN_MAX_AGE)
    except SignatureExpired:
        raise Invalid("The form is too old. Reload the page and answer again.",
                      code="token_expired") from None
    except BadSignature:
        data = None
    if not isinstance(data, dict) or data.get("s") != survey.id or not isinstance(
        data.get("n"), str
    ):
        raise Invalid("The response token is not valid for this survey; reload the page.",
                      code="token_invalid")
    return _digest(survey.id, data["n"])


@dataclass(frozen=True)
class _Upserts:
    """The INSERT ... ON CONFLICT statements of a response, built once per database
    (execute them with the row's values as parameters)."""

    spend_token: Any
    insert_response: Any
    add_tallies: Any


@functools.cache
def _upserts(dialect: str) -> _Upserts:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    tokens, responses, tallies = (UsedResponseToken.__table__, Response.__table__,
                                  Tally.__table__)
    add = insert(tallies)
    return _Upserts(
        spend_token=insert(tokens).on_conflict_do_nothing(index_elements=["digest"])
        .returning(tokens.c.id),
        insert_response=insert(responses)
        .on_conflict_do_nothing(index_elements=["survey_id", "user_id"])
        .returning(responses.c.id),
        add_tallies=add.on_conflict_do_update(
            index_elements=["question_id", "week", "value"],
            set_={"count": tallies.c.count + add.excluded["count"]}),
    )


def _upsert() -> _Upserts:
    return _upserts(db.engine.dialect.name)


def _spend_token(survey_id: int, digest: str) -> None:
    """Spend a one-time token: one INSERT ... ON CONFLICT (digest) DO NOTHING.

    The unique digest refuses a replay without a prior SELECT and without an error
    that would abort the transaction; a concurrent twin's INSERT waits for the first
    to commit (PostgreSQL) or for the write lock (SQLite), then inserts nothing."""
    spent = db.session.execute(_upsert().spend_token,
                               {"survey_id": survey_id, "digest": digest}).first()
    if spent is None:
        raise AlreadyResponded("This survey was already answered from this browser session.")


class _Refused(Exception):
    pass


def _clean_answer(question: Question, raw: Any) -> tuple[int | None, str | None, list | None]:
    """(number, text, choices) for a present answer; _Refused with the message otherwise."""
    kind = question.kind
    if kind in SCALES:
        low, high = SCALES[kind]
        if type(raw) is not int or not low <= raw <= high:
            raise _Refused(f"Choose a whole number from {low} to {high}.")
        return raw, None, None
    if kind == "single_choice":
        if not isinstance(raw, str) or raw not in (question.choices or []):
            raise _Refused("Choose one of the offered answers.")
        return None, raw, None
    if kind == "multi_choice":
        if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
            raise _Refused("Choose from the offered answers.")
        offered = question.choices or []
        if any(c not in offered for c in raw):
            raise _Refused("Choose only from the offered answers.")
        if len(set(raw)) != len(raw):
            raise _Refused("Choose each answer at most once.")
        return None, None, [c for c in offered if c in raw]  # in the offered order
    if not isinstance(raw, str):
        raise _Refused("Write your answer as text.")
    text = raw.replace("\x00", "").strip()
    if len(text) > MAX_TEXT:
        raise _Refused(f"Keep your answer under {MAX_TEXT:,} characters "
                       f"(it has {len(text):,}).")
    return None, text, None


def _is_blank(question: Question, raw: Any) -> bool:
    if raw is None or raw == [] or raw == "":
        return True
    return question.kind == "text" and isinstance(raw, str) and not raw.replace(
        "\x00", "").strip()


def validate_answers(questions: list[Question], answers: Mapping[Any, Any]) -> list[tuple]:
    """[(question, number, text, choices)] for the answered questions, or AnswersInvalid
    naming each refused or missing answer. Keys are question ids (int or digit strings)."""
    if not isinstance(answers, Mapping):
        raise Invalid("answers must map question ids to values.", code="invalid_answer")
    by_id = {q.id: q for q in questions}
    given: dict[int, Any] = {}
    for key, value in answers.items():
        qid = key if type(key) is int else (int(key) if isinstance(key, str)
                                            and key.isdigit() else None)
        if qid is None or qid not in by_id:
            raise Invalid(f"Question {key} is not part of this survey.",
                          code="unknown_question")
        given[qid] = value
    errors: dict[int, str] = {}
    missing_only = True
    cleaned = []
    for question in questions:
        raw = given.get(question.id)
        if _is_blank(question, raw):
            if question.required:
                errors[question.id] = "This question needs an answer."
            continue
        try:
            cleaned.append((question, *_clean_answer(question, raw)))
        except _Refused as refusal:
            errors[question.id] = str(refusal)
            missing_only = False
    if errors:
        raise AnswersInvalid(errors, "answer_required" if missing_only else "invalid_answer")
    return cleaned


def week_of(moment: datetime) -> date:
    """The Monday of the moment's week."""
    day = moment.date()
    return day - timedelta(days=day.weekday())


def _upsert_tallies(survey_id: int, counts: Mapping[tuple[int, date, str], int]) -> None:
    """Add ``counts`` to the tallies: one INSERT ... ON CONFLICT DO UPDATE sent as an
    executemany (one statement, compiled once, whatever the number of rows). Keys
    are sorted, so concurrent writers take the row locks in the same order."""
    rows = [
        {"survey_id": survey_id, "question_id": q, "week": w, "value": v, "count": n}
        for (q, w, v), n in sorted(counts.items())
    ]
    if rows:
        db.session.execute(_upsert().add_tallies, rows)


def submit_response(
    survey_id: int,
    user,
    answers: Mapping[Any, Any],
    anonymous_token: str | None = None,
    submitted_at: datetime | None = None,
) -> Response:
    """Store one response and its answers, or refuse and store nothing.

    ``user`` is the signed-in customer (None or an anonymous user when nobody is
    signed in). Identified surveys take one response per customer; anonymous ones
    store no user and spend ``anonymous_token`` (see ``response_token``).
    ``submitted_at`` backdates a response (demo data and benchmarks only). The
    Response returned is detached: its columns are loaded, so reading them after the
    commit costs no query. The signal's ``survey`` has its questions loaded.

    Locking, so that responses to one survey overlap on PostgreSQL without a lost
    count or a deadlock:

    1. The survey row is read ``FOR KEY SHARE`` (with its questions, one statement).
       That conflicts with the ``FOR UPDATE`` of a close, a publish or an edit, so
       those wait for the responses in flight and a response never sees a survey
       half-changed; it does not conflict with other responses' key-share locks nor
       with their counter ``UPDATE`` (a no-key update). ``FOR SHARE`` would: two
       transactions holding FOR SHARE that then both UPDATE the row deadlock.
    2. The one-response rules are unique constraints, applied by INSERT ... ON
       CONFLICT DO NOTHING: the spent-token digest (anonymous) or (survey, user)
       (identified). A concurrent twin waits for the first and then inserts nothing,
       so exactly one response is stored and the twin gets AlreadyResponded.
    3. The shared rows go last, after the signal's subscribers: the tallies (one
       upsert, keys sorted, so every response locks them in the same order) and then
       ``response_count = response_count + 1`` (atomic, no read-modify-write). Their
       row locks are therefore held only from those two statements to the commit,
       and every response takes them in the same order: tallies, then survey. That
       short tail (every response bumps the same "answered" tallies of the week) is
       the only part that still runs one response at a time.

    A close waits for the responses in flight; PostgreSQL lets a new key-share lock
    in ahead of a waiting FOR UPDATE, so under a continuous stream of overlapping
    responses a close waits for a gap. On SQLite ``BEGIN IMMEDIATE`` serialises the
    whole transaction anyway.
    """
    moment = submitted_at or utcnow()
    signed_in = user is not None and getattr(user, "is_authenticated", False)
    with write_transaction():
        survey = _survey_for_response(survey_id)
        if not survey.accepts_answers_at(moment):
            raise Conflict(closed_message(survey, moment), code="survey_closed")
        if survey.anonymous:
            _spend_token(survey.id, _token_digest(survey, anonymous_token))
        elif not signed_in:
            raise Unauthorized("Sign in to answer this survey.", code="unauthorized")
        user_id = None if survey.anonymous else user.id
        response = _insert_response(survey.id, user_id, moment)
        cleaned = validate_answers(list(survey.questions), answers)
        rows = _insert_answers(response, cleaned)
        signals.survey_response_submitted.send(response, survey=survey, answers=rows)
        _count_response(survey.id, cleaned, week_of(moment))
    return response


# The survey and its questions in one statement, the survey row locked FOR KEY SHARE
# (PostgreSQL; SQLite has no row locks, and the transaction holds its write lock).
_SURVEY_FOR_RESPONSE = (
    select(Survey).where(Survey.id == bindparam("survey_id"))
    .options(joinedload(Survey.questions))
    .with_for_update(read=True, key_share=True, of=Survey)
    .execution_options(populate_existing=True)
)
_COUNT_RESPONSE = (
    update(Survey.__table__).where(Survey.__table__.c.id == bindparam("survey_id"))
    .values(response_count=Survey.__table__.c.response_count + 1)
)


def _survey_for_response(survey_id: int) -> Survey:
    survey = db.session.execute(
        _SURVEY_FOR_RESPONSE, {"survey_id": survey_id}).unique().scalar_one_or_none()
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def _insert_response(survey_id: int, user_id: int | None, moment: datetime) -> Response:
    """INSERT the response; AlreadyResponded if this customer has one (the unique
    (survey, user) refuses it; anonymous rows have no user and never clash)."""
    inserted = db.session.execute(
        _upsert().insert_response,
        {"survey_id": survey_id, "user_id": user_id, "created_at": moment}).first()
    if inserted is None:
        earlier = db.session.scalar(select(Response.created_at).where(
            Response.survey_id == survey_id, Response.user_id == user_id))
        if earlier is None:  # deleted since the INSERT saw it (account deletion)
            raise AlreadyResponded("You already answered this survey.")
        raise AlreadyResponded(f"You answered this survey on {earlier:%d %b %Y}.", earlier)
    response = Response(id=inserted[0], survey_id=survey_id, user_id=user_id,
                        created_at=moment)
    make_transient_to_detached(response)
    return response


def _insert_answers(response: Response, cleaned: list[tuple]) -> list[Answer]:
    """INSERT the answers in one executemany; the Answer objects returned (for the
    signal) are not in the session and have no id."""
    rows = [
        {"response_id": response.id, "question_id": question.id,
         "survey_id": response.survey_id, "number": number, "text": text,
         "choices": choices}
        for question, number, text, choices in cleaned
    ]
    if rows:
        db.session.execute(Answer.__table__.insert(), rows)
    return [Answer(**row) for row in rows]


def _count_response(survey_id: int, cleaned: list[tuple], week: date) -> None:
    """Add the response to the tallies and to ``response_count``; the last statements
    of the transaction (see ``submit_response``)."""
    counts: Counter = Counter()
    for question, number, text, choices in cleaned:
        counts[(question.id, week, ANSWERED)] += 1
        if number is not None:
            counts[(question.id, week, str(number))] += 1
        elif question.kind == "single_choice":
            counts[(question.id, week, text)] += 1
        for label in choices or ():
            counts[(question.id, week, label)] += 1
    _upsert_tallies(survey_id, counts)
    db.session.execute(_COUNT_RESPONSE, {"survey_id": survey_id})


def rebuild_tallies(survey_id: int) -> None:
    """Recompute a survey's tallies and response count from its answers (GROUP BY)."""
    with write_transaction():
        survey = _lock_survey(survey_id)
        questions = _questions(survey.id)
        kinds = {q.id: q.kind for q in questions}
        db.session.execute(delete(Tally).where(Tally.survey_id == survey.id))
        day = func.date(Response.created_at, type_=Date).label("day")
        counts: Counter = Counter()
        base = select(Answer.question_id, day).join(Response, Response.id == Answer.response_id)
        scored = [q for q, k in kinds.items() if k in SCALES or k == "single_choice"]
        if scored:
            stmt = (base.add_columns(Answer.number, Answer.text, func.count())
                    .where(Answer.question_id.in_(scored))
                    .group_by(Answer.question_id, day, Answer.number, Answer.text))
            for qid, when, number, text, n in db.session.execute(stmt):
                value = str(number) if number is not None else text
                counts[(qid, week_of_day(when), value)] += n
                counts[(qid, week_of_day(when), ANSWERED)] += n
        texts = [q for q, k in kinds.items() if k == "text"]
        if texts:
            stmt = (base.add_columns(func.count()).where(Answer.question_id.in_(texts))
                    .group_by(Answer.question_id, day))
            for qid, when, n in db.session.execute(stmt):
                counts[(qid, week_of_day(when), ANSWERED)] += n
        multi = [q for q, k in kinds.items() if k == "multi_choice"]
        if multi:
            stmt = base.add_columns(Answer.choices).where(Answer.question_id.in_(multi))
            for qid, when, labels in db.session.execute(stmt):
                counts[(qid, week_of_day(when), ANSWERED)] += 1
                for label in labels or ():
                    counts[(qid, week_of_day(when), label)] += 1
        if counts:
            _upsert_tallies(survey.id, counts)
        survey.response_count = db.session.scalar(
            select(func.count(Response.id)).where(Response.survey_id == survey.id))


def week_of_day(day: date | str) -> date:
    if isinstance(day, str):
        day = date.fromisoformat(day[:10])
    return day - timedelta(days=day.weekday())


# --- results ------------------------------------------------------------------------------


def _round(value: float | None, digits: int) -> float | None:
    return None if value is None else round(value, digits)


def _question_result(question: Question, totals: Mapping[str, int]) -> dict:
    result: dict[str, Any] = {
        "id": question.id, "kind": question.kind, "prompt": question.prompt,
        "position": question.position, "required": question.required,
        "answered": int(totals.get(ANSWERED, 0)),
    }
    if question.kind in SCALES:
        low, high = SCALES[question.kind]
        values = np.arange(low, high + 1)
        counts = np.array([totals.get(str(v), 0) for v in values], dtype=np.int64)
        result["distribution"] = {str(v): int(c) for v, c in zip(values, counts, strict=True)}
        result["mean"] = _round(stats.mean(values, counts), 2)
        if question.kind == "nps":
            score = stats.nps(counts)
            result["nps"] = {
                "score": _round(score.score, 1),
                "promoters": score.promoters, "passives": score.passives,
                "detractors": score.detractors,
                "margin_of_error": _round(score.margin_of_error, 1),
            }
        elif question.kind == "csat":
            result["csat"] = {"score": _round(stats.csat(counts), 1)}
    elif question.kind in CHOICE_KINDS:
        labels = list(question.choices or [])
        labels += sorted(v for v in totals if v != ANSWERED and v not in labels)
        result["distribution"] = {label: int(totals.get(label, 0)) for label in labels}
    else:
        result["distribution"] = {}
    return result


def survey_results(survey_id: int) -> dict:
    """The Results of the API contract: per question the count answered, the
    distribution, and the NPS, CSAT or mean its kind calls for."""
    return _results(load_survey(survey_id))


def _results(survey: Survey) -> dict:
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


def nps_trend(survey_id: int, question_id: int | None = None) -> dict:
    """Weekly NPS of one NPS question (the first by default), every week from the
    first answer to the last, empty weeks included with no score."""
    survey = load_survey(survey_id)
    nps_questions = [q for q in survey.questions if q.kind == "nps"]
    if question_id is not None:
        nps_questions = [q for q in nps_questions if q.id == question_id]
        if not nps_questions:
            raise NotFound("That survey has no such NPS question.")
    if not nps_questions:
        return {"question_id": None, "points": []}
    return {"question_id": nps_questions[0].id, "points": _trend_points(nps_questions[0].id)}


def _trend_points(question_id: int) -> list[dict]:
    rows = db.session.execute(
        select(Tally.week, Tally.value, Tally.count)
        .where(Tally.question_id == question_id, Tally.value != ANSWERED)
    ).all()
    if not rows:
        return []
    weeks = sorted({week_of_day(w) for w, _, _ in rows})
    first, last = weeks[0], weeks[-1]
    span = (last - first).days // 7 + 1
    grid = np.zeros((span, 11), dtype=np.int64)
    for week, value, count in rows:
        grid[(week_of_day(week) - first).days // 7, int(value)] += count
    points = []
    for index, score in enumerate(stats.nps_series(grid)):
        points.append({
            "week": (first + timedelta(weeks=index)).isoformat(),
            "n": score.n, "score": _round(score.score, 1),
            "margin_of_error": _round(score.margin_of_error, 1),
            "promoters": score.promoters, "passives": score.passives,
            "detractors": score.detractors,
        })
    return points


def text_answers(survey_id: int, question_id: int, search: str = "", page: int = 1,
                 per_page: int = 10, answered: int | None = None) -> Page:
    """A page of a text question's answers, newest first, optionally containing
    ``search``. Items are dicts {id, response_id, text, created_at}."""
    question = db.session.get(Question, question_id)
    if question is None or question.survey_id != survey_id or question.kind != "text":
        raise NotFound("That survey has no such text question.")
    search = (search or "").strip()[:200]
    stmt = (
        select(Answer.id, Answer.response_id, Answer.text, Response.created_at)
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
        rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
        listing = Page(items=list(rows), page=page, per_page=per_page, total=int(answered))
    listing.items = [
        {"id": a, "response_id": r, "text": t, "created_at": c} for a, r, t, c in listing.items
    ]
    return listing


@dataclass
class Report:
    survey: Survey
    results: dict
    trend: dict
    texts: dict[int, Page]  # text question id -> a page of its answers
    search_question: int | None
    search: str


def survey_report(actor, survey_id: int, search_question: int | None = None,
                  search: str = "", page: int = 1) -> Report:
    """Everything the staff results page shows, in a fixed number of queries."""
    _require_staff(actor)
    survey = load_survey(survey_id)
    results = _results(survey)
    first_nps = next((q for q in survey.questions if q.kind == "nps"), None)
    trend = {"question_id": None, "points": []}
    if first_nps is not None:
        trend = {"question_id": first_nps.id, "points": _trend_points(first_nps.id)}
    answered = {q["id"]: q["answered"] for q in results["questions"]}
    texts = {}
    for question in survey.questions:
        if question.kind != "text":
            continue
        mine = question.id == search_question
        texts[question.id] = text_answers(
            survey.id, question.id, search if mine else "", page if mine else 1,
            answered=answered[question.id],
        )
    return Report(survey, results, trend, texts, search_question, search)


# --- export -------------------------------------------------------------------------------


def _csv_cell(value: Any) -> Any:
    """Text that a spreadsheet would run as a formula is prefixed with a quote."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def export_csv(survey_id: int) -> str:
    """Every response as a CSV row: response id, time, user id (blank when anonymous),
    then one column per question (several choices joined by "; ")."""
    survey = load_survey(survey_id)
    questions = survey.questions
    answers: dict[int, dict[int, Any]] = defaultdict(dict)
    rows = db.session.execute(
        select(Answer.response_id, Answer.question_id, Answer.number, Answer.text,
               Answer.choices).where(Answer.survey_id == survey.id)
    )
    for response_id, qid, number, text, choices in rows:
        if number is not None:
            value: Any = number
        elif choices is not None:
            value = "; ".join(choices)
        else:
            value = text
        answers[response_id][qid] = value
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["response_id", "submitted_at", "user_id"]
                    + [f"Q{q.position} {q.prompt}" for q in questions])
    responses = db.session.execute(
        select(Response.id, Response.created_at, Response.user_id)
        .where(Response.survey_id == survey.id).order_by(Response.id)
    )
    for response_id, created_at, user_id in responses:
        mine = answers.get(response_id, {})
        writer.writerow([response_id, isoformat(created_at), "" if user_id is None else user_id]
                        + [_csv_cell(mine.get(q.id, "")) for q in questions])
    return out.getvalue()
