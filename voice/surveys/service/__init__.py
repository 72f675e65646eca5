"""Surveys: the builder, answering, results, trend and export (the domain's facade).

Callers import from here (``from voice.surveys import service``); the work is in:

- ``queries``: the reads (loaders, lists, the builder's and the answering page's views);
- ``builder``: create and edit surveys and questions, publish, close, duplicate;
- ``tokens`` and ``responding``: anonymous surveys' one-time tokens, ``submit_response``;
- ``tallies``: the running counters results are read from, and their rebuild;
- ``results``: results, the weekly NPS, text answers, the report and the CSV (staff only,
  checked there);
- ``staff_reads``: the rows the staff side (voice/admin) reads of the surveys' tables,
  imported as a module (``from voice.surveys.service import staff_reads``).

Every write runs in one ``write_transaction``. The builder, close, publish and
``rebuild_tallies`` lock the survey row ``FOR UPDATE``; ``submit_response`` only
``FOR KEY SHARE``, so responses to one survey overlap on PostgreSQL while a close or
an edit still waits for them (see ``submit_response`` for why the lock order cannot
deadlock). It sends ``signals.survey_response_submitted`` in the same transaction.
The tuned statements are in ``voice.surveys.sql``; answer checks in the pure
``voice.surveys.answers``, scales and bands in ``voice.surveys.scales``.
"""

from __future__ import annotations

from voice.surveys.answers import MAX_TEXT
from voice.surveys.models import ANSWERED
from voice.surveys.service.builder import (
    MAX_CHOICE,
    MAX_CHOICES,
    MAX_DESCRIPTION,
    MAX_PROMPT,
    MAX_QUESTIONS,
    MAX_TITLE,
    QuestionSpec,
    add_question,
    clean_question,
    close_survey,
    create_survey,
    duplicate_survey,
    edit_question,
    move_question,
    publish_survey,
    remove_question,
    set_status,
    update_survey,
)
from voice.surveys.service.queries import (
    AnsweringView,
    BuilderView,
    OpenList,
    closed_message,
    get_survey,
    load_survey,
    open_surveys,
    open_surveys_for,
    staff_surveys,
    survey_for_answering,
    survey_for_builder,
)
from voice.surveys.service.responding import (
    AlreadyResponded,
    AnswersInvalid,
    submit_response,
    validate_answers,
)
from voice.surveys.service.results import (
    Report,
    export_csv,
    nps_trend,
    survey_report,
    survey_results,
    text_answers,
)
from voice.surveys.service.tallies import rebuild_tallies, week_of, week_of_day
from voice.surveys.service.tokens import (
    TOKEN_MAX_AGE,
    TOKEN_SALT,
    has_responded,
    new_nonce,
    respondent_digest,
    response_token,
)

__all__ = [
    "ANSWERED",
    "MAX_CHOICE",
    "MAX_CHOICES",
    "MAX_DESCRIPTION",
    "MAX_PROMPT",
    "MAX_QUESTIONS",
    "MAX_TEXT",
    "MAX_TITLE",
    "TOKEN_MAX_AGE",
    "TOKEN_SALT",
    "AlreadyResponded",
    "AnsweringView",
    "AnswersInvalid",
    "BuilderView",
    "OpenList",
    "QuestionSpec",
    "Report",
    "add_question",
    "clean_question",
    "close_survey",
    "closed_message",
    "create_survey",
    "duplicate_survey",
    "edit_question",
    "export_csv",
    "get_survey",
    "has_responded",
    "load_survey",
    "move_question",
    "new_nonce",
    "nps_trend",
    "open_surveys",
    "open_surveys_for",
    "publish_survey",
    "rebuild_tallies",
    "remove_question",
    "respondent_digest",
    "response_token",
    "set_status",
    "staff_surveys",
    "submit_response",
    "survey_for_answering",
    "survey_for_builder",
    "survey_report",
    "survey_results",
    "text_answers",
    "update_survey",
    "validate_answers",
    "week_of",
    "week_of_day",
]
