"""Staff's answers: a new status with a public note, a new area, merging a duplicate and
undoing a merge.

A merge moves the duplicate's votes (one per customer) and active subscribers to the
survivor; each moved vote remembers where it was cast (``merged_from_id``), so an unmerge
moves back exactly the votes the merge moved. Afterwards the touched ideas' vote counts are
recounted from their vote rows (``counters.recount``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import delete, func, select, update

from voice import signals
from voice.accounts.models import User
from voice.areas.service import resolve_area
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.ideas.models import STATUS_LABELS, Idea, IdeaSubscription, StatusChange, Vote
from voice.ideas.service.checks import (
    NOTE_MAX,
    STAFF_ONLY,
    check_status,
    clean_text,
    idea_path,
)
from voice.ideas.service.counters import lock_idea, recount, tally
from voice.ideas.service.discussion import subscribers
from voice.loop.service import notify
from voice.permissions import require_staff
from voice.text import plain_excerpt

#: Votes moved back per UPDATE by an unmerge (a bound list this long suits both databases).
UNMERGE_CHUNK = 500
#: What a merge tells the duplicate's subscribers: whose vote moved, and everyone else.
MERGED_WITH_VOTE = "Your vote moved with it, and you follow it now."
MERGED_FOLLOWING = "You follow it now."


def set_idea_area(actor: User, idea_id: int, area_slug: str | None) -> Idea:
    """Staff move the idea to another product area (None: no area)."""
    require_staff(actor, STAFF_ONLY)
    with write_transaction():
        area = resolve_area(area_slug)
        idea = lock_idea(idea_id)
        new_area_id = area.id if area else None
        if new_area_id != idea.area_id:
            if not idea.is_merged:
                tally(idea.status, idea.area_id, -1)
                tally(idea.status, new_area_id, 1)
            idea.area_id = new_area_id
            idea.updated_at = utcnow()
            signals.staff_acted.send(actor, action="idea.area", target_type="idea",
                                     target_id=idea.id, detail=f"area: {area_slug or 'none'}")
    return idea


def _record_status(actor: User, idea: Idea, status: str, note: str, now: datetime) -> str:
    """Write the status change (and the new status, its tallies); the old status."""
    old = idea.status
    if status == old and not note:
        raise Invalid(f"The idea is {STATUS_LABELS[old].lower()} already; "
                      "add a note to post an update.", code="same_status", field="status")
    db.session.add(StatusChange(idea_id=idea.id, from_status=old, to_status=status,
                                note=note, actor_id=actor.id, created_at=now))
    if status != old:
        tally(old, idea.area_id, -1)
        tally(status, idea.area_id, 1)
        idea.status = status
    idea.updated_at = now
    db.session.flush()
    return old


def change_status(actor: User, idea_id: int, status: str, note: str, *,
                  now: datetime | None = None) -> Idea:
    """Move the idea to ``status`` with a public note; every subscriber is told. ``now``
    (default: the present) is when it moved."""
    require_staff(actor, STAFF_ONLY)
    status = check_status(status)
    note = clean_text(note, limit=NOTE_MAX, field="note", what="note", required=False)
    with write_transaction():
        idea = lock_idea(idea_id)
        if idea.is_merged:
            raise Conflict("A merged idea has no status of its own; change the one it went to.",
                           code="idea_merged")
        old = _record_status(actor, idea, status, note, now or utcnow())
        label = STATUS_LABELS[status]
        subject = (f'"{idea.title}" is now {label.lower()}' if status != old
                   else f'Update on "{idea.title}"')
        notify(subscribers(idea.id, exclude=actor.id), kind="idea_status", subject=subject[:200],
               body=plain_excerpt(note, 500), link=idea_path(idea.id))
        signals.idea_status_changed.send(idea, old_status=old, new_status=status, note=note,
                                         actor=actor)
    return idea


def staff_update(actor: User, idea_id: int, *, status: str | None = None, note: str = "",
                 area_slug: str | None = None, change_area: bool = False) -> Idea:
    """The API's PATCH: a new area and/or a status (or a note alone), in one transaction."""
    require_staff(actor, STAFF_ONLY)
    if not change_area and status is None and not (note or "").strip():
        raise Invalid("Send a status, a note or an area.", code="nothing_to_change")
    with write_transaction():
        if change_area:
            set_idea_area(actor, idea_id, area_slug)
        if status is not None or (note or "").strip():
            current = lock_idea(idea_id)
            change_status(actor, idea_id, status or current.status, note)
        return lock_idea(idea_id)


# --- merging -------------------------------------------------------------------------------


def _lock_pair(duplicate_id: int, into_id: int) -> tuple[Idea, Idea]:
    """Lock both ideas in id order, so two merges never deadlock; (duplicate, into)."""
    locked = {}
    for idea_id in sorted((duplicate_id, into_id)):
        try:
            locked[idea_id] = lock_idea(idea_id)
        except NotFound:
            if idea_id != into_id:
                raise
            raise NotFound("No idea has that number.", code="not_found", field="into") from None
    return locked[duplicate_id], locked[into_id]


def _check_mergeable(duplicate: Idea, into: Idea) -> None:
    if duplicate.is_merged:
        raise Conflict("That idea is merged already; unmerge it first.", code="already_merged")
    if into.merged_into_id == duplicate.id:
        raise Conflict("The target was merged into this idea; unmerge it first.",
                       code="target_merged", field="into")
    if into.is_merged:
        raise Conflict("The target is itself merged; merge into the idea it went to.",
                       code="target_merged", field="into")


def _move_votes_and_followers(duplicate: Idea, into: Idea) -> set[int]:
    """The duplicate's votes of customers who did not vote for ``into`` move there, each
    remembering where it was cast; its active subscribers follow. Returns the voters
    whose vote moved."""
    both = select(Vote.user_id).where(Vote.idea_id == into.id)
    moved = db.session.scalars(
        update(Vote)
        .where(Vote.idea_id == duplicate.id, Vote.user_id.not_in(both))
        .values(idea_id=into.id, merged_from_id=func.coalesce(Vote.merged_from_id,
                                                              duplicate.id))
        .returning(Vote.user_id)
        .execution_options(synchronize_session=False)
    ).all()
    followers = db.session.scalars(
        select(IdeaSubscription.user_id).where(
            IdeaSubscription.idea_id == duplicate.id, IdeaSubscription.active.is_(True),
            IdeaSubscription.user_id.not_in(
                select(IdeaSubscription.user_id).where(IdeaSubscription.idea_id == into.id)
            ),
        )
    ).all()
    for user_id in followers:
        db.session.add(IdeaSubscription(idea_id=into.id, user_id=user_id,
                                        merged_from_id=duplicate.id))
    return set(moved)


def _tell_merged(duplicate: Idea, into: Idea, moved_votes: set[int], actor: User) -> None:
    """Tell the duplicate's subscribers where it went; "your vote moved" only to those
    whose vote did (not to an author who never voted, nor to who voted for both)."""
    subject = f'"{duplicate.title}" was merged into "{into.title}"'[:200]
    told = subscribers(duplicate.id, exclude=actor.id)
    for body, people in (
        (MERGED_WITH_VOTE, [u for u in told if u.id in moved_votes]),
        (MERGED_FOLLOWING, [u for u in told if u.id not in moved_votes]),
    ):
        if people:
            notify(people, kind="idea_merged", subject=subject, body=body,
                   link=idea_path(into.id))


def merge_ideas(actor: User, duplicate_id: int, into_id: int, *,
                now: datetime | None = None) -> Idea:
    """Merge the duplicate into another idea; returns the survivor.

    Votes move (a customer who voted for both keeps one vote on the survivor; their vote
    on the duplicate stays behind, unseen), each moved vote remembering where it was
    cast; active subscribers follow. The duplicate keeps its page, which redirects.
    """
    require_staff(actor, STAFF_ONLY)
    if duplicate_id == into_id:
        raise Invalid("An idea cannot be merged into itself.", code="merge_into_self",
                      field="into")
    with write_transaction():
        duplicate, into = _lock_pair(duplicate_id, into_id)
        _check_mergeable(duplicate, into)
        moved_votes = _move_votes_and_followers(duplicate, into)
        duplicate.merged_into_id = into.id
        duplicate.merged_at = now or utcnow()
        tally(duplicate.status, duplicate.area_id, -1)
        db.session.flush()
        recount([duplicate, into])
        _tell_merged(duplicate, into, moved_votes, actor)
        signals.idea_merged.send(into, duplicate=duplicate, actor=actor)
    return into


# --- unmerging -----------------------------------------------------------------------------


def _merged_subtree(root_id: int) -> set[int]:
    """The idea and every idea merged into it, directly or through others."""
    found, frontier = {root_id}, [root_id]
    while frontier:
        children = db.session.scalars(
            select(Idea.id).where(Idea.merged_into_id.in_(frontier))
        ).all()
        frontier = [child for child in children if child not in found]
        found.update(frontier)
    return found


def _move_votes_back(duplicate: Idea, vote_ids: list[int]) -> None:
    """The votes the merge moved come back to the duplicate, which forgets it was merged."""
    for start in range(0, len(vote_ids), UNMERGE_CHUNK):
        chunk = vote_ids[start:start + UNMERGE_CHUNK]
        db.session.execute(
            update(Vote).where(Vote.id.in_(chunk)).values(idea_id=duplicate.id)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        update(Vote).where(Vote.idea_id == duplicate.id, Vote.merged_from_id == duplicate.id)
        .values(merged_from_id=None).execution_options(synchronize_session=False)
    )
    db.session.execute(
        delete(IdeaSubscription).where(IdeaSubscription.merged_from_id == duplicate.id)
    )


def unmerge_idea(actor: User, duplicate_id: int) -> Idea:
    """Undo a merge: exactly the votes it moved go back, the subscribers it added leave."""
    require_staff(actor, STAFF_ONLY)
    with write_transaction():
        duplicate = lock_idea(duplicate_id)
        survivor_id = duplicate.merged_into_id
        if survivor_id is None:
            raise Conflict("That idea is not merged.", code="not_merged")
        subtree = _merged_subtree(duplicate.id)
        moved = db.session.execute(
            select(Vote.id, Vote.idea_id).where(
                Vote.merged_from_id.in_(subtree), Vote.idea_id.not_in(subtree)
            )
        ).all()
        touched = sorted({idea_id for _, idea_id in moved} | {survivor_id})
        holders = [lock_idea(idea_id) for idea_id in touched]
        vote_ids = [vote_id for vote_id, _ in moved]
        _move_votes_back(duplicate, vote_ids)
        duplicate.merged_into_id = None
        duplicate.merged_at = None
        duplicate.updated_at = utcnow()
        tally(duplicate.status, duplicate.area_id, 1)
        db.session.flush()
        recount([duplicate, *holders])
        signals.staff_acted.send(actor, action="idea.unmerge", target_type="idea",
                                 target_id=duplicate.id,
                                 detail=f"unmerged, {len(vote_ids)} votes moved back")
    return duplicate
