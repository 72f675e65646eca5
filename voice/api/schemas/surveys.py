"""Surveys: building, answering, results, the weekly NPS and text answers."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BeforeValidator, ConfigDict, StrictBool, StrictStr, WithJsonSchema

from voice.api.schemas.common import (
    AnyText,
    AreaSlug,
    Code,
    Page,
    Paging,
    RequestModel,
    ResponseModel,
    Time,
    TimeIn,
    enum,
    refuse,
)
from voice.surveys.models import KINDS, STATUSES
from voice.surveys.models import Question as QuestionRow
from voice.surveys.models import Survey as SurveyRow

Kind = Annotated[str, enum(*KINDS)]

# --- requests -----------------------------------------------------------------------------


class NewQuestion(RequestModel):
    """A question of a new survey: the surveys service checks each field
    (``clean_question``, the same check as the builder page's)."""

    model_config = ConfigDict(json_schema_extra={"required": ["kind", "prompt"]})

    kind: Annotated[Any, enum(*KINDS)] = None
    prompt: AnyText = None
    required: Annotated[Any, WithJsonSchema({"type": "boolean"})] = True
    choices: Annotated[Any, WithJsonSchema({"type": "array", "items": {"type": "string"}})
                       ] = None


def _objects(questions: object) -> object:
    if isinstance(questions, list):
        for number, item in enumerate(questions, start=1):
            if not isinstance(item, dict):
                raise refuse("invalid_question", f"Question {number} must be an object.")
    return questions


class NewSurvey(RequestModel):
    title: Annotated[StrictStr | None, Code("invalid_survey", "Give the survey a title.")] = None
    description: Annotated[StrictStr | None,
                           Code("invalid_survey", "The introduction is text.")] = None
    anonymous: Annotated[StrictBool, Code("invalid_survey", "anonymous is true or false.")] = False
    area: AreaSlug = None
    opens_at: Annotated[TimeIn, Code("invalid_survey", "opens_at is an ISO 8601 time.")] = None
    closes_at: Annotated[TimeIn, Code("invalid_survey", "closes_at is an ISO 8601 time.")] = None
    questions: Annotated[list[NewQuestion], BeforeValidator(_objects), Code(
        "invalid_question", "questions is a list of {kind, prompt, required?, choices?}.")] = []
    status: Annotated[Literal["draft", "open"],
                      Code("invalid_status", "A new survey is a draft or open.")] = "draft"


class SurveyStatus(RequestModel):
    status: Annotated[Literal["open", "closed"],
                      Code("invalid_status", "The status is open or closed.")]


class Answers(RequestModel):
    """``token``: the one-time token of an anonymous survey (GET answers it)."""

    answers: Annotated[dict[str, Any], Code(
        "invalid_answer", "answers is an object of question id to value.")]
    token: AnyText = None


def _question_or_none(value: object) -> object:
    """An id in digits; anything else means the survey's first NPS question."""
    return int(value) if isinstance(value, str) and value.isdigit() else None


class TrendQuery(RequestModel):
    question: Annotated[int | None, BeforeValidator(_question_or_none)] = None


class TextAnswersQuery(Paging):
    q: str = ""


# --- answers ------------------------------------------------------------------------------


class Question(ResponseModel):
    id: int
    kind: Kind
    prompt: str
    required: bool
    choices: list[str]
    position: int

    @classmethod
    def of(cls, question: QuestionRow) -> Question:
        return cls(id=question.id, kind=question.kind, prompt=question.prompt,
                   required=question.required, choices=list(question.choices or []),
                   position=question.position)


class Survey(ResponseModel):
    """``accepting_responses``, ``response_token`` (an anonymous survey that takes answers)
    and ``responded_at`` (an identified one the caller answered): only on GET of one."""

    id: int
    title: str
    description: str | None
    status: Annotated[str, enum(*STATUSES)]
    anonymous: bool
    opens_at: Time | None
    closes_at: Time | None
    created_at: Time
    questions: list[Question]
    accepting_responses: bool | None = None
    response_token: str | None = None
    responded_at: Time | None = None

    @classmethod
    def of(cls, survey: SurveyRow) -> Survey:
        return cls(id=survey.id, title=survey.title, description=survey.description,
                   status=survey.status, anonymous=survey.anonymous, opens_at=survey.opens_at,
                   closes_at=survey.closes_at, created_at=survey.created_at,
                   questions=[Question.of(q) for q in survey.questions])


class SurveyList(Page[Survey]):
    pass


class ResponseCreated(ResponseModel):
    id: int


class NpsScore(ResponseModel):
    score: float | None
    promoters: int
    passives: int
    detractors: int
    margin_of_error: float | None  # half the width of [low, high]
    low: float | None = None  # the 95% interval (adjusted Wald), within -100..100
    high: float | None = None


class CsatScore(ResponseModel):
    score: float | None


class QuestionResult(ResponseModel):
    """``mean`` for the scales, ``nps`` and ``csat`` for their kinds."""

    id: int
    kind: Kind
    prompt: str
    position: int
    required: bool
    answered: int
    few_answers: bool = False  # fewer than 30 answers: read with care
    distribution: dict[str, int]
    mean: float | None = None
    nps: NpsScore | None = None
    csat: CsatScore | None = None


class Results(ResponseModel):
    survey_id: int
    title: str
    status: str
    anonymous: bool
    responses: int
    questions: list[QuestionResult]


class TrendPoint(ResponseModel):
    week: str
    n: int
    score: float | None
    margin_of_error: float | None
    low: float | None = None
    high: float | None = None
    few_answers: bool = False
    promoters: int
    passives: int
    detractors: int


class Trend(ResponseModel):
    question_id: int | None
    points: list[TrendPoint]


class TextAnswer(ResponseModel):
    id: int
    response_id: int
    text: str | None
    created_at: Time


class TextAnswerList(Page[TextAnswer]):
    pass
