"""Routing: the domains' signals in, cases out, in the sender's transaction.

voice/admin/hooks.py connects the subscribers below (the app factory calls it). Each
turns the domain object into a pure :class:`voice.admin.rules.Signal` (the builders of
voice/admin/signal_builders.py), asks the engine for a decision over the ordered
enabled rules, and opens the case. Nothing here commits: the case exists exactly when
the event that caused it does. On a fresh installation (no team yet) the first signal
creates the triage team and the default rules.
"""

from __future__ import annotations

from typing import Any

from voice import pages
from voice.accounts.models import User
from voice.admin import routing_cache, rules, service
from voice.admin.models import Case
from voice.admin.signal_builders import (
    comment_signal,
    idea_signal,
    market_signal,
    response_signal,
    votes_signal,
)
from voice.extensions import db
from voice.ideas.service import staff_reads as idea_reads
from voice.permissions import is_staff
from voice.surveys.service import staff_reads as survey_reads


def route(signal: rules.Signal, *, title: str = "", link: str = "") -> Case | None:
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


# --- subscribers --------------------------------------------------------------------------


def on_idea_created(idea: Any, **_extra: Any) -> None:
    route(idea_signal(idea), link=pages.idea(idea.id))


def on_idea_voted(idea: Any, user: Any = None, vote_count: int | None = None,
                  **_extra: Any) -> None:
    count = idea.vote_count if vote_count is None else vote_count
    route(votes_signal(idea, count), link=pages.idea(idea.id))


def on_comment_created(comment: Any, **_extra: Any) -> None:
    if getattr(comment, "internal", False) or getattr(comment, "official", False):
        return  # staff talking, not a customer speaking
    author = db.session.get(User, comment.author_id) if comment.author_id else None
    if is_staff(author):
        return
    route(comment_signal(comment, idea_reads.idea_brief(comment.idea_id)),
          link=pages.idea(comment.idea_id, comment_id=comment.id))


def on_response_submitted(response: Any, survey: Any = None, answers: Any = (),
                          **_extra: Any) -> None:
    if survey is not None:
        # The surveys service sends the survey with its questions loaded: no query here.
        kinds = {question.id: question.kind for question in survey.questions}
    else:
        survey = survey_reads.survey_row(response.survey_id)
        kinds = survey_reads.question_kinds(response.survey_id)
    route(response_signal(response, survey, list(answers or ()), kinds),
          link=pages.survey(response.survey_id))


def on_market_traded(market: Any, trade: Any = None, prices_before: Any = (),
                     prices_after: Any = (), **_extra: Any) -> None:
    idea = idea_reads.idea_brief(getattr(market, "idea_id", None))
    signal = market_signal(market, prices_before, prices_after,
                           idea.area_id if idea is not None else None,
                           occurred_at=getattr(trade, "created_at", None))
    route(signal, link=pages.market(market.id))
