"""Votes: a customer's own (cast and taken back), and staff's votes on a customer's behalf.

Each vote locks the idea (``counters.lock_idea``), writes the vote row with one
``INSERT .. ON CONFLICT DO NOTHING`` and changes the counters and the score with one
``UPDATE`` (``voice.ideas.sql``): a vote is six statements, an unvote four
(tests/test_query_counts.py).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import CursorResult

from voice import signals
from voice.accounts import service as accounts
from voice.accounts.models import User
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid
from voice.extensions import db
from voice.ideas import sql
from voice.ideas.models import CLOSED_STATUSES, STATUS_LABELS, Idea
from voice.ideas.service.checks import STAFF_ONLY
from voice.ideas.service.counters import bump, lock_idea
from voice.ideas.service.discussion import subscribe
from voice.permissions import require_staff


def _check_voting_open(idea: Idea) -> None:
    if idea.is_merged:
        raise Conflict("This idea was merged into another one; vote there.", code="voting_closed")
    if idea.status in CLOSED_STATUSES:
        raise Conflict(f"Voting is closed: this idea is {STATUS_LABELS[idea.status].lower()}.",
                       code="voting_closed")


def _add_vote(idea: Idea, voter: User, voter_id: int, added_by: User | None = None,
              now: datetime | None = None) -> int | None:
    """Add the voter's vote (the idea locked and open), cast at ``now`` (default: the
    present): the new count, or None if the voter had voted for it already (then nothing
    changes)."""
    vote_id = db.session.scalar(sql.insert_vote(sql.dialect()), {
        "new_idea": idea.id, "new_user": voter_id, "new_on_behalf": added_by is not None,
        "new_added_by": added_by.id if added_by else None, "new_at": now or utcnow(),
    })
    if vote_id is None:
        return None
    count = bump(idea, votes=1)
    subscribe(idea.id, voter_id)
    signals.idea_voted.send(idea, user=voter, vote_count=count)
    return count


def cast_vote(user: User, idea_id: int, *, now: datetime | None = None) -> tuple[int, bool]:
    """Vote for the idea (idempotent): (vote_count, True). ``now`` (default: the present)
    is when it was cast; the demo spreads its votes over its weeks.

    The voter's id is read before the transaction begins: ``write_transaction`` commits
    the request's read transaction, which expires the user, and reading ``user.id`` inside
    would load the whole user again (one statement) for a value that never changes.
    """
    user_id = user.id
    with write_transaction():
        idea = lock_idea(idea_id)
        _check_voting_open(idea)
        count = _add_vote(idea, user, user_id, now=now)
        if count is None:
            return idea.vote_count, True
    return count, True


def remove_vote(user: User, idea_id: int) -> tuple[int, bool]:
    """Take the vote back (idempotent): (vote_count, False). The id is read first, as in
    ``cast_vote``."""
    user_id = user.id
    with write_transaction():
        idea = lock_idea(idea_id)
        _check_voting_open(idea)
        removed = cast("CursorResult[Any]", db.session.execute(
            sql.remove_vote(), {"idea_key": idea.id, "user_key": user_id}))
        if not removed.rowcount:
            return idea.vote_count, False
        count = bump(idea, votes=-1)
    return count, False


def add_vote_for(actor: User, idea_id: int, customer_email: str, *,
                 now: datetime | None = None) -> tuple[int, User]:
    """Staff add a vote on a customer's behalf (from a sales call, say); shown as such.
    ``now`` (default: the present) is when it was added."""
    require_staff(actor, STAFF_ONLY)
    email = (customer_email or "").strip().lower()
    with write_transaction():
        voter = accounts.user_by_email(email)
        if voter is None:
            raise Invalid("No customer has that email.", code="unknown_user", field="email")
        if voter.role != "customer":
            # a proxy vote speaks for a customer; staff and admins vote for themselves
            raise Invalid(f"{voter.email} is not a customer: proxy votes are for customers.",
                          code="not_a_customer", field="email")
        idea = lock_idea(idea_id)
        _check_voting_open(idea)
        count = _add_vote(idea, voter, voter.id, added_by=actor, now=now)
        if count is None:
            raise Conflict(f"{voter.display_name} has voted for this idea already.",
                           code="already_voted", field="email")
        signals.staff_acted.send(actor, action="idea.proxy_vote", target_type="idea",
                                 target_id=idea.id, detail=f"vote on behalf of {voter.email}")
    return count, voter
