"""The form of a team's reply template (voice/admin/template_views.py): the service's
limits and sentences, so one submit shows every problem beside its field."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField, TextAreaField
from wtforms.validators import DataRequired, Length

from voice.admin.service.reply_templates import MAX_BODY, MAX_NAME


class ReplyTemplateForm(FlaskForm):
    name = StringField("Name", validators=[
        DataRequired("Give the template a name."),
        Length(max=MAX_NAME, message=f"A template's name has at most {MAX_NAME} characters.")])
    body = TextAreaField(
        "Reply", validators=[
            DataRequired("Write the reply the template holds."),
            Length(max=MAX_BODY, message=f"A template has at most {MAX_BODY} characters.")],
        description="Markdown. {customer} becomes the customer's name (\u201cthere\u201d "
                    "when nobody is identified), {title} the case's title.",
        render_kw={"rows": 5})


#: The form's prefix: its fields never share an id with the team page's own form.
PREFIX = "template"


def template_form(**kwargs: object) -> ReplyTemplateForm:
    """The form, prefixed (``template-name``, ``template-body``)."""
    return ReplyTemplateForm(prefix=PREFIX, **kwargs)
