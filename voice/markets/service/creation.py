"""Staff open and edit markets: the wording, the liquidity b, the close time, the idea a
market is about (checked through the ideas facade)."""

from __future__ import annotations

from datetime import datetime
from decimal import ROUND_FLOOR, Decimal, localcontext
from typing import Any

from voice import signals
from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import as_id, write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.ideas import service as ideas
from voice.markets import lmsr
from voice.markets.models import Market, MarketEvent, Outcome, PricePoint
from voice.markets.money import HUNDRED
from voice.markets.service.loading import lock_market, outcomes_of
from voice.markets.service.parsing import parse_decimal
from voice.permissions import require_staff
from voice.text import one_line

MIN_LIQUIDITY = Decimal(1)  # points
MAX_LIQUIDITY = Decimal(1_000_000)
MAX_QUESTION = 200
MAX_LABEL = 80
MAX_DESCRIPTION = 10_000
STAFF_ONLY = "Only staff manage markets."


def _clean_text(text: Any, field: str, what: str, low: int, high: int) -> str:
    text = one_line(text)
    if not low <= len(text) <= high:
        raise Invalid(f"{what} has {low} to {high} characters.", field=field)
    return text


def _clean_labels(outcomes: Any) -> list[str]:
    if not isinstance(outcomes, list | tuple):
        raise Invalid("Give the outcomes as a list of labels.", code="invalid_outcomes",
                      field="outcomes")
    labels = [label for label in (one_line(label) for label in outcomes) if label]
    if not lmsr.MIN_OUTCOMES <= len(labels) <= lmsr.MAX_OUTCOMES:
        raise Invalid(f"A market has {lmsr.MIN_OUTCOMES} to {lmsr.MAX_OUTCOMES} outcomes.",
                      code="invalid_outcomes", field="outcomes")
    if any(len(label) > MAX_LABEL for label in labels):
        raise Invalid(f"An outcome label has at most {MAX_LABEL} characters.",
                      code="invalid_outcomes", field="outcomes")
    if len({label.lower() for label in labels}) != len(labels):
        raise Invalid("Each outcome needs a different label.", code="invalid_outcomes",
                      field="outcomes")
    return labels


def _given(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


def liquidity_hundredths(liquidity: Any = None, subsidy: Any = None, n: int = 2) -> int:
    """b in hundredths from either b itself (to the nearest hundredth) or the subsidy S:
    then the largest b in hundredths with b · ln n ≤ S, so the market maker never loses
    more than the subsidy (b = S / ln n rounded to the nearest could: S = 10 over 20
    outcomes gave b = 3.34 and a worst case of 10.0057)."""
    if _given(liquidity) == _given(subsidy):
        raise Invalid("Give the liquidity b or the subsidy, one of the two.",
                      code="invalid_liquidity", field="liquidity")
    if _given(liquidity):
        b = parse_decimal(liquidity, "liquidity", "The liquidity")
        _check_liquidity(b)
        return int((b * HUNDRED).to_integral_value())
    s = parse_decimal(subsidy, "subsidy", "The subsidy")
    if s <= 0:
        raise Invalid("The subsidy must be above zero.", code="invalid_subsidy",
                      field="subsidy")
    with localcontext() as context:
        context.prec = 60  # ln n to 60 digits: b · ln n ≤ S is decided exactly
        ln_n = Decimal(n).ln()
        _check_liquidity(s / ln_n)
        hundredths = int((s * HUNDRED / ln_n).to_integral_value(ROUND_FLOOR))
        while hundredths * ln_n > s * HUNDRED:  # never, at 60 digits; kept as the rule
            hundredths -= 1
    return hundredths


def _check_liquidity(b: Decimal) -> None:
    if not MIN_LIQUIDITY <= b <= MAX_LIQUIDITY:
        raise Invalid(f"The liquidity b is between {MIN_LIQUIDITY} and {MAX_LIQUIDITY:,} "
                      "points.", code="invalid_liquidity", field="liquidity")


def _check_closes_at(closes_at: datetime | None, now: datetime) -> None:
    if closes_at is not None and closes_at <= now:
        raise Invalid("The close time must be in the future.", code="invalid_closes_at",
                      field="closes_at")


def _check_idea(idea_id: Any) -> int | None:
    """The id of an existing idea (or None for no link); Invalid ``invalid_idea``."""
    if idea_id is None or idea_id == "":
        return None
    no_such_idea = Invalid("No such idea.", code="invalid_idea", field="idea_id")
    if isinstance(idea_id, bool):
        raise no_such_idea
    try:
        checked = as_id(int(idea_id))
    except (TypeError, ValueError):
        raise no_such_idea from None
    try:
        ideas.get_idea(checked)
    except NotFound:
        raise no_such_idea from None
    return checked


def _clean_wording(question: Any, description: Any, outcomes: Any
                   ) -> tuple[str, str, list[str]]:
    """The question, description and outcome labels of a new or edited market, checked."""
    question = _clean_text(question, "question", "A question", 5, MAX_QUESTION)
    description = str(description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise Invalid(f"A description has at most {MAX_DESCRIPTION} characters.",
                      field="description")
    return question, description, _clean_labels(outcomes)


def create_market(actor: User, question: str, outcomes: list[str], *, liquidity: Any = None,
                  subsidy: Any = None, description: str = "", closes_at: datetime | None = None,
                  idea_id: int | None = None, now: datetime | None = None) -> Market:
    """Open a market (staff). ``liquidity`` b or ``subsidy`` b·ln n, in points."""
    require_staff(actor, STAFF_ONLY)
    now = now or utcnow()
    question, description, labels = _clean_wording(question, description, outcomes)
    b = liquidity_hundredths(liquidity, subsidy, len(labels))
    _check_closes_at(closes_at, now)
    with write_transaction():
        idea_id = _check_idea(idea_id)
        market = Market(question=question, description=description, status="open",
                        liquidity=b, closes_at=closes_at, idea_id=idea_id,
                        created_by_id=actor.id, created_at=now, maker_balance=0)
        db.session.add(market)
        db.session.flush()
        for position, label in enumerate(labels):
            db.session.add(Outcome(market_id=market.id, position=position, label=label,
                                   shares=0))
        db.session.add(PricePoint(market_id=market.id, at=now,
                                  prices=[round(1 / len(labels), 6)] * len(labels)))
        db.session.add(MarketEvent(market_id=market.id, kind="created", actor_id=actor.id,
                                   at=now, data={"liquidity": b, "outcomes": labels}))
        signals.staff_acted.send(actor, action="market.create", target_type="market",
                                 target_id=market.id, detail=question[:200])
    return market


def _check_edit(market: Market, current: list[Outcome], wording: tuple[str, str, list[str]],
                closes_at: datetime | None, now: datetime) -> None:
    question, description, labels = wording
    if market.status in ("resolved", "voided"):
        raise Conflict("A settled market cannot be edited.", code="market_settled")
    wording_changed = (question != market.question or description != market.description
                       or labels != [o.label for o in current])
    if wording_changed and market.trade_count > 0:
        raise Conflict("The wording is fixed once someone has traded.",
                       code="market_has_trades", field="question")
    if len(labels) != len(current):
        raise Invalid("The number of outcomes is fixed when the market opens.",
                      code="invalid_outcomes", field="outcomes")
    if closes_at != market.closes_at:
        _check_closes_at(closes_at, now)


def edit_market(actor: User, market_id: int, *, question: str, outcomes: list[str],
                description: str = "", closes_at: datetime | None = None,
                now: datetime | None = None) -> Market:
    """Change the wording (question, description, labels) before the first trade, and the
    close time while the market is unsettled."""
    require_staff(actor, STAFF_ONLY)
    now = now or utcnow()
    question, description, labels = _clean_wording(question, description, outcomes)
    with write_transaction():
        market = lock_market(market_id)
        current = outcomes_of(market.id)
        _check_edit(market, current, (question, description, labels), closes_at, now)
        before = {"question": market.question, "outcomes": [o.label for o in current],
                  "closes_at": market.closes_at.isoformat() if market.closes_at else None}
        market.question, market.description, market.closes_at = question, description, closes_at
        for outcome, label in zip(current, labels, strict=True):
            outcome.label = label
        db.session.add(MarketEvent(market_id=market.id, kind="edited", actor_id=actor.id,
                                   at=now, data={"before": before}))
        signals.staff_acted.send(actor, action="market.edit", target_type="market",
                                 target_id=market.id, detail=question[:200])
    return market
