"""Surveys: answering. ``submit_response`` stores one response and its answers, or
refuses and stores nothing; the answers are checked by the pure ``voice.surveys.answers``
and its refusals become ``AnswersInvalid``."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import make_transient_to_detached

from voice import signals
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound, Unauthorized
from voice.extensions import db
from voice.surveys import answers as rules
from voice.surveys import sql
from voice.surveys.models import Answer, Question, Response, Survey
from voice.surveys.service.queries import closed_message, signed_in
from voice.surveys.service.tallies import count_response, week_of
from voice.surveys.service.tokens import respondent_digest, token_digest

#: (question, number, text, choices) of one accepted answer.
CleanAnswer = tuple[Question, int | None, str | None, list[str] | None]


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


def _given(questions: list[Question], answers: Mapping[Any, Any]) -> dict[int, Any]:
    """The answers keyed by question id; ``unknown_question`` for a key of none of them."""
    ids = {q.id for q in questions}
    given: dict[int, Any] = {}
    for key, value in answers.items():
        qid = rules.question_id(key)
        if qid is None or qid not in ids:
            raise Invalid(f"Question {key} is not part of this survey.",
                          code="unknown_question")
        given[qid] = value
    return given


def validate_answers(questions: list[Question], answers: Mapping[Any, Any]) -> list[CleanAnswer]:
    """[(question, number, text, choices)] for the answered questions, or AnswersInvalid
    naming each refused or missing answer. Keys are question ids (int or digit strings)."""
    if not isinstance(answers, Mapping):
        raise Invalid("answers must map question ids to values.", code="invalid_answer")
    checked = rules.check_answers(questions, _given(questions, answers))
    if checked.errors:
        raise AnswersInvalid(checked.errors,
                             "answer_required" if checked.missing_only else "invalid_answer")
    return [(question, a.number, a.text, a.choices) for question, a in checked.accepted]


def submit_response(
    survey_id: int,
    user: Any,
    answers: Mapping[Any, Any],
    anonymous_token: str | None = None,
    submitted_at: datetime | None = None,
) -> Response:
    """Store one response and its answers, or refuse and store nothing.

    ``user`` is the signed-in customer (None or an anonymous user when nobody is
    signed in). Identified surveys take one response per customer; anonymous ones
    store no user and spend ``anonymous_token`` (see ``response_token``), and take
    one response per signed-in customer too, by a keyed hash of the user id kept apart
    from the answers (``tokens.respondent_digest``).
    ``submitted_at`` backdates a response (demo data and benchmarks only). The
    Response returned is detached: its columns are loaded, so reading them after the
    commit costs no query. The signal's ``survey`` has its questions loaded.

    Locking, so that responses to one survey overlap on PostgreSQL without a lost
    count or a deadlock (the statements are in ``voice.surveys.sql``):

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
    with write_transaction():
        survey = _survey_for_response(survey_id)
        if not survey.accepts_answers_at(moment):
            raise Conflict(closed_message(survey, moment), code="survey_closed")
        if survey.anonymous:
            _spend_token(survey.id, token_digest(survey, anonymous_token))
            if signed_in(user):
                _claim_respondent(survey.id, respondent_digest(survey.id, user.id))
        elif not signed_in(user):
            raise Unauthorized("Sign in to answer this survey.", code="unauthorized")
        user_id = None if survey.anonymous else user.id
        response = _insert_response(survey.id, user_id, moment)
        cleaned = validate_answers(list(survey.questions), answers)
        rows = _insert_answers(response, cleaned)
        signals.survey_response_submitted.send(response, survey=survey, answers=rows)
        count_response(survey.id, cleaned, week_of(moment))
    return response


def _survey_for_response(survey_id: int) -> Survey:
    survey = db.session.execute(
        sql.statements().survey_for_response, {"survey_id": survey_id}
    ).unique().scalar_one_or_none()
    if survey is None:
        raise NotFound("No such survey.")
    return survey


def _spend_token(survey_id: int, digest: str) -> None:
    """Spend a one-time token: one INSERT ... ON CONFLICT (digest) DO NOTHING.

    The unique digest refuses a replay without a prior SELECT and without an error
    that would abort the transaction; a concurrent twin's INSERT waits for the first
    to commit (PostgreSQL) or for the write lock (SQLite), then inserts nothing."""
    spent = db.session.execute(sql.statements().spend_token,
                               {"survey_id": survey_id, "digest": digest}).first()
    if spent is None:
        raise AlreadyResponded("This survey was already answered from this browser session.")


def _claim_respondent(survey_id: int, digest: str) -> None:
    """One response per signed-in customer on an anonymous survey: INSERT the keyed
    hash ... ON CONFLICT (digest) DO NOTHING, as :func:`_spend_token` (a concurrent twin
    waits for the first, then inserts nothing and is refused)."""
    claimed = db.session.execute(sql.statements().claim_respondent,
                                 {"survey_id": survey_id, "digest": digest}).first()
    if claimed is None:
        raise AlreadyResponded("You already answered this survey.")


def _insert_response(survey_id: int, user_id: int | None, moment: datetime) -> Response:
    """INSERT the response; AlreadyResponded if this customer has one (the unique
    (survey, user) refuses it; anonymous rows have no user and never clash)."""
    inserted = db.session.execute(
        sql.statements().insert_response,
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


def _insert_answers(response: Response, cleaned: list[CleanAnswer]) -> list[Answer]:
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
