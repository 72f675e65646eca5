"""What a case's source says, read for the case page (the template never queries)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from voice.admin.models import Case
from voice.extensions import db


def describe(case: Case) -> dict[str, Any]:
    """A plain dict of the source: its kind, a title, the text, and kind-specific parts."""
    reader = {"idea": _idea, "comment": _comment, "survey_response": _response,
              "market": _market}.get(case.source_type)
    found = reader(case.source_id) if reader else None
    if found is None:
        return {"kind": case.source_type, "missing": True, "title": case.title,
                "text": case.excerpt, "link": case.link}
    found.setdefault("link", case.link)
    found["kind"] = case.source_type
    found["missing"] = False
    return found


def _author(user_id: int | None) -> str:
    from voice.accounts.models import User

    user = db.session.get(User, user_id) if user_id else None
    return user.display_name if user else "Anonymous"


def _idea(idea_id: int) -> dict[str, Any] | None:
    from voice.ideas.models import Idea

    idea = db.session.get(Idea, idea_id)
    if idea is None:
        return None
    return {"title": idea.title, "text": idea.description or "", "status": idea.status,
            "votes": idea.vote_count, "comments": idea.comment_count,
            "author": _author(idea.author_id), "created_at": idea.created_at,
            "link": f"/ideas/{idea.id}"}


def _comment(comment_id: int) -> dict[str, Any] | None:
    from voice.ideas.models import Comment, Idea

    row = db.session.execute(select(Comment, Idea).join(Idea, Idea.id == Comment.idea_id)
                             .where(Comment.id == comment_id)).first()
    if row is None:
        return None
    comment, idea = row
    return {"title": f"Comment on “{idea.title}”", "text": comment.body,
            "author": _author(comment.author_id), "created_at": comment.created_at,
            "link": f"/ideas/{idea.id}#comment-{comment.id}"}


def _response(response_id: int) -> dict[str, Any] | None:
    from voice.surveys.models import Answer, Question, Response, Survey

    row = db.session.execute(select(Response, Survey).join(Survey, Survey.id == Response.survey_id)
                             .where(Response.id == response_id)).first()
    if row is None:
        return None
    response, survey = row
    answers = []
    for answer, question in db.session.execute(
        select(Answer, Question).join(Question, Question.id == Answer.question_id)
        .where(Answer.response_id == response.id).order_by(Question.position, Question.id)
    ):
        if answer.number is not None:
            value = str(answer.number)
        elif answer.choices:
            value = ", ".join(str(choice) for choice in answer.choices)
        else:
            value = answer.text or ""
        answers.append({"prompt": question.prompt, "kind": question.kind, "value": value})
    author = "Anonymous" if survey.anonymous or response.user_id is None else _author(
        response.user_id)
    return {"title": survey.title, "text": "", "answers": answers, "author": author,
            "created_at": response.created_at, "link": f"/surveys/{survey.id}"}


def _market(market_id: int) -> dict[str, Any] | None:
    from voice.markets.models import Market, Outcome, PricePoint

    market = db.session.get(Market, market_id)
    if market is None:
        return None
    labels = list(db.session.scalars(select(Outcome.label).where(Outcome.market_id == market.id)
                                     .order_by(Outcome.position)))
    last = db.session.scalar(select(PricePoint.prices).where(PricePoint.market_id == market.id)
                             .order_by(PricePoint.id.desc()).limit(1)) or []
    prices = [{"label": label, "percent": round(float(price) * 100)}
              for label, price in zip(labels, last, strict=False)]
    return {"title": market.question, "text": market.description or "", "status": market.status,
            "prices": prices, "created_at": market.created_at, "link": f"/markets/{market.id}"}
