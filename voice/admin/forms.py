"""Forms of the staff pages. Choices are filled by the views from what the services return.

Each form checks every field on each submit with the service's rules and sentences (the
service's own checks where they are public, else the same rule here), so one submit shows
every problem beside its field (issue 13); the service checks again when it is called.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DecimalField,
    EmailField,
    Field,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from voice.admin.models import CLOSED_STATES, STATE_LABELS
from voice.admin.rules import PRIORITIES, SCORED_KINDS, SOURCE_LABELS, Problem
from voice.admin.service import (
    MAX_NOTE,
    MAX_REPLY,
    TRANSITIONS,
    InvalidRule,
    check_team_name_free,
    parse_idea_ids,
    rule_from_fields,
)
from voice.areas.service import check_area_name_free
from voice.errors import Invalid, ServiceError
from voice.forms import ServiceCheck, choices

AREA_TEAM = "area"


class NameLength:
    """A name of ``low`` to ``high`` characters once its runs of white space are one
    space, with the service's sentence (teams, areas, updates)."""

    def __init__(self, low: int, high: int, message: str) -> None:
        self.low, self.high, self.message = low, high, message

    def __call__(self, form: FlaskForm, field: StringField) -> None:
        if not self.low <= len(" ".join((field.data or "").split())) <= self.high:
            raise ValidationError(self.message)


TEAM_NAME = NameLength(2, 80, "A team's name has 2 to 80 characters.")
AREA_NAME = NameLength(2, 80, "An area's name has 2 to 80 characters.")


def _webhook_url(form: FlaskForm, field: StringField) -> None:
    """An http(s) address or nothing, as ``service.update_team`` takes it."""
    url = (field.data or "").strip()
    parsed = urlparse(url)
    if url and (parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500):
        raise ValidationError("A webhook URL is an http:// or https:// address.")


class CaseForm(FlaskForm):
    state = SelectField("State", choices=choices([("", "Keep the state"),
                                                  *STATE_LABELS.items()]),
                        validators=[Optional()])
    assignee_id = SelectField("Assignee", choices=[], validators=[Optional()])
    team_id = SelectField("Team", choices=[], validators=[Optional()])
    reply = TextAreaField(
        "Reply to the customer", validators=[Optional(), Length(max=MAX_REPLY)],
        description="Sent to the customer in Voice and by mail. Needed to close the case "
                    "of an identified customer.")
    note = TextAreaField("Internal note", validators=[Optional(), Length(max=MAX_NOTE)],
                         description="Only staff see it.")
    case: Any = None

    def fill(self, staff: Iterable[Any], teams: Iterable[Any]) -> CaseForm:
        """The choices: the active staff (or nobody) and the teams."""
        self.assignee_id.choices = choices([("", "Nobody")] + [(str(u.id), u.display_name)
                                                              for u in staff])
        self.team_id.choices = choices((str(t.id), t.name) for t in teams)
        return self

    def show(self, case: Any) -> None:
        """The case's assignee and team, as the form first shows them."""
        self.assignee_id.data = str(case.assignee_id or "")
        self.team_id.data = str(case.team_id)

    def about(self, case: Any) -> CaseForm:
        """The case the form changes: its state and customer decide what may follow."""
        self.case = case
        return self

    def validate_state(self, field: SelectField) -> None:
        case, target = self.case, field.data
        if case is None or field.errors or not target or target == case.state:
            return
        if target not in TRANSITIONS.get(case.state, ()):
            raise ValidationError(f"A case that is {case.state_label.lower()} cannot become "
                                  f"{target.replace('_', ' ')}.")

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' checks, then the reply that closing an identified customer's case
        needs (an empty reply skips the field's own checks, so it is checked here)."""
        valid = super().validate(extra_validators)
        case = self.case
        if (case is not None and self.state.data in CLOSED_STATES and case.customer_id
                and not (self.reply.data or "").strip() and case.replied_at is None):
            self.reply.errors = [*self.reply.errors,
                                 "Write the reply the customer will get before closing "
                                 "this case."]
            return False
        return valid


class TeamForm(FlaskForm):
    """A team's settings; the view sets ``team_id`` so its own name is not "taken"."""

    team_id: int | None = None
    name = StringField("Name", validators=[DataRequired(), TEAM_NAME])
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    webhook_url = StringField(
        "Webhook URL", validators=[Optional(), _webhook_url],
        description="Each new case of this team is POSTed here as signed JSON.")
    webhook_secret = StringField(
        "New webhook secret", validators=[Optional(), Length(min=16, max=200)],
        description="Leave empty to keep the current one (one is made when you first set a "
                    "URL).")

    def validate_name(self, field: Field) -> None:
        if field.errors:
            return
        try:
            check_team_name_free(field.data, self.team_id)
        except ServiceError as error:
            raise ValidationError(error.message) from None


class NewTeamForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), TEAM_NAME,
                                           ServiceCheck(check_team_name_free)])
    description = StringField("Description", validators=[Optional(), Length(max=500)])


class OwnerForm(FlaskForm):
    email = EmailField("Staff member's email", validators=[DataRequired(), Length(max=254)])


class AreaForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), AREA_NAME,
                                           ServiceCheck(check_area_name_free)])
    description = StringField("Description", validators=[Optional(), Length(max=500)])
    team_id = SelectField("Team", choices=[], validators=[Optional()])

    def fill(self, teams: Iterable[Any]) -> AreaForm:
        self.team_id.choices = choices([("", "No team")] + [(str(t.id), t.name) for t in teams])
        return self


class RuleForm(FlaskForm):
    name = StringField("Name", validators=[Optional(), Length(max=120)])
    source = SelectField("Source", choices=choices(SOURCE_LABELS.items()),
                         validators=[InputRequired()])
    team_id = SelectField("Target team", choices=[], validators=[
        InputRequired(message="Choose the team the cases go to: a rule needs a target.")])
    priority = SelectField("Priority", choices=choices((p, p.title()) for p in PRIORITIES),
                           default="normal")
    sla_hours = IntegerField("SLA (hours)", default=48,
                             validators=[InputRequired(message="Enter the SLA in hours.")])
    enabled = BooleanField("Enabled", default=True)
    area_id = SelectField("Only the product area", choices=[], validators=[Optional()])
    survey_id = SelectField("Only the survey", choices=[], validators=[Optional()])
    question_kind = SelectField(
        "Question kind", validators=[Optional()],
        choices=choices([("", "Any (no score condition)"),
                         *((k, k.upper()) for k in SCORED_KINDS)]))
    score_min = DecimalField("Score at least", validators=[Optional()])
    score_max = DecimalField("Score at most", validators=[Optional()])
    keywords = StringField("Keywords", validators=[Optional(), Length(max=1000)],
                           description="Comma-separated; any one of them in the text matches.")
    vote_threshold = IntegerField("Passing N votes", validators=[Optional()])
    probability_threshold = DecimalField(
        "Probability reaching (%)", validators=[Optional()],
        description="Market moves: an outcome's price rising to this percentage.")
    move_points = DecimalField(
        "Moving at least (points)", validators=[Optional()],
        description="Market moves: a price moving this many percentage points in one trade.")

    def fill(self, teams: Iterable[Any], areas: Iterable[Any],
             surveys: Iterable[Any]) -> RuleForm:
        """The choices: a team (or the team of the signal's area), an area, a survey."""
        self.team_id.choices = choices(
            [(AREA_TEAM, "The team of the signal's area (else triage)")]
            + [(str(t.id), t.name) for t in teams])
        self.area_id.choices = choices([("", "Any area")] + [(str(a.id), a.name) for a in areas])
        self.survey_id.choices = choices(
            [("", "Any survey")] + [(str(s.id), s.title) for s in surveys])
        return self

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' own checks; when one failed, the rule's checks too (the service's,
        over the values that could be read) on every other field, so one submit shows
        every problem. With none failed, the service's refusal lists them all."""
        if super().validate(extra_validators):
            return True
        failed = {name for name, field in self._fields.items() if field.errors}
        values = {name: (None if name in failed else value)
                  for name, value in self.values().items()}
        for problem in _rule_problems(values):
            field = getattr(self, problem.field, None)
            if field is not None and problem.field not in failed:
                field.errors = [*field.errors, problem.message]
        return False

    @classmethod
    def values_of(cls, row: Any) -> dict[str, Any]:
        """A stored rule's values as the form would submit them (for its preview)."""
        form = cls(formdata=None)
        form.load(row)
        values = form.values()
        values["enabled"] = row.enabled
        return values

    def values(self) -> dict:
        """What the service's rule_from_fields takes."""
        def number(value):
            return None if value is None else float(value)

        team = self.team_id.data or ""
        return {
            "name": self.name.data or "",
            "source": self.source.data,
            "team_id": None if team in ("", AREA_TEAM) else team,
            "to_area_team": team == AREA_TEAM,
            "priority": self.priority.data,
            "sla_hours": self.sla_hours.data,
            "enabled": self.enabled.data,
            "area_id": self.area_id.data or None,
            "survey_id": self.survey_id.data or None,
            "question_kind": self.question_kind.data or None,
            "score_min": number(self.score_min.data),
            "score_max": number(self.score_max.data),
            "keywords": self.keywords.data or "",
            "vote_threshold": self.vote_threshold.data,
            "probability_threshold": number(self.probability_threshold.data),
            "move_points": number(self.move_points.data),
        }

    def load(self, row) -> None:
        self.name.data = row.name
        self.source.data = row.source
        self.team_id.data = AREA_TEAM if row.to_area_team else str(row.team_id or "")
        self.priority.data = row.priority
        self.sla_hours.data = row.sla_hours
        self.enabled.data = row.enabled
        self.area_id.data = str(row.area_id or "")
        self.survey_id.data = str(row.survey_id or "")
        self.question_kind.data = row.question_kind or ""
        self.score_min.data = row.score_min
        self.score_max.data = row.score_max
        self.keywords.data = row.keywords
        self.vote_threshold.data = row.vote_threshold
        self.probability_threshold.data = (None if row.probability_threshold is None
                                           else round(row.probability_threshold * 100, 4))
        self.move_points.data = row.move_points


def _rule_problems(values: dict[str, Any]) -> list[Problem]:
    """What the service would refuse in a rule of these values (it reads no more)."""
    try:
        rule_from_fields(values)
    except InvalidRule as error:
        return error.problems
    except Invalid as error:
        return [Problem(error.field or "", error.message)]
    return []


class UpdateForm(FlaskForm):
    title = StringField("Title", validators=[
        DataRequired(), NameLength(3, 200, "A title has 3 to 200 characters.")])
    body = TextAreaField("What we did", validators=[Optional(), Length(max=20000)],
                         description="Markdown.")
    idea_ids = StringField(
        "Ideas delivered", validators=[DataRequired(message="Link the ideas it delivers."),
                                       ServiceCheck(parse_idea_ids)],
        description="Idea numbers, e.g. 12, 15. They move to done and their voters and "
                    "followers are told.")


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField("Search", validators=[Optional(), Length(max=100)])
    role = SelectField("Role", choices=choices([("", "Any role"), ("customer", "Customer"),
                                                ("staff", "Staff"), ("admin", "Admin")]),
                       validators=[Optional()])


__all__ = ["AREA_TEAM", "AreaForm", "CaseForm", "NewTeamForm", "OwnerForm", "RuleForm",
           "TeamForm", "UpdateForm", "UserSearchForm"]
