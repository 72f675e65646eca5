"""The tuned statements of the surveys domain, built once per database dialect.

One idiom: :func:`statements` returns the :class:`Statements` of the engine's dialect,
built on first use and cached (``functools.cache``); callers execute them with the
row's values as parameters (a list of dicts makes an executemany). Every other query
of the domain is written where it is used, with the ORM or plain Core.

Why these are tuned, and why they are prebuilt:

- A response is six of the surveys' statements (of the ten that tests/test_query_counts.py
  pins for the API request; routing's subscriber adds the rest): the survey and its
  questions in one SELECT locked ``FOR KEY SHARE``; the token spent and the
  response inserted by ``INSERT ... ON CONFLICT DO NOTHING RETURNING`` (the unique
  constraints decide a replay or a second response without a prior SELECT and without
  an error that would abort the transaction); the answers and the tallies each in one
  executemany (one statement whatever the number of rows); ``response_count`` bumped
  by one atomic UPDATE. ``FOR KEY SHARE`` instead of ``FOR UPDATE`` lets responses to
  one survey overlap on PostgreSQL while a close or an edit (``FOR UPDATE``) still waits
  for them (tests/test_surveys_service.py, "overlap" and "closing waits"); ``FOR SHARE``
  would deadlock two responses that both then update the row.
- Built once: constructing the five statements costs about 1.2 ms of Python (the three
  ``ON CONFLICT`` inserts most of it, the SELECT 0.15 ms), as much as a whole
  ``submit_response`` (1.2-1.3 ms: anonymous survey of three questions, SQLite file;
  medians of 7 x 200 builds and of 350 responses on the 2-core development machine).
  Built per call they would double the hot path; SQLAlchemy's compiled cache spares
  only the compiling, not the building. PostgreSQL and SQLite spell ``ON CONFLICT`` in
  their own dialect's ``insert`` (``voice.database.upsert``), hence one set per dialect.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Insert, Select, Update, bindparam, select, update
from sqlalchemy.orm import joinedload

from voice.database import upsert
from voice.extensions import db
from voice.surveys.models import Response, Survey, SurveyRespondent, Tally, UsedResponseToken


@dataclass(frozen=True)
class Statements:
    """The statements of a response (and of ``rebuild_tallies``, which adds tallies)."""

    #: params survey_id. The survey with its questions (joined), locked FOR KEY SHARE
    #: (PostgreSQL; SQLite has no row locks and the transaction holds its write lock).
    survey_for_response: Select[Any]
    #: params survey_id, digest. RETURNING the id; no row when the token was spent.
    spend_token: Insert
    #: params survey_id, digest (the signed-in customer's keyed hash). RETURNING the
    #: digest; no row when this customer answered the anonymous survey already.
    claim_respondent: Insert
    #: params survey_id, user_id, created_at. RETURNING the id; no row when this user
    #: has a response (anonymous rows have no user and never clash).
    insert_response: Insert
    #: rows survey_id, question_id, week, value, count: each count added to its tally.
    add_tallies: Insert
    #: params survey_id. response_count = response_count + 1, no read-modify-write.
    count_response: Update


@functools.cache
def _build(dialect: str) -> Statements:
    # Tables, not the mapped classes: an INSERT of a mapped class would take the ORM's
    # bulk path; these are plain Core statements with their own parameters.
    surveys, tallies = Survey.__table__, Tally.__table__
    tokens, responses = UsedResponseToken.__table__, Response.__table__
    respondents = SurveyRespondent.__table__
    add = upsert(tallies, dialect)
    return Statements(
        survey_for_response=(
            select(Survey).where(Survey.id == bindparam("survey_id"))
            .options(joinedload(Survey.questions))
            .with_for_update(read=True, key_share=True, of=Survey)
            .execution_options(populate_existing=True)
        ),
        spend_token=(
            upsert(tokens, dialect).on_conflict_do_nothing(index_elements=["digest"])
            .returning(tokens.c.id)
        ),
        claim_respondent=(
            upsert(respondents, dialect).on_conflict_do_nothing(index_elements=["digest"])
            .returning(respondents.c.digest)
        ),
        insert_response=(
            upsert(responses, dialect)
            .on_conflict_do_nothing(index_elements=["survey_id", "user_id"])
            .returning(responses.c.id)
        ),
        add_tallies=add.on_conflict_do_update(
            index_elements=["question_id", "week", "value"],
            set_={"count": tallies.c.count + add.excluded["count"]},
        ),
        count_response=(
            update(surveys).where(surveys.c.id == bindparam("survey_id"))
            .values(response_count=surveys.c.response_count + 1)
        ),
    )


def statements() -> Statements:
    """The statements for the engine's dialect (built on first use)."""
    return _build(db.engine.dialect.name)
