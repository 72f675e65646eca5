"""The surveys calls of the API contract (../shared/API.md, "Surveys"). Who may read
results, the trend, text answers and the export is the surveys service's decision: these
calls pass it the caller."""

from __future__ import annotations

from flask import Response as FlaskResponse

from voice.api.contract import SIGNED_IN, STAFF, Routes
from voice.api.helpers import caller, viewer
from voice.api.schemas.common import ErrorBody, ErrorDetail, Paging
from voice.api.schemas.surveys import (
    Answers,
    NewSurvey,
    ResponseCreated,
    Results,
    Survey,
    SurveyList,
    SurveyStatus,
    TextAnswer,
    TextAnswerList,
    TextAnswersQuery,
    Trend,
    TrendQuery,
)
from voice.surveys import service
from voice.surveys.forms import session_nonce
from voice.surveys.limits import answer_limit

routes = Routes()


@routes.get("/surveys", query=Paging, response=SurveyList)
def list_surveys(query: Paging) -> SurveyList:
    """Surveys open to the caller"""
    listing = service.open_surveys(query.page, query.per_page)
    return SurveyList.of(listing, [Survey.of(survey) for survey in listing.items])


@routes.post("/surveys", body=NewSurvey, response=Survey, status=201, roles=STAFF,
             errors=(403,))
def create_survey(body: NewSurvey) -> Survey:
    """Create a survey (staff)"""
    survey = service.create_survey(
        caller(), body.title or "", body.description or "", body.anonymous, body.area,
        body.opens_at, body.closes_at, [q.model_dump() for q in body.questions], body.status,
    )
    return Survey.of(survey)


@routes.get("/surveys/<int:survey_id>", response=Survey, errors=(404,))
def get_survey(survey_id: int) -> Survey:
    """A survey, with the one-time response token of an anonymous one

    For an anonymous survey that takes answers, ``response_token`` (send it with the
    answers); for an identified one the caller answered, ``responded_at``.
    """
    view = service.survey_for_answering(survey_id, viewer(), session_nonce(survey_id))
    shown = Survey.of(view.survey)
    shown.accepting_responses = view.accepting
    if view.survey.anonymous and view.accepting and not view.token_spent:
        shown.response_token = view.token
    if view.responded_at is not None:
        shown.responded_at = view.responded_at
    return shown


@routes.patch("/surveys/<int:survey_id>", body=SurveyStatus, response=Survey, roles=STAFF,
              errors=(403, 404, 409))
def patch_survey(survey_id: int, body: SurveyStatus) -> Survey:
    """Open or close (staff)"""
    return Survey.of(service.set_status(caller(), survey_id, body.status))


@routes.post("/surveys/<int:survey_id>/responses", body=Answers, response=ResponseCreated,
             status=201, errors=(401, 404, 409))
@answer_limit
def submit_response(survey_id: int, body: Answers) -> ResponseCreated | tuple[ErrorBody, int]:
    """Answer"""
    try:
        response = service.submit_response(survey_id, viewer(), body.answers,
                                           anonymous_token=body.token)
    except service.AnswersInvalid as error:
        fields = {str(qid): text for qid, text in error.errors.items()}
        detail = ErrorDetail(code=error.code, message=error.message, fields=fields)
        return ErrorBody(error=detail), 400
    return ResponseCreated(id=response.id)


@routes.get("/surveys/<int:survey_id>/results", response=Results, roles=SIGNED_IN,
            errors=(403, 404))
def survey_results(survey_id: int) -> Results:
    """Results (staff)"""
    return Results.model_validate(service.survey_results(survey_id, actor=caller()))


@routes.get("/surveys/<int:survey_id>/trend", query=TrendQuery, response=Trend,
            roles=SIGNED_IN, errors=(403, 404))
def survey_trend(survey_id: int, query: TrendQuery) -> Trend:
    """NPS by week (staff)"""
    return Trend.model_validate(service.nps_trend(survey_id, query.question, actor=caller()))


@routes.get("/surveys/<int:survey_id>/questions/<int:question_id>/answers",
            query=TextAnswersQuery, response=TextAnswerList, roles=SIGNED_IN, errors=(403, 404))
def text_answers(survey_id: int, question_id: int, query: TextAnswersQuery) -> TextAnswerList:
    """Text answers, newest first (staff)"""
    listing = service.text_answers(survey_id, question_id, query.q, query.page, query.per_page,
                                   actor=caller())
    return TextAnswerList.of(listing, [TextAnswer.model_validate(a) for a in listing.items])


@routes.get("/surveys/<int:survey_id>/responses.csv", roles=SIGNED_IN, errors=(403, 404),
            media="text/csv")
def responses_csv(survey_id: int) -> FlaskResponse:
    """Every response as CSV (staff)"""
    return FlaskResponse(service.export_csv(survey_id, actor=caller()), mimetype="text/csv",
                         headers={"Content-Disposition":
                                  f'attachment; filename="survey-{survey_id}-responses.csv"'})
