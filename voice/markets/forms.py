"""Forms of the markets pages. Rules (limits, rounding, who may) live in the service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_wtf import FlaskForm
from wtforms import (
    DateTimeLocalField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from voice.clock import utcnow
from voice.errors import Invalid
from voice.forms import choices
from voice.markets import lmsr
from voice.markets.service import (
    MAX_LABEL,
    MAX_QUESTION,
    liquidity_hundredths,
    parse_limit,
    parse_points,
    parse_shares,
)
from voice.text import one_line


class _WordingChecks:
    """The question and outcome checks of a new and of an edited market, with the
    service's rules and sentences, so one submit shows every problem (issue 13); the
    service checks again. ``outcome_count``: the number an edit must keep (None: new)."""

    question: StringField
    outcomes: TextAreaField
    outcome_count: int | None = None

    def labels(self) -> list[str]:
        return [line for line in (self.outcomes.data or "").splitlines() if line.strip()]

    def validate_question(self, field: StringField) -> None:
        if not 5 <= len(one_line(field.data or "")) <= MAX_QUESTION:
            raise ValidationError(f"A question has 5 to {MAX_QUESTION} characters.")

    def validate_outcomes(self, field: TextAreaField) -> None:
        labels = [one_line(label) for label in self.labels()]
        if not lmsr.MIN_OUTCOMES <= len(labels) <= lmsr.MAX_OUTCOMES:
            raise ValidationError(
                f"A market has {lmsr.MIN_OUTCOMES} to {lmsr.MAX_OUTCOMES} outcomes.")
        if any(len(label) > MAX_LABEL for label in labels):
            raise ValidationError(f"An outcome label has at most {MAX_LABEL} characters.")
        if len({label.lower() for label in labels}) != len(labels):
            raise ValidationError("Each outcome needs a different label.")
        if self.outcome_count is not None and len(labels) != self.outcome_count:
            raise ValidationError("The number of outcomes is fixed when the market opens.")


def _check_future(moment: datetime | None) -> None:
    if moment is not None and moment <= utcnow():
        raise ValidationError("The close time must be in the future.")


class MarketForm(_WordingChecks, FlaskForm):
    """Every field is checked on each submit, so one submit shows every problem (issue 13);
    the messages are the service's, which checks again."""

    question = StringField("Question", validators=[DataRequired(), Length(max=200)],
                           description="A question with a clear answer, e.g. "
                                       "“Will offline mode ship by March?”")
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)],
                                description="How it will be resolved (Markdown).")
    outcomes = TextAreaField("Outcomes, one per line", default="Yes\nNo",
                             validators=[DataRequired()],
                             description="2 to 20 outcomes. A binary market is Yes / No.")
    liquidity = StringField("Liquidity b (points)", validators=[Optional()],
                            description="Higher b: prices move less per trade. The most the "
                                        "market maker can lose is b · ln n.")
    subsidy = StringField("…or the subsidy (points)", validators=[Optional()],
                          description="Leave b empty and give the most you are willing to "
                                      "lose; b = subsidy / ln n.")
    closes_at = DateTimeLocalField("Closes at (UTC)", format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    idea_id = IntegerField("Linked idea (id)", validators=[Optional()])

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        _check_future(field.data)

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields' checks, then b or the subsidy as the service checks them (its
        sentence on its field), so every problem shows at once."""
        valid = super().validate(extra_validators)
        n = min(max(len(self.labels()), lmsr.MIN_OUTCOMES), lmsr.MAX_OUTCOMES)
        try:
            liquidity_hundredths(self.liquidity.data or None, self.subsidy.data or None, n)
        except Invalid as error:
            target = self.subsidy if error.field == "subsidy" else self.liquidity
            target.errors = [*target.errors, error.message]
            return False
        return valid


class EditMarketForm(_WordingChecks, FlaskForm):
    """The wording and close time of a market; :meth:`about` names what an edit keeps."""

    question = StringField("Question", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])
    outcomes = TextAreaField("Outcomes, one per line", validators=[DataRequired()],
                             description="The number of outcomes cannot change.")
    closes_at = DateTimeLocalField("Closes at (UTC)", format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])
    current_closes_at: datetime | None = None

    def about(self, outcome_count: int, closes_at: datetime | None) -> EditMarketForm:
        """The market's number of outcomes (fixed) and its close time (kept as it is even
        when it has passed; a new one must be in the future)."""
        self.outcome_count, self.current_closes_at = outcome_count, closes_at
        return self

    def validate_closes_at(self, field: DateTimeLocalField) -> None:
        if field.data != self.current_closes_at:
            _check_future(field.data)


class ResolveForm(FlaskForm):
    outcome_id = SelectField("Winning outcome", coerce=int, validators=[DataRequired()])
    note = TextAreaField("Note to traders", validators=[Optional(), Length(max=2000)])


class VoidForm(FlaskForm):
    note = TextAreaField("Why the market is voided", validators=[Optional(), Length(max=2000)])


class TradeForm(FlaskForm):
    """Buy by shares or by amount; sell by shares or everything held."""

    outcome_id = RadioField("Outcome", coerce=int, validators=[DataRequired()])
    action = RadioField("Trade", default="buy_shares", choices=choices([
        ("buy_shares", "Buy shares"), ("buy_spend", "Buy for an amount"),
        ("sell_shares", "Sell shares"), ("sell_all", "Sell all"),
    ]))
    amount = StringField("Shares or points")
    # the quoted limit the page's script fills in; empty without JavaScript
    max_cost = HiddenField()
    min_proceeds = HiddenField()

    def size(self) -> dict[str, Any]:
        """The trade's size as ``service.trade`` takes it; Invalid (on ``shares``,
        ``spend``, ``max_cost`` or ``min_proceeds``) for a number it refuses."""
        action, amount = self.action.data, self.amount.data
        if action == "sell_all":
            return {"sell_all": True}
        if action == "buy_spend":
            return {"spend": parse_points(amount, "spend", what="The amount")}
        count = parse_shares(amount, signed=False)
        if action == "sell_shares":
            return {"shares": -count,
                    "min_proceeds": parse_limit(self.min_proceeds.data, "min_proceeds")}
        return {"shares": count, "max_cost": parse_limit(self.max_cost.data, "max_cost")}

    def validate_amount(self, field: StringField) -> None:
        """The amount read as the chosen trade reads it, so a wrong number shows together
        with a wrong outcome or action."""
        try:
            self.size()
        except Invalid as error:
            raise ValidationError(error.message) from None
