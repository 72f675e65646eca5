"""Pages of the surveys domain: answering for customers, builder and results for staff."""

from __future__ import annotations

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from flask_login import current_user
from wtforms.fields.choices import SelectChoice

from voice.areas.service import all_areas
from voice.auth import staff_required
from voice.confirmation import Ask, confirmation
from voice.errors import NotFound, ServiceError, Unauthorized
from voice.forms import show_service_error
from voice.paging import parse_paging
from voice.surveys import service
from voice.surveys.forms import QuestionForm, SurveyForm, answers_from_form, session_nonce
from voice.surveys.limits import answer_limit
from voice.surveys.scales import (
    CHOICE_KINDS,
    CSAT_SATISFIED,
    CSAT_WORDS,
    KIND_LABELS,
    NPS_BANDS,
    SCALE_ENDS,
    SCALES,
    band_of,
)

bp = Blueprint("surveys", __name__)

#: What the builder's irreversible actions ask first (voice/confirmation.py). Reopening a
#: closed survey does not ask: it undoes a close.
PUBLISH_ASK = Ask("Publish “{title}”?",
                  "It takes answers from now on (or from its opening time) and cannot go "
                  "back to being a draft; a question that has answers keeps its kind and "
                  "cannot be removed.",
                  "Publish")
CLOSE_ASK = Ask("Close “{title}”?",
                "It stops taking answers at once, also from customers answering it now. "
                "Reopening it later takes answers again.", "Close the survey")
REMOVE_QUESTION_ASK = Ask("Remove question {position}, “{prompt}”, from “{title}”?",
                          "The question is deleted; this cannot be undone.",
                          "Remove the question")

#: What the templates need of the scales (voice.surveys.scales is their one home).
SCALE_CONTEXT = {"scales": SCALES, "scale_ends": SCALE_ENDS, "csat_words": CSAT_WORDS,
                 "nps_bands": NPS_BANDS, "csat_satisfied": CSAT_SATISFIED, "band_of": band_of}


def _user():
    return current_user._get_current_object() if current_user.is_authenticated else None


# --- customers ----------------------------------------------------------------------------


@bp.route("/surveys")
def index():
    page, per_page = parse_paging(request.args)
    data = service.open_surveys_for(_user(), page, per_page)
    return render_template("surveys/index.html", listing=data.listing, answered=data.answered)


def _render_answering(survey_id: int, values=None, errors=None, status: int = 200):
    view = service.survey_for_answering(survey_id, _user(), session_nonce(survey_id))
    return render_template(
        "surveys/answer.html", view=view, survey=view.survey, values=values or {},
        errors=errors or {}, **SCALE_CONTEXT,
    ), status


@bp.route("/surveys/<int:survey_id>", methods=["GET", "POST"])
@answer_limit
def detail(survey_id: int):
    if request.method == "GET":
        return _render_answering(survey_id)
    survey = service.get_survey(survey_id, _user())
    values = answers_from_form(survey.questions, request.form)
    try:
        service.submit_response(survey_id, _user(), values,
                                anonymous_token=request.form.get("token"))
    except service.AnswersInvalid as error:
        flash("Some answers need attention: see the messages next to the questions.", "error")
        return _render_answering(survey_id, values, error.errors, 400)
    except Unauthorized:
        flash("Sign in to answer this survey.", "error")
        return redirect(url_for("accounts.login", next=url_for("surveys.detail",
                                                               survey_id=survey_id)))
    except ServiceError as error:
        flash(error.message, "error")
        return _render_answering(survey_id, values, {}, error.status)
    return redirect(url_for("surveys.thanks", survey_id=survey_id))


@bp.route("/surveys/<int:survey_id>/thanks")
def thanks(survey_id: int):
    survey = service.get_survey(survey_id, _user())
    return render_template("surveys/thanks.html", survey=survey)


# --- staff: list and builder --------------------------------------------------------------


@bp.route("/admin/surveys")
@staff_required
def admin_list():
    page, per_page = parse_paging(request.args)
    status = request.args.get("status") or None
    listing = service.staff_surveys(page, per_page, status)
    return render_template("surveys/admin_list.html", listing=listing, status=status)


def _area_choices() -> list[SelectChoice]:
    return [SelectChoice("", "No particular area")] + [
        SelectChoice(a.slug, a.name) for a in all_areas()]


@bp.route("/admin/surveys/new", methods=["GET", "POST"])
@staff_required
def new():
    form = SurveyForm()
    form.area.choices = _area_choices()
    if form.validate_on_submit():
        try:
            survey = service.create_survey(
                current_user, form.title.data, form.description.data or "",
                bool(form.anonymous.data), form.area.data or None, form.opens_at.data,
                form.closes_at.data,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Survey created. Add its questions, then publish it.", "success")
            return redirect(url_for("surveys.builder", survey_id=survey.id))
    return render_template("surveys/new.html", form=form), 400 if form.errors else 200


def _question_form(question) -> QuestionForm:
    return QuestionForm(
        formdata=None, prefix=f"q{question.id}", kind=question.kind, prompt=question.prompt,
        required=question.required, choices="\n".join(question.choices or []),
    )


def _render_builder(survey_id: int, details=None, new_question=None, edited=None,
                    status: int = 200):
    view = service.survey_for_builder(current_user, survey_id)
    survey = view.survey
    if details is None:
        details = SurveyForm(
            formdata=None, title=survey.title, description=survey.description,
            area=view.area_slug or "", anonymous=survey.anonymous, opens_at=survey.opens_at,
            closes_at=survey.closes_at,
        )
    details.area.choices = _area_choices()
    forms = {q.id: _question_form(q) for q in survey.questions}
    if edited is not None:
        forms[edited[0]] = edited[1]
    return render_template(
        "surveys/builder.html", view=view, survey=survey, details=details,
        new_question=new_question or QuestionForm(formdata=None, prefix="new"),
        question_forms=forms, kind_labels=KIND_LABELS, choice_kinds=CHOICE_KINDS,
        asks={"publish": PUBLISH_ASK.named(title=survey.title),
              "close": CLOSE_ASK.named(title=survey.title),
              "remove": REMOVE_QUESTION_ASK.named(title=survey.title)},
    ), status


@bp.route("/admin/surveys/<int:survey_id>", methods=["GET", "POST"])
@staff_required
def builder(survey_id: int):
    if request.method == "GET":
        return _render_builder(survey_id)
    form = SurveyForm()
    form.area.choices = _area_choices()
    if form.validate_on_submit():
        try:
            service.update_survey(
                current_user, survey_id, form.title.data, form.description.data or "",
                bool(form.anonymous.data), form.area.data or None, form.opens_at.data,
                form.closes_at.data,
            )
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Survey details saved.", "success")
            return redirect(url_for("surveys.builder", survey_id=survey_id))
    return _render_builder(survey_id, details=form, status=400)


@bp.route("/admin/surveys/<int:survey_id>/questions", methods=["POST"])
@staff_required
def add_question(survey_id: int):
    form = QuestionForm(prefix="new")
    if form.validate_on_submit():
        try:
            service.add_question(current_user, survey_id, form.kind.data, form.prompt.data,
                                 bool(form.required.data), form.choice_list())
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Question added.", "success")
            return redirect(url_for("surveys.builder", survey_id=survey_id) + "#questions")
    return _render_builder(survey_id, new_question=form, status=400)


@bp.route("/admin/surveys/<int:survey_id>/questions/<int:question_id>", methods=["POST"])
@staff_required
def edit_question(survey_id: int, question_id: int):
    form = QuestionForm(prefix=f"q{question_id}")
    if form.validate_on_submit():
        try:
            service.edit_question(current_user, question_id, form.prompt.data,
                                  bool(form.required.data), form.choice_list(),
                                  kind=form.kind.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash("Question saved.", "success")
            return redirect(url_for("surveys.builder", survey_id=survey_id)
                            + f"#question-{question_id}")
    return _render_builder(survey_id, edited=(question_id, form), status=400)


def _builder_action(survey_id: int, action, success: str, anchor: str = ""):
    """Run a builder action from a plain form; refusals come back as a flash."""
    try:
        action()
    except ServiceError as error:
        flash(error.message, "error")
    else:
        if success:
            flash(success, "success")
    return redirect(url_for("surveys.builder", survey_id=survey_id) + anchor)


@bp.route("/admin/surveys/<int:survey_id>/questions/<int:question_id>/move", methods=["POST"])
@staff_required
def move_question(survey_id: int, question_id: int):
    direction = request.form.get("direction", "")
    return _builder_action(
        survey_id, lambda: service.move_question(current_user, question_id, direction), "",
        f"#question-{question_id}")


@bp.route("/admin/surveys/<int:survey_id>/questions/<int:question_id>/delete",
          methods=["POST"])
@staff_required
def remove_question(survey_id: int, question_id: int):
    survey = service.load_survey(survey_id)
    question = next((q for q in survey.questions if q.id == question_id), None)
    if question is None:
        raise NotFound("No such question.")
    asked = confirmation(
        REMOVE_QUESTION_ASK.named(position=question.position, prompt=question.prompt,
                                  title=survey.title),
        cancel_url=url_for("surveys.builder", survey_id=survey_id) + f"#question-{question_id}")
    if asked is not None:
        return asked
    return _builder_action(
        survey_id, lambda: service.remove_question(current_user, question_id),
        "Question removed.", "#questions")


@bp.route("/admin/surveys/<int:survey_id>/publish", methods=["POST"])
@staff_required
def publish(survey_id: int):
    survey = service.load_survey(survey_id)
    if survey.status == "draft":
        asked = confirmation(PUBLISH_ASK.named(title=survey.title),
                             cancel_url=url_for("surveys.builder", survey_id=survey_id))
        if asked is not None:
            return asked
    return _builder_action(survey_id, lambda: service.publish_survey(current_user, survey_id),
                           "The survey is open for answers.")


@bp.route("/admin/surveys/<int:survey_id>/close", methods=["POST"])
@staff_required
def close(survey_id: int):
    survey = service.load_survey(survey_id)
    asked = confirmation(CLOSE_ASK.named(title=survey.title),
                         cancel_url=url_for("surveys.builder", survey_id=survey_id))
    if asked is not None:
        return asked
    return _builder_action(survey_id, lambda: service.close_survey(current_user, survey_id),
                           "The survey is closed.")


@bp.route("/admin/surveys/<int:survey_id>/duplicate", methods=["POST"])
@staff_required
def duplicate(survey_id: int):
    try:
        copy = service.duplicate_survey(current_user, survey_id)
    except ServiceError as error:
        flash(error.message, "error")
        return redirect(url_for("surveys.builder", survey_id=survey_id))
    flash("This is a copy, as a draft. Change it, then publish it.", "success")
    return redirect(url_for("surveys.builder", survey_id=copy.id))


# --- staff: results -----------------------------------------------------------------------


@bp.route("/admin/surveys/<int:survey_id>/results")
@staff_required
def results(survey_id: int):
    page, _ = parse_paging(request.args)
    question = request.args.get("question", "")
    report = service.survey_report(
        current_user, survey_id, int(question) if question.isdigit() else None,
        request.args.get("q", ""), page,
    )
    return render_template("surveys/results.html", report=report, survey=report.survey,
                           results=report.results, trend=report.trend, **SCALE_CONTEXT)


@bp.route("/admin/surveys/<int:survey_id>/responses.csv")
@staff_required
def export(survey_id: int):
    body = service.export_csv(survey_id, actor=_user())
    return Response(body, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="survey-{survey_id}-responses.csv"'})
