"""The last days' signals, rebuilt from what the domains stored, for the rule preview.

Ideas, votes, comments, survey responses (with their answers) and market price moves
of the window are read through the domains' ``staff_reads`` in a handful of queries and
turned, by the builders routing uses live (voice/admin/signal_builders.py), into the
same pure :class:`~voice.admin.rules.Signal` values, so the preview runs the real
engine. A vote's count is rebuilt as the idea's votes up to and including it (votes
withdrawn since are gone, so the count may be lower than it was then); a market move is
each pair of consecutive price points (one per trade).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from voice.admin.rules import Signal
from voice.admin.signal_builders import (
    comment_signal,
    idea_signal,
    market_signal,
    response_signal,
    votes_signal,
)
from voice.clock import utcnow
from voice.ideas.service import staff_reads as idea_reads
from voice.markets.service import staff_reads as market_reads
from voice.surveys.service import staff_reads as survey_reads

MAX_SIGNALS_PER_SOURCE = 5000


def recent_signals(days: int = 30, now: datetime | None = None) -> list[Signal]:
    """Every signal of the last ``days`` days, newest first (at most
    :data:`MAX_SIGNALS_PER_SOURCE` of each source)."""
    now = now or utcnow()
    since = now - timedelta(days=days)
    signals: list[Signal] = []
    signals += _ideas(since, now)
    signals += _votes(since, now)
    signals += _comments(since, now)
    signals += _responses(since, now)
    signals += _markets(since, now)
    signals.sort(key=lambda s: s.occurred_at, reverse=True)
    return signals


def _ideas(since: datetime, now: datetime) -> list[Signal]:
    return [idea_signal(idea)
            for idea in idea_reads.ideas_created_between(since, now, MAX_SIGNALS_PER_SOURCE)]


def _votes(since: datetime, now: datetime) -> list[Signal]:
    """The window's votes, each numbered within its idea over all the idea's votes."""
    ideas, votes = idea_reads.votes_of_ideas_voted_between(since, now)
    rank: dict[int, int] = defaultdict(int)
    out: list[Signal] = []
    for vote in votes:
        rank[vote.idea_id] += 1
        if vote.created_at >= since:
            out.append(votes_signal(ideas[vote.idea_id], rank[vote.idea_id],
                                    occurred_at=vote.created_at))
    return out


def _comments(since: datetime, now: datetime) -> list[Signal]:
    return [comment_signal(pair.comment, pair.idea) for pair in
            idea_reads.customer_comments_between(since, now, MAX_SIGNALS_PER_SOURCE)]


def _responses(since: datetime, now: datetime) -> list[Signal]:
    return [response_signal(found.response, found.survey, found.answers, found.kinds)
            for found in survey_reads.responses_between(since, now, MAX_SIGNALS_PER_SOURCE)]


def _markets(since: datetime, now: datetime) -> list[Signal]:
    markets, points = market_reads.markets_moved_between(since, now)
    out: list[Signal] = []
    previous: dict[int, tuple[float, ...]] = {}
    for point in points:
        before = previous.get(point.market_id)
        previous[point.market_id] = point.prices
        if before is None or point.at < since:
            continue
        market = markets[point.market_id]
        out.append(market_signal(market, before, point.prices, market.area_id,
                                 occurred_at=point.at))
    return out[-MAX_SIGNALS_PER_SOURCE:]
