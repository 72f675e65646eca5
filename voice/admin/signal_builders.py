"""The domains' events as the plain :class:`~voice.admin.rules.Signal` values the rules match.

Pure: the builders read a few attributes of what they are given and nothing else. Live
routing gives them the domain's objects the signal carries (an idea, a comment, a survey
response...); the rule preview gives them the plain rows the domains' ``staff_reads``
return for the last days. Both have the attributes the protocols below name, so the
preview runs exactly the signals routing would have built.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Protocol

from voice.admin.rules import SCORED_KINDS, Score, Signal
from voice.clock import utcnow


class IdeaFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def description(self) -> str | None: ...
    @property
    def area_id(self) -> int | None: ...
    @property
    def author_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime | None: ...


class CommentFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def body(self) -> str | None: ...
    @property
    def author_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime | None: ...


class CommentedIdea(Protocol):
    """What a comment's signal needs of its idea."""

    @property
    def title(self) -> str: ...
    @property
    def area_id(self) -> int | None: ...


class SurveyFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def title(self) -> str: ...
    @property
    def area_id(self) -> int | None: ...
    @property
    def anonymous(self) -> bool: ...


class ResponseFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def user_id(self) -> int | None: ...
    @property
    def created_at(self) -> datetime | None: ...


class AnswerFacts(Protocol):
    @property
    def question_id(self) -> int: ...
    @property
    def number(self) -> float | None: ...
    @property
    def text(self) -> str | None: ...


class MarketFacts(Protocol):
    @property
    def id(self) -> int: ...
    @property
    def question(self) -> str | None: ...


def idea_text(idea: IdeaFacts) -> str:
    return f"{idea.title}\n{idea.description or ''}".strip()


def idea_signal(idea: IdeaFacts, *, occurred_at: datetime | None = None) -> Signal:
    return Signal(
        source="idea_created", source_id=idea.id,
        occurred_at=occurred_at or idea.created_at or utcnow(), area_id=idea.area_id,
        text=idea_text(idea), customer_id=idea.author_id, title=idea.title)


def votes_signal(idea: IdeaFacts, vote_count: int, previous: int | None = None, *,
                 occurred_at: datetime | None = None) -> Signal:
    """The idea reaching ``vote_count`` votes (from ``previous``, by default one less)."""
    return Signal(
        source="idea_votes", source_id=idea.id, occurred_at=occurred_at or utcnow(),
        area_id=idea.area_id, text=idea_text(idea), vote_count=vote_count,
        previous_vote_count=vote_count - 1 if previous is None else previous,
        customer_id=idea.author_id, title=idea.title)


def comment_signal(comment: CommentFacts, idea: CommentedIdea | None) -> Signal:
    return Signal(
        source="comment", source_id=comment.id, occurred_at=comment.created_at or utcnow(),
        area_id=idea.area_id if idea is not None else None, text=comment.body or "",
        customer_id=comment.author_id,
        title=f"Comment on “{idea.title if idea is not None else ''}”")


def response_signal(response: ResponseFacts, survey: SurveyFacts,
                    answers: Iterable[AnswerFacts], kinds: Mapping[int, str]) -> Signal:
    """``kinds`` maps a question id to its kind: scored answers become scores, text
    answers the signal's text. An anonymous survey's response names no customer."""
    scores: list[Score] = []
    texts: list[str] = []
    for answer in answers:
        kind = kinds.get(answer.question_id)
        if kind in SCORED_KINDS and answer.number is not None:
            scores.append(Score(kind, float(answer.number)))
        elif kind == "text" and answer.text:
            texts.append(answer.text)
    customer = None if survey.anonymous else response.user_id
    summary = ", ".join(f"{s.kind.upper()} {s.value:g}" for s in scores)
    title = survey.title + (f" ({summary})" if summary else "")
    return Signal(
        source="survey_response", source_id=response.id,
        occurred_at=response.created_at or utcnow(), area_id=survey.area_id,
        survey_id=survey.id, text="\n".join(texts), scores=tuple(scores),
        customer_id=customer, title=title)


def market_signal(market: MarketFacts, prices_before: Sequence[float] | None,
                  prices_after: Sequence[float] | None, area_id: int | None,
                  occurred_at: datetime | None = None) -> Signal:
    """One trade's move: the prices before and after it; ``area_id`` is the linked idea's."""
    return Signal(
        source="market_move", source_id=market.id, occurred_at=occurred_at or utcnow(),
        area_id=area_id, text=market.question or "",
        prices_before=tuple(float(p) for p in prices_before or ()),
        prices_after=tuple(float(p) for p in prices_after or ()),
        title=market.question or "")
