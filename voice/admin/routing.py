"""Routing: the domains' signals in, cases out, in the sender's transaction.

Connected when this module is imported (voice/admin/views.py imports it, so it is
connected whenever the app is built). Each subscriber turns the domain object into a
pure :class:`voice.admin.rules.Signal`, asks the engine for a decision over the
ordered enabled rules, and opens the case. Nothing here commits: the case exists
exactly when the event that caused it does. On a fresh installation (no team yet)
the first signal creates the triage team and the default rules.
"""

from __future__ import annotations

from voice import signals
from voice.accounts.models import User
from voice.admin import routing_cache, rules, service
from voice.clock import utcnow
from voice.extensions import db

SURVEY_SCORED = tuple(rules.SCORED_KINDS)


def route(signal: rules.Signal, *, title: str = "", link: str = ""):
    """Open the case the rules decide for ``signal`` (None when no rule matches)."""
    config = routing_cache.current()
    if not config.has_team:
        service.ensure_defaults()
        config = routing_cache.current()
    candidates = config.rules_for(signal.source)
    if not candidates:
        return None
    routing = config.routing
    if routing is None:  # rules but no triage team: an old installation
        routing = service.routing_map()
    decision = rules.decide(list(candidates), signal, routing)
    if decision is None:
        return None
    return service.open_case(signal, decision, config.rule_name(decision.rule_id),
                             title=title, link=link)


# --- building signals from domain objects -----------------------------------------------


def idea_text(idea) -> str:
    return f"{idea.title}\n{idea.description or ''}".strip()


def idea_signal(idea, *, occurred_at=None) -> rules.Signal:
    return rules.Signal(
        source="idea_created", source_id=idea.id, occurred_at=occurred_at or idea.created_at
        or utcnow(), area_id=idea.area_id, text=idea_text(idea), customer_id=idea.author_id,
        title=idea.title)


def votes_signal(idea, vote_count: int, previous: int | None = None, *,
                 occurred_at=None) -> rules.Signal:
    return rules.Signal(
        source="idea_votes", source_id=idea.id, occurred_at=occurred_at or utcnow(),
        area_id=idea.area_id, text=idea_text(idea), vote_count=vote_count,
        previous_vote_count=vote_count - 1 if previous is None else previous,
        customer_id=idea.author_id, title=idea.title)


def comment_signal(comment, idea) -> rules.Signal:
    return rules.Signal(
        source="comment", source_id=comment.id, occurred_at=comment.created_at or utcnow(),
        area_id=getattr(idea, "area_id", None), text=comment.body or "",
        customer_id=comment.author_id, title=f"Comment on “{getattr(idea, 'title', '')}”")


def response_signal(response, survey, answers, kinds: dict[int, str]) -> rules.Signal:
    """``kinds`` maps question id to kind."""
    scores, texts = [], []
    for answer in answers:
        kind = kinds.get(answer.question_id)
        if kind in SURVEY_SCORED and answer.number is not None:
            scores.append(rules.Score(kind, float(answer.number)))
        elif kind == "text" and answer.text:
            texts.append(answer.text)
    customer = None if survey.anonymous else response.user_id
    summary = ", ".join(f"{s.kind.upper()} {s.value:g}" for s in scores)
    title = survey.title + (f" ({summary})" if summary else "")
    return rules.Signal(
        source="survey_response", source_id=response.id,
        occurred_at=response.created_at or utcnow(), area_id=survey.area_id,
        survey_id=survey.id, text="\n".join(texts), scores=tuple(scores),
        customer_id=customer, title=title)


def market_signal(market, prices_before, prices_after, area_id: int | None,
                  occurred_at=None) -> rules.Signal:
    return rules.Signal(
        source="market_move", source_id=market.id, occurred_at=occurred_at or utcnow(),
        area_id=area_id, text=market.question or "",
        prices_before=tuple(float(p) for p in prices_before or ()),
        prices_after=tuple(float(p) for p in prices_after or ()),
        title=market.question or "")


def _idea(idea_id):
    if idea_id is None:
        return None
    from voice.ideas.models import Idea

    return db.session.get(Idea, idea_id)


# --- subscribers --------------------------------------------------------------------------


def on_idea_created(idea, **_extra) -> None:
    route(idea_signal(idea), link=f"/ideas/{idea.id}")


def on_idea_voted(idea, user=None, vote_count=None, **_extra) -> None:
    count = idea.vote_count if vote_count is None else vote_count
    route(votes_signal(idea, count), link=f"/ideas/{idea.id}")


def on_comment_created(comment, **_extra) -> None:
    if getattr(comment, "internal", False) or getattr(comment, "official", False):
        return  # staff talking, not a customer speaking
    author = db.session.get(User, comment.author_id) if comment.author_id else None
    if author is not None and author.is_staff:
        return
    idea = _idea(comment.idea_id)
    route(comment_signal(comment, idea), link=f"/ideas/{comment.idea_id}#comment-{comment.id}")


def on_response_submitted(response, survey=None, answers=(), **_extra) -> None:
    from voice.surveys.models import Survey

    survey = survey or db.session.get(Survey, response.survey_id)
    answers = list(answers or ())
    # The surveys service sends the survey with its questions loaded: no query here.
    kinds = {question.id: question.kind for question in survey.questions}
    route(response_signal(response, survey, answers, kinds), link=f"/surveys/{survey.id}")


def on_market_traded(market, trade=None, prices_before=(), prices_after=(), **_extra) -> None:
    idea = _idea(getattr(market, "idea_id", None))
    signal = market_signal(market, prices_before, prices_after,
                           getattr(idea, "area_id", None),
                           occurred_at=getattr(trade, "created_at", None))
    route(signal, link=f"/markets/{market.id}")


def connect() -> None:
    signals.idea_created.connect(on_idea_created, weak=False)
    signals.idea_voted.connect(on_idea_voted, weak=False)
    signals.comment_created.connect(on_comment_created, weak=False)
    signals.survey_response_submitted.connect(on_response_submitted, weak=False)
    signals.market_traded.connect(on_market_traded, weak=False)


connect()
