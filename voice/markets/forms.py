"""Forms of the markets pages. Rules (limits, rounding, who may) live in the service."""

from __future__ import annotations

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

from voice.errors import Invalid
from voice.forms import choices
from voice.markets import lmsr
from voice.markets.service import MAX_LABEL, MAX_QUESTION, liquidity_hundredths
from voice.text import one_line


class MarketForm(FlaskForm):
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


class EditMarketForm(FlaskForm):
    question = StringField("Question", validators=[DataRequired(), Length(max=200)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=10_000)])
    outcomes = TextAreaField("Outcomes, one per line", validators=[DataRequired()],
                             description="The number of outcomes cannot change.")
    closes_at = DateTimeLocalField("Closes at (UTC)", format="%Y-%m-%dT%H:%M",
                                   validators=[Optional()])

    def labels(self) -> list[str]:
        return [line for line in (self.outcomes.data or "").splitlines() if line.strip()]


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
    amount = StringField("Shares or points", validators=[Optional()])
    # the quoted limit the page's script fills in; empty without JavaScript
    max_cost = HiddenField()
    min_proceeds = HiddenField()
