"""The surveys calls of the API contract (../shared/API.md, "Surveys")."""

from __future__ import annotations

from flask import Response as FlaskResponse
from flask import jsonify, request
from flask_login import current_user

from voice.api import bp
from voice.api.helpers import api_staff_required, caller, json_body, page_json
from voice.clock import isoformat, parse_iso
from voice.errors import Invalid
from voice.paging import parse_paging
from voice.surveys import service
from voice.surveys.forms import session_nonce
from voice.surveys.limits import answer_limit
from voice.surveys.models import Survey


def question_json(question) -> dict:
    return {
        "id": question.id, "kind": question.kind, "prompt": question.prompt,
        "required": question.required, "choices": list(question.choices or []),
        "position": question.position,
    }


def survey_json(survey: Survey) -> dict:
    return {
        "id": survey.id, "title": survey.title, "description": survey.description,
        "status": survey.status, "anonymous": survey.anonymous,
        "opens_at": isoformat(survey.opens_at), "closes_at": isoformat(survey.closes_at),
        "created_at": isoformat(survey.created_at),
        "questions": [question_json(q) for q in survey.questions],
    }


def _viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def _time(data: dict, key: str):
    value = data.get(key)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise Invalid(f"{key} is an ISO 8601 time.", code="invalid_survey")
    try:
        return parse_iso(value)
    except ValueError:
        raise Invalid(f"{key} is an ISO 8601 time.", code="invalid_survey") from None


@bp.get("/surveys")
def list_surveys():
    page, per_page = parse_paging(request.args)
    return page_json(service.open_surveys(page, per_page), survey_json)


@bp.post("/surveys")
@api_staff_required
def create_survey():
    data = json_body()
    questions = data.get("questions", [])
    if not isinstance(questions, list):
        raise Invalid("questions is a list of {kind, prompt, required?, choices?}.",
                      code="invalid_question")
    area = data.get("area")
    if area is not None and not isinstance(area, str):
        raise Invalid("area is the slug of a product area.", code="invalid_area")
    survey = service.create_survey(
        caller(), data.get("title"), data.get("description") or "",
        data.get("anonymous", False), area, _time(data, "opens_at"),
        _time(data, "closes_at"), questions, data.get("status", "draft"),
    )
    return survey_json(survey), 201


@bp.get("/surveys/<int:survey_id>")
def get_survey(survey_id: int):
    """The survey; for an anonymous one that takes answers, ``response_token`` (the
    one-time token to send with the answers); for an identified one the caller
    answered, ``responded_at``."""
    viewer = _viewer()
    view = service.survey_for_answering(survey_id, viewer, session_nonce(survey_id))
    data = survey_json(view.survey)
    data["accepting_responses"] = view.accepting
    if view.survey.anonymous and view.accepting and not view.token_spent:
        data["response_token"] = view.token
    if view.responded_at is not None:
        data["responded_at"] = isoformat(view.responded_at)
    return data


@bp.patch("/surveys/<int:survey_id>")
@api_staff_required
def patch_survey(survey_id: int):
    data = json_body()
    return survey_json(service.set_status(caller(), survey_id, data.get("status")))


@bp.post("/surveys/<int:survey_id>/responses")
@answer_limit
def submit_response(survey_id: int):
    data = json_body()
    answers = data.get("answers")
    if not isinstance(answers, dict):
        raise Invalid("answers is an object of question id to value.", code="invalid_answer")
    try:
        response = service.submit_response(survey_id, _viewer(), answers,
                                           anonymous_token=data.get("token"))
    except service.AnswersInvalid as error:
        body = {"error": {"code": error.code, "message": error.message,
                          "fields": {str(qid): text for qid, text in error.errors.items()}}}
        return jsonify(body), 400
    return {"id": response.id}, 201


@bp.get("/surveys/<int:survey_id>/results")
@api_staff_required
def survey_results(survey_id: int):
    return service.survey_results(survey_id)


@bp.get("/surveys/<int:survey_id>/trend")
@api_staff_required
def survey_trend(survey_id: int):
    question = request.args.get("question")
    return service.nps_trend(survey_id, int(question) if question and question.isdigit()
                             else None)


@bp.get("/surveys/<int:survey_id>/questions/<int:question_id>/answers")
@api_staff_required
def text_answers(survey_id: int, question_id: int):
    page, per_page = parse_paging(request.args)
    listing = service.text_answers(survey_id, question_id, request.args.get("q", ""),
                                   page, per_page)
    return page_json(listing, lambda a: {**a, "created_at": isoformat(a["created_at"])})


@bp.get("/surveys/<int:survey_id>/responses.csv")
@api_staff_required
def responses_csv(survey_id: int):
    return FlaskResponse(service.export_csv(survey_id), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="survey-{survey_id}-responses.csv"'})
