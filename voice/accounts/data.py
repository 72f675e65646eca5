"""A customer's own data: download it all as JSON, or close the account.

Closing an account keeps what the customer said in public (ideas, comments, votes,
survey answers, trades) and the numbers staff rely on, under an anonymised user
row shown as "A former customer"; it removes what identifies or reaches the person
(email, name, password, sessions, API tokens, notifications, mail preferences,
queued or sent mails, idea subscriptions). Open market positions are sold back to
each market maker at the market's current price first, so the ledger balances.

This module reads the tables of the domains above accounts (ideas, surveys,
markets, loop) on purpose: it is the one place that answers "what do you hold
about me". It imports them inside the functions, so accounts stays importable alone.
"""

from __future__ import annotations

import secrets
from typing import Any

from sqlalchemy import delete, select
from werkzeug.security import check_password_hash

from voice.accounts.models import ApiToken, User
from voice.clock import isoformat, utcnow
from voice.database import write_transaction
from voice.errors import Forbidden, Invalid, NotFound
from voice.extensions import db

FORMER_NAME = "A former customer"
EXPORT_FORMAT = "voice-account-export/1"


def _money(hundredths: int | None) -> float:
    return round((hundredths or 0) / 100, 2)


def _shares(millionths: int | None) -> float:
    return round((millionths or 0) / 1_000_000, 6)


def export_data(user_id: int) -> dict[str, Any]:
    """Everything Voice holds about this user, as plain JSON-ready data."""
    from voice.areas.models import Area
    from voice.ideas.models import Comment, Idea, IdeaSubscription, Vote
    from voice.loop.models import MailPreference, Notification
    from voice.markets.models import LedgerEntry, Market, Outcome, Position, Trade
    from voice.surveys.models import Answer, Question, Response, Survey

    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No such user.")
    session = db.session

    ideas = session.execute(
        select(Idea, Area.slug).outerjoin(Area, Area.id == Idea.area_id)
        .where(Idea.author_id == user.id).order_by(Idea.id)
    ).all()
    comments = session.execute(
        select(Comment, Idea.title).join(Idea, Idea.id == Comment.idea_id)
        .where(Comment.author_id == user.id).order_by(Comment.id)
    ).all()
    votes = session.execute(
        select(Vote, Idea.title).join(Idea, Idea.id == Vote.idea_id)
        .where(Vote.user_id == user.id).order_by(Vote.id)
    ).all()
    subscriptions = session.scalars(
        select(IdeaSubscription.idea_id).where(IdeaSubscription.user_id == user.id,
                                               IdeaSubscription.active.is_(True))
        .order_by(IdeaSubscription.idea_id)
    ).all()
    responses = session.execute(
        select(Response, Survey.title).join(Survey, Survey.id == Response.survey_id)
        .where(Response.user_id == user.id).order_by(Response.id)
    ).all()
    answers_by_response: dict[int, list[dict]] = {}
    if responses:
        rows = session.execute(
            select(Answer, Question.prompt, Question.kind)
            .join(Question, Question.id == Answer.question_id)
            .where(Answer.response_id.in_([r.id for r, _title in responses]))
            .order_by(Answer.response_id, Question.position, Answer.id)
        ).all()
        for answer, prompt, kind in rows:
            value: Any = answer.number
            if kind in ("text", "single_choice"):
                value = answer.text
            elif kind == "multi_choice":
                value = list(answer.choices or [])
            answers_by_response.setdefault(answer.response_id, []).append(
                {"question_id": answer.question_id, "prompt": prompt, "kind": kind,
                 "value": value})
    positions = session.execute(
        select(Position, Outcome.label, Market.question)
        .join(Outcome, Outcome.id == Position.outcome_id)
        .join(Market, Market.id == Position.market_id)
        .where(Position.user_id == user.id).order_by(Position.market_id, Position.outcome_id)
    ).all()
    trades = session.execute(
        select(Trade, Outcome.label).join(Outcome, Outcome.id == Trade.outcome_id)
        .where(Trade.user_id == user.id).order_by(Trade.id)
    ).all()
    ledger = session.scalars(
        select(LedgerEntry).where(LedgerEntry.account == "user",
                                  LedgerEntry.user_id == user.id).order_by(LedgerEntry.id)
    ).all()
    notifications = session.scalars(
        select(Notification).where(Notification.user_id == user.id)
        .order_by(Notification.id)
    ).all()
    preferences = session.scalars(
        select(MailPreference).where(MailPreference.user_id == user.id)
        .order_by(MailPreference.category)
    ).all()
    tokens = session.scalars(
        select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)
    ).all()

    return {
        "format": EXPORT_FORMAT,
        "exported_at": isoformat(utcnow()),
        "profile": {
            "id": user.id, "email": user.email, "display_name": user.display_name,
            "role": user.role, "balance": _money(user.balance), "active": user.active,
            "created_at": isoformat(user.created_at),
        },
        "api_tokens": [{"id": t.id, "created_at": isoformat(t.created_at),
                        "last_used_at": isoformat(t.last_used_at)} for t in tokens],
        "ideas": [{"id": i.id, "title": i.title, "description": i.description,
                   "area": slug, "status": i.status, "vote_count": i.vote_count,
                   "created_at": isoformat(i.created_at)} for i, slug in ideas],
        "comments": [{"id": c.id, "idea_id": c.idea_id, "idea_title": title, "body": c.body,
                      "internal": c.internal, "hidden": c.hidden,
                      "created_at": isoformat(c.created_at)} for c, title in comments],
        "votes": [{"idea_id": v.idea_id, "idea_title": title,
                   "created_at": isoformat(v.created_at)} for v, title in votes],
        "idea_subscriptions": list(subscriptions),
        "survey_responses": [{"id": r.id, "survey_id": r.survey_id, "survey_title": title,
                              "created_at": isoformat(r.created_at),
                              "answers": answers_by_response.get(r.id, [])}
                             for r, title in responses],
        "positions": [{"market_id": p.market_id, "market_question": question,
                       "outcome_id": p.outcome_id, "outcome_label": label,
                       "shares": _shares(p.shares), "cost_basis": _money(p.cost_basis),
                       "realised": _money(p.realised),
                       "settled_shares": _shares(p.settled_shares)}
                      for p, label, question in positions],
        "trades": [{"id": t.id, "market_id": t.market_id, "outcome_id": t.outcome_id,
                    "outcome_label": label, "shares": _shares(t.shares),
                    "cost": _money(t.cost), "created_at": isoformat(t.created_at)}
                   for t, label in trades],
        "ledger": [{"id": e.id, "kind": e.kind, "amount": _money(e.amount),
                    "market_id": e.market_id, "trade_id": e.trade_id, "note": e.note,
                    "created_at": isoformat(e.created_at)} for e in ledger],
        "notifications": [{"id": n.id, "kind": n.kind, "subject": n.subject, "body": n.body,
                           "link": n.link, "read": n.read_at is not None,
                           "created_at": isoformat(n.created_at)} for n in notifications],
        "mail_preferences": {p.category: p.enabled for p in preferences},
    }


def deleted_email(user_id: int) -> str:
    """A unique address that can never receive mail (.invalid is reserved, RFC 2606)."""
    return f"deleted-{user_id}-{secrets.token_hex(6)}@voice.invalid"


def delete_account(user: User, password: str) -> User:
    """Close the caller's own account, confirmed with their password.

    Forbidden for staff and admins (an admin closes those from the user list);
    Invalid ``wrong_password`` when the password does not match.
    """
    from voice.ideas.models import IdeaSubscription
    from voice.loop.models import MailPreference, Notification, OutboxMail
    from voice.markets.service import settle_positions_of

    if user.role != "customer":
        raise Forbidden("Staff accounts are closed by an admin, not from the profile page.",
                        code="forbidden")
    if not check_password_hash(user.password_hash, password or ""):
        raise Invalid("That password is not right.", code="wrong_password", field="password")
    with write_transaction():
        settle_positions_of(user.id)  # locks the markets, then the user row
        row = db.session.scalar(
            select(User).where(User.id == user.id).with_for_update()
            .execution_options(populate_existing=True)
        )
        if row is None or not row.active:
            raise NotFound("No such account.")
        row.display_name = FORMER_NAME
        row.email = deleted_email(row.id)
        row.password_hash = "!deleted:" + secrets.token_hex(16)  # matches no password
        row.active = False
        row.session_version += 1
        for model, column in ((ApiToken, ApiToken.user_id),
                              (Notification, Notification.user_id),
                              (MailPreference, MailPreference.user_id),
                              (OutboxMail, OutboxMail.user_id),
                              (IdeaSubscription, IdeaSubscription.user_id)):
            db.session.execute(delete(model).where(column == row.id)
                               .execution_options(synchronize_session=False))
    return row
