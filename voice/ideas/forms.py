"""Forms of the ideas pages. The service checks the rules; the forms run the same checks
(``voice.forms.ServiceCheck``) so one submit shows every problem beside its field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields import SelectChoice
from wtforms.validators import DataRequired

from voice.forms import ServiceCheck
from voice.ideas.models import STATUS_LABELS
from voice.ideas.service import (
    NOTE_MAX,
    check_status,
    clean_description,
    clean_text,
    clean_title,
    resolve_area,
)


def _clean_note(note: str | None) -> str:
    """The public note of a status change, as ``service.change_status`` checks it."""
    return clean_text(note, limit=NOTE_MAX, field="note", what="note", required=False)


class IdeaForm(FlaskForm):
    title = StringField(
        "Title", validators=[DataRequired(message="Give your idea a title."),
                             ServiceCheck(clean_title)],
        description="5 to 120 characters: what should change?",
        render_kw={"maxlength": 120, "autocomplete": "off", "data-similar": "",
                   "aria-controls": "similar-ideas"},
    )
    description = TextAreaField(
        "Description",
        description="Why it matters to you, in Markdown (up to 10,000 characters).",
        render_kw={"rows": 8, "maxlength": 10000}, validators=[ServiceCheck(clean_description)],
    )
    area = SelectField("Product area", choices=[SelectChoice("", "Not sure")],
                       validate_choice=False, validators=[ServiceCheck(resolve_area)])
    # The honeypot: hidden from people (CSS and aria-hidden), filled by naive bots.
    website = StringField("Leave this empty", render_kw={"tabindex": "-1", "autocomplete": "off"})

    def set_areas(self, areas) -> None:
        self.area.choices = [SelectChoice("", "Not sure")] + [
            SelectChoice(area.slug, area.name) for area in areas]


class CommentForm(FlaskForm):
    body = TextAreaField("Your comment", validators=[DataRequired(message="Write a comment.")],
                         description="Markdown works.", render_kw={"rows": 4})
    internal = BooleanField("Internal note (staff only, customers never see it)")


class StatusForm(FlaskForm):
    status = SelectField("Status", choices=[SelectChoice(value, label)
                                            for value, label in STATUS_LABELS.items()],
                         validate_choice=False, validators=[ServiceCheck(check_status)])
    note = TextAreaField("Public note", description="Every subscriber is told; Markdown works.",
                         render_kw={"rows": 3}, validators=[ServiceCheck(_clean_note)])


class MergeForm(FlaskForm):
    into = IntegerField("Merge into idea number", validators=[
        DataRequired(message="Give the number of the idea to merge into.")])


class AreaForm(FlaskForm):
    area = SelectField("Product area", choices=[SelectChoice("", "None")],
                       validate_choice=False)

    def set_areas(self, areas) -> None:
        self.area.choices = [SelectChoice("", "None")] + [
            SelectChoice(area.slug, area.name) for area in areas]


class ProxyVoteForm(FlaskForm):
    email = EmailField("Customer's email", validators=[DataRequired()])


class ActionForm(FlaskForm):
    """A form with nothing but the CSRF token: vote, unvote, subscribe, hide, unmerge."""
