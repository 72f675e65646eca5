"""Forms of the conversation pages: the customer's answer (``/me/conversations/<id>``).

The bound is the service's (``MAX_MESSAGE``); a request bigger than ``MAX_CONTENT_LENGTH``
never reaches a form (a 413 before it is read).
"""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import DataRequired, Length

from voice.admin.service import MAX_MESSAGE


class CustomerMessageForm(FlaskForm):
    body = TextAreaField(
        "Your answer",
        validators=[DataRequired(message="Write your message first."),
                    Length(max=MAX_MESSAGE,
                           message=f"A message has at most {MAX_MESSAGE:,} characters.")],
        description="Markdown works: *emphasis*, lists, links. The team sees it at once.")
