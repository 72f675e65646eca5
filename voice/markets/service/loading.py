"""Loaders the writes share: the market locked, its outcomes fresh, the outcome an id
names. Each raises (NotFound, Invalid) rather than return None."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.markets.models import Market, Outcome


def lock_market(market_id: int) -> Market:
    """The market row, locked (the first lock of every write: the lock order), fresh."""
    market = db.session.scalar(
        select(Market).where(Market.id == market_id).with_for_update()
        .execution_options(populate_existing=True)
    )
    if market is None:
        raise NotFound("No such market.")
    return market


def outcomes_of(market_id: int) -> list[Outcome]:
    """The market's outcomes in order, read afresh."""
    return list(db.session.scalars(
        select(Outcome).where(Outcome.market_id == market_id).order_by(Outcome.position)
        .execution_options(populate_existing=True)
    ))


def index_of(outcome_ids: list[int], outcome_id: Any) -> int | None:
    """The position of ``outcome_id`` (any input) among the market's outcomes, or None."""
    try:
        wanted = int(outcome_id)
    except (TypeError, ValueError):
        return None
    for index, candidate in enumerate(outcome_ids):
        if candidate == wanted:
            return index
    return None


def not_an_outcome() -> Invalid:
    return Invalid("That outcome is not part of this market.", code="invalid_outcome",
                   field="outcome_id")


def outcome_index(outcome_ids: list[int], outcome_id: Any) -> int:
    """The position of ``outcome_id`` among ``outcome_ids``; Invalid when it is not one."""
    index = index_of(outcome_ids, outcome_id)
    if index is None:
        raise not_an_outcome()
    return index
