"""Forms of the surveys pages, and the parsing of an answered survey's form."""

from __future__ import annotations

from typing import Any

from flask import session
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import BooleanField, DateTimeLocalField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from voice.areas.service import resolve_area
from voice.errors import Invalid
from voice.forms import ServiceCheck
from voice.surveys.scales import CHOICE_KINDS, KIND_LABELS, KINDS, is_scale
from voice.surveys.service import (
    MAX_DESCRIPTION,
    MAX_PROMPT,
    MAX_TITLE,
    clean_question,
    new_nonce,
)

TIME_HINT = "UTC. Leave empty for no limit."


class SurveyForm(FlaskForm):
    """Every field is checked on each submit, the area and the order of the times too, so
    one submit shows every problem (issue 13); the service checks them again."""

    title = StringField("Title", validators=[DataRequired(), Length(max=MAX_TITLE)])
    description = TextAreaField(
        "Introduction", validators=[Length(max=MAX_DESCRIPTION)],
        description="Shown above the questions. Markdown is allowed.",
    )
    area = SelectField("Product area", choices=[SelectChoice("", "No particular area")],
                       validate_choice=False, validators=[ServiceCheck(resolve_area)])
    anonymous = BooleanField("Anonymous: store no customer with the answers")
    opens_at = DateTimeLocalField("Opens at", validators=[Optional()], description=TIME_HINT,
                                  format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
    closes_at = DateTimeLocalField("Closes at", validators=[Optional()],
                                   description=TIME_HINT,
                                   format=["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        opens, closes = self.opens_at.data, field.data
        if opens and closes and closes <= opens:
            raise ValidationError("The survey must close after it opens.")


#: A prompt the service accepts, standing in while the choices alone are checked.
_ANY_PROMPT = "A question"


class QuestionForm(FlaskForm):
    kind = SelectField("Kind", choices=[SelectChoice(kind, KIND_LABELS[kind]) for kind in KINDS])
    prompt = StringField("Question", validators=[DataRequired(), Length(max=MAX_PROMPT)])
    required = BooleanField("An answer is required", default=True)
    choices = TextAreaField("Choices", description="One per line, for choice questions.")

    def choice_list(self) -> list[str] | None:
        if self.kind.data not in CHOICE_KINDS:
            return None
        return [line.strip() for line in (self.choices.data or "").splitlines() if line.strip()]

    def validate_choices(self, field: TextAreaField) -> None:
        """The choices as the service checks them (its own sentence), whatever the prompt."""
        if self.kind.data not in KINDS:
            return  # the kind's own error says it
        try:
            clean_question(self.kind.data, _ANY_PROMPT, True, self.choice_list())
        except Invalid as error:
            raise ValidationError(error.message) from None


def answers_from_form(questions, form: MultiDict) -> dict[int, Any]:
    """The answers of the survey form, keyed by question id: scale answers as whole
    numbers when they are digits (anything else is passed on for the service to
    refuse), check boxes as lists, the rest as text. Unanswered questions are left out."""
    answers: dict[int, Any] = {}
    for question in questions:
        name = f"q{question.id}"
        if question.kind == "multi_choice":
            picked = form.getlist(name)
            if picked:
                answers[question.id] = picked
            continue
        raw = form.get(name)
        if raw is None or raw == "":
            continue
        if is_scale(question.kind) and raw.strip().isdigit():
            answers[question.id] = int(raw.strip())
        else:
            answers[question.id] = raw
    return answers


MAX_REMEMBERED_SURVEYS = 30


def session_nonce(survey_id: int) -> str:
    """This browser session's nonce for an anonymous survey: the same on every visit,
    so reloading the page does not mint a fresh one-time token."""
    nonces = dict(session.get("survey_nonces") or {})
    key = str(survey_id)
    if key not in nonces:
        nonces[key] = new_nonce()
        while len(nonces) > MAX_REMEMBERED_SURVEYS:
            nonces.pop(next(iter(nonces)))
        session["survey_nonces"] = nonces
    return nonces[key]
