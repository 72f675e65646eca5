"""The inbox's bulk form: the ticked cases, then assign them or close them with one reply.

The ticked boxes sit in the table's rows (``form="bulk-form"``, so the list needs no form
around it and works without JavaScript); they are read with ``request.form.getlist`` and
the service's ``parse_case_ids``. The two buttons carry the action.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from voice.admin.service import BULK_ACTIONS, MAX_BULK_REPLY
from voice.forms import choices


class BulkForm(FlaskForm):
    action = SelectField("Action", choices=choices([(a, a) for a in BULK_ACTIONS]),
                         validators=[DataRequired("Choose assign or close.")])
    assignee_id = SelectField("Assign to", choices=[], validators=[Optional()])
    reply = TextAreaField(
        "Reply to each customer", validators=[Optional(), Length(max=MAX_BULK_REPLY)],
        description="Closing sends it to the customer of each ticked case, in Voice and by "
                    "mail; a case with nobody to reply to keeps it as an internal note.")

    def fill(self, staff: Iterable[Any]) -> BulkForm:
        """The assignees: the active staff, or nobody (unassigns)."""
        self.assignee_id.choices = choices([("", "Nobody")] + [(str(u.id), u.display_name)
                                                              for u in staff])
        return self

    def validate_reply(self, field: TextAreaField) -> None:
        if self.action.data == "close" and not (field.data or "").strip():
            raise ValidationError("Write the reply each customer will get.")
