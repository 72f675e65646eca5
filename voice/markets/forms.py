"""Forms of the markets pages. Rules (limits, rounding, who may) live in the service."""

from __future__ import annotations

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
from wtforms.validators import DataRequired, Length, Optional

from voice.forms import choices


class MarketForm(FlaskForm):
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
