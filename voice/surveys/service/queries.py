"""Surveys: the reads. Loaders that raise, the lists, and what the builder and the
answering page show. ``lock_survey`` and ``lock_question`` are the reads of the writes
(the survey row ``FOR UPDATE``), used inside their ``write_transaction``."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.orm import selectinload

from voice.areas.models import Area
from voice.clock import utcnow
from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.paging import Page, paginate
from voice.permissions import is_staff, require_staff
from voice.surveys.models import (
    ANSWERED,
    STATUSES,
    Answer,
    Question,
    Response,
    Survey,
    SurveyRespondent,
    Tally,
)
from voice.surveys.service.tokens import (
    has_responded,
    respondent_digest,
    response_token,
    token_spent,
)

CHANGE_REFUSED = "Only staff may change surveys."


def signed_in(user: Any) -> bool:
    """True for a signed-in account (None and Flask-Login's anonymous user are not)."""
    return user is not None and bool(getattr(user, "is_authenticated", False))


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


def get_survey(survey_id: int, viewer: Any = None) -> Survey:
    """A survey as a viewer may see it: drafts only to staff."""
    survey = load_survey(survey_id)
    if survey.status == "draft" and not is_staff(viewer):
        raise NotFound("No such survey.")
    return survey


def lock_survey(survey_id: int) -> Survey:
    """The survey row locked FOR UPDATE (a write waits for the responses in flight)."""
    survey = db.session.scalar(
        select(Survey).where(Survey.id == survey_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def lock_question(question_id: int) -> tuple[Survey, Question]:
    """A question and its survey, the survey row locked FOR UPDATE."""
    survey_id = db.session.scalar(select(Question.survey_id).where(Question.id == question_id))
    if survey_id is None:
        raise NotFound("No such question.")
    survey = lock_survey(survey_id)
    question = db.session.get(Question, question_id, populate_existing=True)
    if question is None:
        raise NotFound("No such question.")
    return survey, question


def questions_of(survey_id: int) -> list[Question]:
    return list(
        db.session.scalars(
            select(Question)
            .where(Question.survey_id == survey_id)
            .order_by(Question.position, Question.id)
        )
    )


def has_answers(question_id: int) -> bool:
    return bool(db.session.scalar(select(exists().where(Answer.question_id == question_id))))


def _answered_question_ids(survey_id: int) -> set[int]:
    rows = db.session.scalars(
        select(Tally.question_id)
        .where(Tally.survey_id == survey_id, Tally.value == ANSWERED, Tally.count > 0)
        .distinct()
    )
    return set(rows)


# --- lists --------------------------------------------------------------------------------


def _open_now_clause(now: datetime) -> ColumnElement[bool]:
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
    #: survey id -> when (None: an anonymous survey, whose respondents keep no time)
    answered: dict[int, datetime | None] = field(default_factory=dict)


def _answered_anonymously(user_id: int, surveys: list[Survey]) -> set[int]:
    """Which of these anonymous surveys the customer answered (their keyed hashes)."""
    digests = {respondent_digest(s.id, user_id): s.id for s in surveys if s.anonymous}
    if not digests:
        return set()
    found = db.session.scalars(select(SurveyRespondent.digest).where(
        SurveyRespondent.digest.in_(list(digests))))
    return {digests[digest] for digest in found}


def open_surveys_for(user: Any, page: int = 1, per_page: int = 20) -> OpenList:
    """The open surveys and, for a signed-in customer, which of them they answered."""
    listing = open_surveys(page, per_page)
    answered: dict[int, datetime | None] = {}
    if signed_in(user) and listing.items:
        rows = db.session.execute(
            select(Response.survey_id, Response.created_at).where(
                Response.user_id == user.id,
                Response.survey_id.in_([s.id for s in listing.items]),
            )
        )
        answered = {row[0]: row[1] for row in rows.all()}
        answered.update(dict.fromkeys(_answered_anonymously(user.id, listing.items)))
    return OpenList(listing, answered)


def staff_surveys(page: int = 1, per_page: int = 20, status: str | None = None) -> Page:
    """Every survey, newest first, as (Survey, area name or None) rows."""
    stmt = select(Survey, Area.name).outerjoin(Area, Area.id == Survey.area_id)
    if status:
        if status not in STATUSES:
            raise Invalid("A status is draft, open or closed.", code="invalid_status")
        stmt = stmt.where(Survey.status == status)
    stmt = stmt.order_by(Survey.created_at.desc(), Survey.id.desc())
    return paginate(stmt, page, per_page, scalars=False)


# --- the builder and the answering page ---------------------------------------------------


@dataclass
class BuilderView:
    survey: Survey
    area_slug: str | None
    answered_question_ids: set[int]


def survey_for_builder(actor: Any, survey_id: int) -> BuilderView:
    require_staff(actor, CHANGE_REFUSED)
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
    respondent: bool = False  # anonymous: this signed-in customer has answered (anywhere)
    needs_login: bool = False


def survey_for_answering(survey_id: int, user: Any = None,
                         nonce: str | None = None) -> AnsweringView:
    """What the answering page shows: the survey, whether it takes answers, and
    whether this customer (identified) or browser session (anonymous) answered."""
    survey = get_survey(survey_id, user)
    now = utcnow()
    accepting = survey.accepts_answers_at(now)
    view = AnsweringView(survey, accepting, None if accepting else closed_message(survey, now))
    if survey.anonymous:
        if nonce:
            view.token = response_token(survey.id, nonce)
            view.token_spent = token_spent(survey.id, nonce)
        if signed_in(user):
            view.respondent = has_responded(survey.id, user.id)
    elif signed_in(user):
        view.responded_at = db.session.scalar(
            select(Response.created_at).where(
                Response.survey_id == survey.id, Response.user_id == user.id
            )
        )
    else:
        view.needs_login = True
    return view


def closed_message(survey: Survey, moment: datetime) -> str:
    """Why a survey takes no answers at ``moment``, for the customer."""
    if survey.status == "draft":
        return "This survey is not published yet."
    if survey.status == "closed":
        return "This survey is closed and takes no more answers. Thank you for your interest."
    if survey.opens_at is not None and moment < survey.opens_at:
        return f"This survey opens on {survey.opens_at:%d %b %Y at %H:%M} UTC."
    return "This survey closed and takes no more answers. Thank you for your interest."
