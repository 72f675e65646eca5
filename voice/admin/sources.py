"""What a case's source says, read for the case page (the template never queries).

The domains read their own tables (their ``staff_reads``); this module only shapes the
answer into the plain dict the case page shows. What a person wrote in Markdown (an idea,
a comment, a market's description, the routed excerpt) is given as the text a reader sees
(``voice.text.markdown_text``: no ``**``, ``#`` or ``[x](y)``), paragraphs apart by a
blank line.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from voice import pages
from voice.admin.models import Case
from voice.ideas.service import staff_reads as idea_reads
from voice.markets.service import staff_reads as market_reads
from voice.surveys.service import staff_reads as survey_reads
from voice.text import markdown_text

ANONYMOUS = "Anonymous"


def describe(case: Case) -> dict[str, Any]:
    """A plain dict of the source: its kind, a title, the text, and kind-specific parts."""
    reader = _READERS.get(case.source_type)
    found = reader(case.source_id) if reader else None
    if found is None:
        return {"kind": case.source_type, "missing": True, "title": case.title,
                "text": markdown_text(case.excerpt), "link": case.link}
    found.setdefault("link", case.link)
    found["kind"] = case.source_type
    found["missing"] = False
    return found


def _idea(idea_id: int) -> dict[str, Any] | None:
    found = idea_reads.idea_source(idea_id)
    if found is None:
        return None
    idea = found.idea
    return {"title": idea.title, "text": markdown_text(idea.description), "status": idea.status,
            "votes": idea.vote_count, "comments": idea.comment_count,
            "author": found.author_name or ANONYMOUS, "created_at": idea.created_at,
            "link": pages.idea(idea.id)}


def _comment(comment_id: int) -> dict[str, Any] | None:
    found = idea_reads.comment_source(comment_id)
    if found is None:
        return None
    comment, idea = found.comment, found.idea
    return {"title": f"Comment on “{idea.title}”", "text": markdown_text(comment.body),
            "author": found.author_name or ANONYMOUS, "created_at": comment.created_at,
            "link": pages.idea(idea.id, comment_id=comment.id)}


def _answer_text(answer: survey_reads.AnsweredQuestion) -> str:
    if answer.number is not None:
        return str(answer.number)
    if answer.choices:
        return ", ".join(answer.choices)
    return answer.text or ""


def _response(response_id: int) -> dict[str, Any] | None:
    found = survey_reads.response_source(response_id)
    if found is None:
        return None
    answers = [{"prompt": a.prompt, "kind": a.kind, "value": _answer_text(a)}
               for a in found.answers]
    return {"title": found.survey.title, "text": "", "answers": answers,
            "author": found.author_name or ANONYMOUS, "created_at": found.response.created_at,
            "link": pages.survey(found.survey.id)}


def _market(market_id: int) -> dict[str, Any] | None:
    market = market_reads.market_source(market_id)
    if market is None:
        return None
    prices = [{"label": label, "percent": round(price * 100)}
              for label, price in zip(market.labels, market.prices, strict=False)]
    return {"title": market.question, "text": markdown_text(market.description),
            "status": market.status,
            "prices": prices, "created_at": market.created_at, "link": pages.market(market.id)}


_READERS: dict[str, Callable[[int], dict[str, Any] | None]] = {
    "idea": _idea, "comment": _comment, "survey_response": _response, "market": _market,
}
