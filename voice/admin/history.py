"""The last days' signals, rebuilt from what the domains stored, for the rule preview.

Ideas, votes, comments, survey responses (with their answers) and market price moves
of the window are read in a handful of queries and turned into the same pure
:class:`~voice.admin.rules.Signal` values routing builds live, so the preview runs
the real engine. A vote's count is rebuilt as the idea's votes up to and including
it (votes withdrawn since are gone, so the count may be lower than it was then); a
market move is each pair of consecutive price points (one per trade).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta

from sqlalchemy import select

from voice.admin import routing
from voice.admin.rules import Signal
from voice.clock import utcnow
from voice.extensions import db

MAX_SIGNALS_PER_SOURCE = 5000


def recent_signals(days: int = 30, now: datetime | None = None) -> list[Signal]:
    now = now or utcnow()
    since = now - timedelta(days=days)
    signals: list[Signal] = []
    signals += _ideas_and_votes(since, now)
    signals += _comments(since, now)
    signals += _responses(since, now)
    signals += _markets(since, now)
    signals.sort(key=lambda s: s.occurred_at, reverse=True)
    return signals


def _ideas_and_votes(since: datetime, now: datetime) -> list[Signal]:
    from voice.ideas.models import Idea, Vote

    out: list[Signal] = []
    for idea in db.session.scalars(
        select(Idea).where(Idea.created_at >= since, Idea.created_at <= now)
        .order_by(Idea.created_at.desc()).limit(MAX_SIGNALS_PER_SOURCE)
    ):
        out.append(routing.idea_signal(idea))
    # Votes of the window, numbered within their idea over all its votes.
    voted = select(Vote.idea_id).where(Vote.created_at >= since, Vote.created_at <= now)
    ideas = {idea.id: idea for idea in db.session.scalars(
        select(Idea).where(Idea.id.in_(voted.distinct())))}
    rank: dict[int, int] = defaultdict(int)
    rows = db.session.execute(
        select(Vote.idea_id, Vote.created_at)
        .where(Vote.idea_id.in_(list(ideas)), Vote.created_at <= now)
        .order_by(Vote.idea_id, Vote.created_at, Vote.id)
    ) if ideas else []
    for idea_id, created_at in rows:
        rank[idea_id] += 1
        if created_at >= since:
            out.append(routing.votes_signal(ideas[idea_id], rank[idea_id],
                                            occurred_at=created_at))
    return out


def _comments(since: datetime, now: datetime) -> list[Signal]:
    from voice.accounts.models import STAFF_ROLES, User
    from voice.ideas.models import Comment, Idea

    rows = db.session.execute(
        select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.created_at >= since, Comment.created_at <= now,
               Comment.internal.is_(False), Comment.official.is_(False),
               (User.role.is_(None)) | (User.role.not_in(STAFF_ROLES)))
        .order_by(Comment.created_at.desc()).limit(MAX_SIGNALS_PER_SOURCE)
    )
    return [routing.comment_signal(comment, idea) for comment, idea in rows]


def _responses(since: datetime, now: datetime) -> list[Signal]:
    from voice.surveys.models import Answer, Question, Response, Survey

    responses = list(db.session.execute(
        select(Response, Survey).join(Survey, Survey.id == Response.survey_id)
        .where(Response.created_at >= since, Response.created_at <= now)
        .order_by(Response.created_at.desc()).limit(MAX_SIGNALS_PER_SOURCE)
    ))
    if not responses:
        return []
    ids = [response.id for response, _ in responses]
    answers: dict[int, list] = defaultdict(list)
    kinds: dict[int, str] = {}
    for answer, kind in db.session.execute(
        select(Answer, Question.kind).join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id.in_(ids))
    ):
        answers[answer.response_id].append(answer)
        kinds[answer.question_id] = kind
    return [routing.response_signal(response, survey, answers[response.id], kinds)
            for response, survey in responses]


def _markets(since: datetime, now: datetime) -> list[Signal]:
    from voice.ideas.models import Idea
    from voice.markets.models import Market, PricePoint

    market_ids = select(PricePoint.market_id).where(
        PricePoint.at >= since, PricePoint.at <= now).distinct()
    markets = {m.id: (m, area) for m, area in db.session.execute(
        select(Market, Idea.area_id).outerjoin(Idea, Idea.id == Market.idea_id)
        .where(Market.id.in_(market_ids)))}
    if not markets:
        return []
    out: list[Signal] = []
    previous: dict[int, list[float]] = {}
    for market_id, at, prices in db.session.execute(
        select(PricePoint.market_id, PricePoint.at, PricePoint.prices)
        .where(PricePoint.market_id.in_(list(markets)), PricePoint.at <= now)
        .order_by(PricePoint.market_id, PricePoint.id)
    ):
        before = previous.get(market_id)
        previous[market_id] = prices
        if before is None or at < since:
            continue
        market, area_id = markets[market_id]
        out.append(routing.market_signal(market, before, prices, area_id, occurred_at=at))
    return out[-MAX_SIGNALS_PER_SOURCE:]
