"""Ideas: submitting, finding, voting, discussing, and the staff's answers and merges.

Every write runs in one ``write_transaction`` and locks the idea it changes
(``SELECT ... FOR UPDATE`` on PostgreSQL; SQLite's immediate transaction already
serialises writers). Counters change with one atomic ``UPDATE``; after a merge
or an unmerge the touched ideas' counts are recounted from the vote rows in the
same statement, so ``vote_count`` always equals the number of its vote rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache

from sqlalchemy import Delete, Insert, Select, Update, bindparam, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import aliased, joinedload
from sqlalchemy.orm.attributes import set_committed_value

from voice import signals
from voice.accounts.models import User
from voice.areas.models import Area
from voice.areas.service import area_by_slug
from voice.clock import utcnow
from voice.database import is_postgresql, write_transaction
from voice.errors import Conflict, Forbidden, Invalid, NotFound
from voice.extensions import db
from voice.ideas import ranking, search
from voice.ideas.models import (
    CLOSED_STATUSES,
    STATUS_LABELS,
    STATUSES,
    Comment,
    Idea,
    IdeaSubscription,
    IdeaTally,
    StatusChange,
    Vote,
)
from voice.loop.service import notify
from voice.paging import MAX_PER_PAGE, Page
from voice.text import plain_excerpt

TITLE_MIN, TITLE_MAX = 5, 120
DESCRIPTION_MAX = 10_000
COMMENT_MAX = 5_000
NOTE_MAX = 2_000
SORTS = ("trending", "top", "new")
SEARCH_SORT = "relevance"  # the default order of a search
MERGE_CHAIN_LIMIT = 50


# --- checks ----------------------------------------------------------------------------


def clean_title(title: str | None) -> str:
    title = " ".join((title or "").split())
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise Invalid(
            f"A title has {TITLE_MIN} to {TITLE_MAX} characters (yours has {len(title)}).",
            code="invalid_title", field="title",
        )
    return title


def clean_description(description: str | None) -> str:
    description = (description or "").replace("\r\n", "\n").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(
            f"A description has at most {DESCRIPTION_MAX:,} characters "
            f"(yours has {len(description):,}).",
            code="invalid_description", field="description",
        )
    return description


def clean_text(text: str | None, *, limit: int, field: str, what: str,
               required: bool = True) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"Write a {what}.", code=f"invalid_{field}", field=field)
    if len(text) > limit:
        raise Invalid(f"A {what} has at most {limit:,} characters (yours has {len(text):,}).",
                      code=f"invalid_{field}", field=field)
    return text


def resolve_area(slug: str | None) -> Area | None:
    """The area with this slug; None for no area; Invalid for an unknown one."""
    slug = (slug or "").strip()
    if not slug:
        return None
    area = area_by_slug(slug)
    if area is None:
        raise Invalid("There is no such product area.", code="unknown_area", field="area")
    return area


def check_status(status: str | None) -> str:
    if status not in STATUSES:
        raise Invalid(f"A status is one of {', '.join(STATUSES)}.",
                      code="unknown_status", field="status")
    return status


def require_staff(actor: User) -> None:
    if actor is None or not actor.is_staff:
        raise Forbidden("Only staff may do this.", code="forbidden")


def idea_path(idea_id: int) -> str:
    return f"/ideas/{idea_id}"


# --- small helpers inside a transaction ------------------------------------------------


# The statements of a vote are built once and reused with new parameters: building one
# and working out its cache key costs ~70-130 us, as much as SQLite takes to run it.


@cache
def _lock_statement() -> Select:
    return (select(Idea).where(Idea.id == bindparam("idea_key")).with_for_update()
            .execution_options(populate_existing=True))


def _lock_idea(idea_id: int) -> Idea:
    idea = db.session.scalar(_lock_statement(), {"idea_key": idea_id})
    if idea is None:
        raise NotFound("No such idea.", code="not_found")
    return idea


def _upsert(model, values: dict, keys: list[str], increments: dict):
    maker = pg_insert if is_postgresql() else sqlite_insert
    stmt = maker(model).values(**values)
    return stmt.on_conflict_do_update(
        index_elements=keys,
        set_={name: getattr(model, name) + getattr(stmt.excluded, name) for name in increments},
    )


def _tally(status: str, area_id: int | None, delta: int) -> None:
    """Add ``delta`` to the count of unmerged ideas with this status and area."""
    db.session.execute(_upsert(
        IdeaTally, {"status": status, "area_key": area_id or 0, "count": delta},
        ["status", "area_key"], {"count": delta},
    ))


def _set_counts(idea: Idea, votes: int, comments: int) -> None:
    """Store the idea's counters and its trending score, without marking it dirty."""
    set_committed_value(idea, "vote_count", votes)
    set_committed_value(idea, "comment_count", comments)
    score = ranking.hot_score(votes, comments, idea.created_at)
    db.session.execute(update(Idea).where(Idea.id == idea.id).values(hot_score=score))
    set_committed_value(idea, "hot_score", score)


@cache
def _bump_statement() -> Update:
    ideas = Idea.__table__
    return (update(ideas).where(ideas.c.id == bindparam("idea_key"))
            .values(vote_count=ideas.c.vote_count + bindparam("add_votes"),
                    comment_count=ideas.c.comment_count + bindparam("add_comments"),
                    hot_score=bindparam("new_score"))
            .returning(ideas.c.vote_count, ideas.c.comment_count))


def _bump(idea: Idea, *, votes: int = 0, comments: int = 0) -> int:
    """Atomically add to the idea's counters and store its new score; returns the vote count.

    The caller holds the idea's row lock (``_lock_idea``), so the locked row's counts plus
    the deltas are the new counts: the score is computed from them in Python and set by
    the same ``UPDATE`` (one statement, not two). The counters still change atomically and
    come back by ``RETURNING``; were they ever not the expected ones, the score is set
    again from what came back, so ``hot_score`` always matches the stored counts.
    """
    expected = (idea.vote_count + votes, idea.comment_count + comments)
    score = ranking.hot_score(*expected, idea.created_at)
    new_votes, new_comments = db.session.execute(_bump_statement(), {
        "idea_key": idea.id, "add_votes": votes, "add_comments": comments, "new_score": score,
    }).one()
    if (new_votes, new_comments) != expected:
        _set_counts(idea, new_votes, new_comments)
        return new_votes
    set_committed_value(idea, "vote_count", new_votes)
    set_committed_value(idea, "comment_count", new_comments)
    set_committed_value(idea, "hot_score", score)
    return new_votes


def _recount(ideas: list[Idea]) -> None:
    """Set each idea's vote_count from its vote rows (after votes moved in bulk)."""
    for idea in ideas:
        votes = db.session.execute(
            update(Idea).where(Idea.id == idea.id)
            .values(vote_count=select(func.count(Vote.id)).where(Vote.idea_id == idea.id)
                    .scalar_subquery())
            .returning(Idea.vote_count, Idea.comment_count)
            .execution_options(synchronize_session=False)
        ).one()
        _set_counts(idea, votes[0], votes[1])


@cache
def _insert_new_statement(model, keys: tuple[str, ...], columns: tuple[str, ...],
                          postgresql: bool) -> Insert:
    table = model.__table__
    maker = pg_insert if postgresql else sqlite_insert
    return (maker(table).values({name: bindparam(f"new_{name}") for name in columns})
            .on_conflict_do_nothing(index_elements=list(keys)).returning(table.c.id))


def _insert_new(model, keys: tuple[str, ...], **values) -> int | None:
    """Insert the row unless one with the same ``keys`` exists: the new row's id, or None.

    One ``INSERT .. ON CONFLICT DO NOTHING RETURNING id`` instead of a look-up and an
    insert. A plain INSERT refused by the unique constraint would abort the whole
    transaction on PostgreSQL; ``DO NOTHING`` leaves it usable. Columns left out take
    their defaults.
    """
    stmt = _insert_new_statement(model, keys, tuple(values), is_postgresql())
    return db.session.scalar(stmt, {f"new_{name}": value for name, value in values.items()})


def _subscribe(idea_id: int, user_id: int, merged_from_id: int | None = None) -> bool:
    """Subscribe unless the user already has a subscription row, even an inactive one:
    whoever unsubscribed stays unsubscribed when they vote or comment. True if added."""
    return _insert_new(IdeaSubscription, ("idea_id", "user_id"), idea_id=idea_id,
                       user_id=user_id, merged_from_id=merged_from_id) is not None


def _subscribers(idea_id: int, exclude: int | None = None) -> list[User]:
    stmt = (select(User).join(IdeaSubscription, IdeaSubscription.user_id == User.id)
            .where(IdeaSubscription.idea_id == idea_id, IdeaSubscription.active.is_(True))
            .order_by(User.id))
    if exclude is not None:
        stmt = stmt.where(User.id != exclude)
    return list(db.session.scalars(stmt))


def _check_voting_open(idea: Idea) -> None:
    if idea.is_merged:
        raise Conflict("This idea was merged into another one; vote there.", code="voting_closed")
    if idea.status in CLOSED_STATUSES:
        raise Conflict(f"Voting is closed: this idea is {STATUS_LABELS[idea.status].lower()}.",
                       code="voting_closed")


# --- submitting ------------------------------------------------------------------------


def submit_idea(author: User, title: str, description: str, area_slug: str | None = None) -> Idea:
    """A new open idea by ``author``, indexed for search, the author subscribed."""
    title = clean_title(title)
    description = clean_description(description)
    with write_transaction():
        area = resolve_area(area_slug)
        now = utcnow()
        idea = Idea(
            title=title, description=description, area_id=area.id if area else None,
            status="open", author_id=author.id, vote_count=0, comment_count=0,
            created_at=now, updated_at=now, hot_score=ranking.hot_score(0, 0, now),
        )
        db.session.add(idea)
        db.session.flush()
        search.index_idea(idea)
        _tally("open", idea.area_id, 1)
        _subscribe(idea.id, author.id)
        signals.idea_created.send(idea)
    return idea


def edit_idea(actor: User, idea_id: int, title: str, description: str) -> Idea:
    """The author (while the idea is open) or staff change the title and description."""
    title = clean_title(title)
    description = clean_description(description)
    with write_transaction():
        idea = _lock_idea(idea_id)
        if not actor.is_staff and (idea.author_id != actor.id or idea.status != "open"):
            raise Forbidden("Only staff, or the author while the idea is open, may edit it.")
        idea.title, idea.description, idea.updated_at = title, description, utcnow()
        db.session.flush()
        search.index_idea(idea)
    return idea


def set_idea_area(actor: User, idea_id: int, area_slug: str | None) -> Idea:
    require_staff(actor)
    with write_transaction():
        area = resolve_area(area_slug)
        idea = _lock_idea(idea_id)
        new_area_id = area.id if area else None
        if new_area_id != idea.area_id:
            if not idea.is_merged:
                _tally(idea.status, idea.area_id, -1)
                _tally(idea.status, new_area_id, 1)
            idea.area_id = new_area_id
            idea.updated_at = utcnow()
            signals.staff_acted.send(actor, action="idea.area", target_type="idea",
                                     target_id=idea.id, detail=f"area: {area_slug or 'none'}")
    return idea


# --- voting ----------------------------------------------------------------------------


def _add_vote(idea: Idea, voter: User, voter_id: int, added_by: User | None = None
              ) -> int | None:
    """Add the voter's vote (the idea locked and open): the new count, or None if the voter
    had voted for it already (then nothing changes)."""
    vote_id = _insert_new(
        Vote, ("idea_id", "user_id"), idea_id=idea.id, user_id=voter_id,
        on_behalf=added_by is not None, added_by_id=added_by.id if added_by else None,
    )
    if vote_id is None:
        return None
    count = _bump(idea, votes=1)
    _subscribe(idea.id, voter_id)
    signals.idea_voted.send(idea, user=voter, vote_count=count)
    return count


def _has_vote(idea_id: int, user_id: int) -> bool:
    return db.session.scalar(
        select(Vote.id).where(Vote.idea_id == idea_id, Vote.user_id == user_id)
    ) is not None


def cast_vote(user: User, idea_id: int) -> tuple[int, bool]:
    """Vote for the idea (idempotent): (vote_count, True).

    The voter's id is read before the transaction begins: ``write_transaction`` commits
    the request's read transaction, which expires the user, and reading ``user.id`` inside
    would load the whole user again (one statement) for a value that never changes.
    """
    user_id = user.id
    with write_transaction():
        idea = _lock_idea(idea_id)
        _check_voting_open(idea)
        count = _add_vote(idea, user, user_id)
        if count is None:
            return idea.vote_count, True
    return count, True


@cache
def _unvote_statement() -> Delete:
    votes = Vote.__table__
    return delete(votes).where(votes.c.idea_id == bindparam("idea_key"),
                               votes.c.user_id == bindparam("user_key"))


def remove_vote(user: User, idea_id: int) -> tuple[int, bool]:
    """Take the vote back (idempotent): (vote_count, False). The id is read first, as in
    ``cast_vote``."""
    user_id = user.id
    with write_transaction():
        idea = _lock_idea(idea_id)
        _check_voting_open(idea)
        removed = db.session.execute(_unvote_statement(),
                                     {"idea_key": idea.id, "user_key": user_id}).rowcount
        if not removed:
            return idea.vote_count, False
        count = _bump(idea, votes=-1)
    return count, False


def add_vote_for(actor: User, idea_id: int, customer_email: str) -> tuple[int, User]:
    """Staff add a vote on a customer's behalf (from a sales call, say); shown as such."""
    require_staff(actor)
    email = (customer_email or "").strip().lower()
    with write_transaction():
        voter = db.session.scalar(select(User).where(func.lower(User.email) == email))
        if voter is None:
            raise Invalid("No customer has that email.", code="unknown_user", field="email")
        idea = _lock_idea(idea_id)
        _check_voting_open(idea)
        count = _add_vote(idea, voter, voter.id, added_by=actor)
        if count is None:
            raise Conflict(f"{voter.display_name} has voted for this idea already.",
                           code="already_voted", field="email")
        signals.staff_acted.send(actor, action="idea.proxy_vote", target_type="idea",
                                 target_id=idea.id, detail=f"vote on behalf of {voter.email}")
    return count, voter


# --- discussing ------------------------------------------------------------------------


def add_comment(author: User, idea_id: int, body: str, internal: bool = False) -> Comment:
    """A comment (Markdown). Staff comments are official; internal notes are staff-only."""
    body = clean_text(body, limit=COMMENT_MAX, field="body", what="comment")
    if internal and not author.is_staff:
        raise Forbidden("Only staff may write internal notes.", code="forbidden")
    with write_transaction():
        idea = _lock_idea(idea_id)
        if idea.is_merged:
            raise Conflict("This idea was merged into another one; comment there.",
                           code="idea_merged")
        comment = Comment(idea_id=idea.id, author_id=author.id, body=body, internal=internal,
                          official=author.is_staff and not internal, created_at=utcnow())
        db.session.add(comment)
        db.session.flush()
        if not internal:
            _bump(idea, comments=1)
            _subscribe(idea.id, author.id)
            notify(_subscribers(idea.id, exclude=author.id), kind="idea_comment",
                   subject=f'{author.display_name} commented on "{idea.title}"'[:200],
                   body=plain_excerpt(body, 300), link=f"{idea_path(idea.id)}#comment-{comment.id}")
            signals.comment_created.send(comment)
    return comment


def set_comment_hidden(actor: User, comment_id: int, hidden: bool) -> Comment:
    """Staff hide an abusive comment (or show it again)."""
    require_staff(actor)
    with write_transaction():
        comment = db.session.get(Comment, comment_id)
        if comment is None:
            raise NotFound("No such comment.", code="not_found")
        idea = _lock_idea(comment.idea_id)
        db.session.refresh(comment)
        if comment.hidden != hidden:
            comment.hidden = hidden
            if not comment.internal:
                _bump(idea, comments=-1 if hidden else 1)
            comment.hidden_by_id = actor.id if hidden else None
            signals.staff_acted.send(actor, action="idea.comment_hide" if hidden
                                     else "idea.comment_show", target_type="comment",
                                     target_id=comment.id, detail=f"on idea #{idea.id}")
    return comment


def set_subscribed(user: User, idea_id: int, subscribed: bool) -> bool:
    with write_transaction():
        idea = _lock_idea(idea_id)
        row = db.session.scalar(select(IdeaSubscription).where(
            IdeaSubscription.idea_id == idea.id, IdeaSubscription.user_id == user.id))
        if row is None:
            db.session.add(IdeaSubscription(idea_id=idea.id, user_id=user.id, active=subscribed))
        else:
            row.active = subscribed
    return subscribed


# --- staff: status, merge --------------------------------------------------------------


def change_status(actor: User, idea_id: int, status: str, note: str) -> Idea:
    """Move the idea to ``status`` with a public note; every subscriber is told."""
    require_staff(actor)
    status = check_status(status)
    note = clean_text(note, limit=NOTE_MAX, field="note", what="note", required=False)
    with write_transaction():
        idea = _lock_idea(idea_id)
        if idea.is_merged:
            raise Conflict("A merged idea has no status of its own; change the one it went to.",
                           code="idea_merged")
        old = idea.status
        if status == old and not note:
            raise Invalid(f"The idea is {STATUS_LABELS[old].lower()} already; "
                          "add a note to post an update.", code="same_status", field="status")
        db.session.add(StatusChange(idea_id=idea.id, from_status=old, to_status=status,
                                    note=note, actor_id=actor.id, created_at=utcnow()))
        if status != old:
            _tally(old, idea.area_id, -1)
            _tally(status, idea.area_id, 1)
            idea.status = status
        idea.updated_at = utcnow()
        db.session.flush()
        label = STATUS_LABELS[status]
        subject = (f'"{idea.title}" is now {label.lower()}' if status != old
                   else f'Update on "{idea.title}"')
        notify(_subscribers(idea.id, exclude=actor.id), kind="idea_status", subject=subject[:200],
               body=plain_excerpt(note, 500), link=idea_path(idea.id))
        signals.idea_status_changed.send(idea, old_status=old, new_status=status, note=note,
                                         actor=actor)
    return idea


def staff_update(actor: User, idea_id: int, *, status: str | None = None, note: str = "",
                 area_slug: str | None = None, change_area: bool = False) -> Idea:
    """The API's PATCH: a new area and/or a status (or a note alone), in one transaction."""
    require_staff(actor)
    if not change_area and status is None and not (note or "").strip():
        raise Invalid("Send a status, a note or an area.", code="nothing_to_change")
    with write_transaction():
        if change_area:
            set_idea_area(actor, idea_id, area_slug)
        if status is not None or (note or "").strip():
            current = _lock_idea(idea_id)
            change_status(actor, idea_id, status or current.status, note)
        return _lock_idea(idea_id)


def _final_target(idea: Idea) -> Idea:
    """Follow merged_into to the idea that is not merged (the survivor)."""
    seen = {idea.id}
    while idea.merged_into_id is not None and len(seen) < MERGE_CHAIN_LIMIT:
        idea = db.session.get(Idea, idea.merged_into_id)
        if idea is None or idea.id in seen:
            break
        seen.add(idea.id)
    return idea


def merge_ideas(actor: User, duplicate_id: int, into_id: int) -> Idea:
    """Merge the duplicate into another idea; returns the survivor.

    Votes move (a customer who voted for both keeps one vote on the survivor; their vote
    on the duplicate stays behind, unseen), each moved vote remembering where it was
    cast; active subscribers follow. The duplicate keeps its page, which redirects.
    """
    require_staff(actor)
    if duplicate_id == into_id:
        raise Invalid("An idea cannot be merged into itself.", code="merge_into_self",
                      field="into")
    with write_transaction():
        locked = {}
        for idea_id in sorted((duplicate_id, into_id)):  # id order: two merges never deadlock
            try:
                locked[idea_id] = _lock_idea(idea_id)
            except NotFound:
                if idea_id != into_id:
                    raise
                raise NotFound("No idea has that number.", code="not_found",
                               field="into") from None
        duplicate, into = locked[duplicate_id], locked[into_id]
        if duplicate.is_merged:
            raise Conflict("That idea is merged already; unmerge it first.",
                           code="already_merged")
        if into.merged_into_id == duplicate.id:
            raise Conflict("The target was merged into this idea; unmerge it first.",
                           code="target_merged", field="into")
        if into.is_merged:
            raise Conflict("The target is itself merged; merge into the idea it went to.",
                           code="target_merged", field="into")
        both = select(Vote.user_id).where(Vote.idea_id == into.id)
        db.session.execute(
            update(Vote)
            .where(Vote.idea_id == duplicate.id, Vote.user_id.not_in(both))
            .values(idea_id=into.id, merged_from_id=func.coalesce(Vote.merged_from_id,
                                                                  duplicate.id))
            .execution_options(synchronize_session=False)
        )
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
        duplicate.merged_into_id = into.id
        duplicate.merged_at = utcnow()
        _tally(duplicate.status, duplicate.area_id, -1)
        db.session.flush()
        _recount([duplicate, into])
        notify(_subscribers(duplicate.id, exclude=actor.id), kind="idea_merged",
               subject=f'"{duplicate.title}" was merged into "{into.title}"'[:200],
               body="Your vote and subscription moved with it.", link=idea_path(into.id))
        signals.idea_merged.send(into, duplicate=duplicate, actor=actor)
    return into


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


def unmerge_idea(actor: User, duplicate_id: int) -> Idea:
    """Undo a merge: exactly the votes it moved go back, the subscribers it added leave."""
    require_staff(actor)
    with write_transaction():
        duplicate = _lock_idea(duplicate_id)
        if not duplicate.is_merged:
            raise Conflict("That idea is not merged.", code="not_merged")
        subtree = _merged_subtree(duplicate.id)
        moved = db.session.execute(
            select(Vote.id, Vote.idea_id).where(
                Vote.merged_from_id.in_(subtree), Vote.idea_id.not_in(subtree)
            )
        ).all()
        touched = sorted({idea_id for _, idea_id in moved} | {duplicate.merged_into_id})
        holders = [_lock_idea(idea_id) for idea_id in touched]
        vote_ids = [vote_id for vote_id, _ in moved]
        for start in range(0, len(vote_ids), 500):
            chunk = vote_ids[start:start + 500]
            db.session.execute(
                update(Vote).where(Vote.id.in_(chunk)).values(idea_id=duplicate.id)
                .execution_options(synchronize_session=False)
            )
        db.session.execute(
            update(Vote).where(Vote.idea_id == duplicate.id,
                               Vote.merged_from_id == duplicate.id)
            .values(merged_from_id=None).execution_options(synchronize_session=False)
        )
        db.session.execute(
            delete(IdeaSubscription).where(IdeaSubscription.merged_from_id == duplicate.id)
        )
        duplicate.merged_into_id = None
        duplicate.merged_at = None
        duplicate.updated_at = utcnow()
        _tally(duplicate.status, duplicate.area_id, 1)
        db.session.flush()
        _recount([duplicate, *holders])
        signals.staff_acted.send(actor, action="idea.unmerge", target_type="idea",
                                 target_id=duplicate.id,
                                 detail=f"unmerged, {len(vote_ids)} votes moved back")
    return duplicate


# --- reading ---------------------------------------------------------------------------


@dataclass
class IdeaPage(Page):
    """A page of ideas, plus which of them the viewer voted for."""

    voted: set[int] = field(default_factory=set)


def _with_people(stmt: Select) -> Select:
    return stmt.options(joinedload(Idea.author), joinedload(Idea.area))


def not_merged(postgresql: bool | None = None):
    """The condition "not merged", written for each planner (``postgresql``: which one;
    by default the one in use).

    SQLite, without statistics, answers ``merged_into_id IS NULL`` from
    ix_ideas_merged_into_id: it matches every row, then sorts them all for one page. Written
    as ``coalesce(...) = 0`` no index answers it, so SQLite reads the sort's own index
    backwards and stops after a page. PostgreSQL knows from its statistics that nearly every
    row is NULL, while it would guess that the coalesce form keeps 0.5% of the rows and
    prefer a bitmap scan and a sort; so there it stays ``IS NULL``.
    """
    if is_postgresql() if postgresql is None else postgresql:
        return Idea.merged_into_id.is_(None)
    return func.coalesce(Idea.merged_into_id, 0) == 0


def voted_ids(viewer: User | None, idea_ids: list[int]) -> set[int]:
    if viewer is None or not idea_ids:
        return set()
    return set(db.session.scalars(
        select(Vote.idea_id).where(Vote.user_id == viewer.id, Vote.idea_id.in_(idea_ids))
    ))


@dataclass(frozen=True)
class _Shape:
    """What decides a page statement's form (its values are bound parameters)."""

    sort: str
    by_status: bool
    by_area: bool
    mine: bool
    voted: bool
    viewer: bool
    postgresql: bool


def _page_statements(shape: _Shape, matched=None) -> tuple[Select, Select]:
    """(the page, its total), with the values left as parameters: ``status``, ``area_id``,
    ``viewer_id``, ``page_size`` and ``skip``.

    The page is one statement: the ideas with their area and author (id and name only: a
    list shows no more of them), the total as a scalar subquery on every row (from the
    tallies unless the list is personal or searched) and, for a viewer, whether they voted
    for each idea. The total alone is for a page with no rows.
    """
    conditions = [not_merged(shape.postgresql)]
    if shape.by_status:
        conditions.append(Idea.status == bindparam("status"))
    if shape.by_area:
        conditions.append(Idea.area_id == bindparam("area_id"))
    if shape.mine:
        conditions.append(Idea.author_id == bindparam("viewer_id"))
    if shape.voted:
        conditions.append(Idea.id.in_(
            select(Vote.idea_id).where(Vote.user_id == bindparam("viewer_id"))))
    if matched is not None or shape.mine or shape.voted:
        ids = select(Idea.id).where(*conditions)
        if matched is not None:
            ids = ids.join(matched, matched.c.idea_id == Idea.id)
        total = select(func.count()).select_from(ids.subquery())
    else:
        total = select(func.coalesce(func.sum(IdeaTally.count), 0))
        if shape.by_status:
            total = total.where(IdeaTally.status == bindparam("status"))
        if shape.by_area:
            total = total.where(IdeaTally.area_key == bindparam("area_id"))

    columns = [Idea, total.scalar_subquery().correlate(None).label("total")]
    if shape.viewer:  # one probe of the votes' unique index per row
        columns.append(select(Vote.id).where(Vote.idea_id == Idea.id,
                                             Vote.user_id == bindparam("viewer_id"))
                       .exists().label("voted"))
    stmt = select(*columns).where(*conditions).options(
        joinedload(Idea.author).load_only(User.id, User.display_name),
        joinedload(Idea.area),
    )
    if matched is not None:
        stmt = stmt.join(matched, matched.c.idea_id == Idea.id)
    order = {"top": Idea.vote_count, "new": Idea.created_at, "trending": Idea.hot_score}
    first = matched.c.score if shape.sort == SEARCH_SORT else order[shape.sort]
    stmt = stmt.order_by(first.desc(), Idea.id.desc())
    return stmt.limit(bindparam("page_size")).offset(bindparam("skip")), total


# Built once per shape (a few dozen at most): building and keying the page statement costs
# more than SQLite takes to run it. A search's statement holds its words, so it is not kept.
_cached_page_statements = cache(_page_statements)


def list_ideas(viewer: User | None = None, sort: str | None = None, status: str | None = None,
               area: str | None = None, q: str | None = None, mine: bool = False,
               voted: bool = False, page: int = 1, per_page: int = 20) -> IdeaPage:
    """One page of the board, in one statement (see ``_page_statements``). The total comes
    from the tallies unless the list is personal or searched, so the first page costs a
    few index reads however large the board is."""
    q = (q or "").strip()[:200]
    sort = sort or (SEARCH_SORT if q else "trending")
    if sort not in SORTS and not (q and sort == SEARCH_SORT):
        raise Invalid(f"Sort by one of {', '.join(SORTS)}.", code="invalid_sort", field="sort")
    if status:
        check_status(status)
    area_row = resolve_area(area) if area else None
    if (mine or voted) and viewer is None:
        raise Invalid("Sign in to see your ideas and votes.", code="sign_in_required")
    if page < 1 or not 1 <= per_page <= MAX_PER_PAGE:
        raise Invalid("Bad paging.", code="invalid_paging")

    shape = _Shape(sort=sort, by_status=bool(status), by_area=area_row is not None,
                   mine=mine, voted=voted, viewer=viewer is not None,
                   postgresql=is_postgresql())
    if q:
        matched = search.matches(q, require_all=True)
        if matched is None:
            return IdeaPage(items=[], page=page, per_page=per_page, total=0)
        stmt, total = _page_statements(shape, matched)
    else:
        stmt, total = _cached_page_statements(shape)
    params = {"status": status, "area_id": area_row.id if area_row else None,
              "viewer_id": viewer.id if viewer is not None else None,
              "page_size": per_page, "skip": (page - 1) * per_page}
    rows = db.session.execute(stmt, params).all()
    count = rows[0].total if rows else db.session.scalar(total, params)
    return IdeaPage(items=[row[0] for row in rows], page=page, per_page=per_page,
                    total=int(count or 0),
                    voted={row[0].id for row in rows if viewer is not None and row.voted})


def similar_ideas(q: str, limit: int = 5) -> list[Idea]:
    """The ideas most like ``q`` (any shared word counts; best first), merged ones left out."""
    limit = max(1, min(int(limit), 20))
    matched = search.matches(q or "", require_all=False)
    if matched is None:
        return []
    stmt = _with_people(
        select(Idea).join(matched, matched.c.idea_id == Idea.id)
        .where(Idea.merged_into_id.is_(None))
        .order_by(matched.c.score.desc(), Idea.vote_count.desc(), Idea.id.desc())
        .limit(limit)
    )
    return list(db.session.scalars(stmt).unique())


def get_idea(idea_id: int) -> Idea:
    """The idea with its author and area loaded; NotFound if there is none."""
    idea = db.session.scalar(_with_people(select(Idea).where(Idea.id == idea_id)))
    if idea is None:
        raise NotFound("No such idea.", code="not_found")
    return idea


def survivor_of(idea: Idea) -> Idea:
    """Where a merged idea went in the end (the idea itself when it is not merged)."""
    return _final_target(idea)


def get_comment(comment_id: int) -> Comment:
    comment = db.session.scalar(select(Comment).options(joinedload(Comment.author))
                                .where(Comment.id == comment_id))
    if comment is None:
        raise NotFound("No such comment.", code="not_found")
    return comment


def _visible_comments(viewer: User | None, idea_id: int) -> Select:
    stmt = (select(Comment).options(joinedload(Comment.author))
            .where(Comment.idea_id == idea_id))
    if viewer is None or not viewer.is_staff:
        stmt = stmt.where(Comment.internal.is_(False), Comment.hidden.is_(False))
    return stmt


def comments_page(viewer: User | None, idea_id: int, page: int = 1,
                  per_page: int = 50) -> Page:
    """The comments the viewer may see, oldest first (staff also see notes and hidden ones)."""
    if db.session.get(Idea, idea_id) is None:
        raise NotFound("No such idea.", code="not_found")
    stmt = _visible_comments(viewer, idea_id).order_by(Comment.created_at, Comment.id)
    total = db.session.scalar(
        select(func.count()).select_from(stmt.with_only_columns(Comment.id).subquery())
    ) or 0
    items = list(db.session.scalars(stmt.limit(per_page).offset((page - 1) * per_page)))
    return Page(items=items, page=page, per_page=per_page, total=total)


@dataclass
class IdeaDetail:
    """Everything the idea's page shows, loaded up front."""

    idea: Idea
    voted: bool
    subscribed: bool
    history: list[StatusChange]
    comments: Page
    duplicates: list[Idea]
    merged_into: Idea | None
    proxy_votes: list[tuple[User, User | None]]  # (customer, staff member who added it)


def idea_detail(viewer: User | None, idea_id: int, comment_page: int = 1) -> IdeaDetail:
    idea = get_idea(idea_id)
    voted = subscribed = False
    if viewer is not None:
        voted = _has_vote(idea.id, viewer.id)
        subscribed = db.session.scalar(select(IdeaSubscription.id).where(
            IdeaSubscription.idea_id == idea.id, IdeaSubscription.user_id == viewer.id,
            IdeaSubscription.active.is_(True))) is not None
    history = list(db.session.scalars(
        select(StatusChange).options(joinedload(StatusChange.actor))
        .where(StatusChange.idea_id == idea.id)
        .order_by(StatusChange.created_at, StatusChange.id)
    ))
    duplicates = list(db.session.scalars(
        select(Idea).where(Idea.merged_into_id == idea.id).order_by(Idea.id)
    ))
    merged_into = _final_target(idea) if idea.is_merged else None
    adder = aliased(User)
    proxy_votes = [tuple(row) for row in db.session.execute(
        select(User, adder).join(Vote, Vote.user_id == User.id)
        .outerjoin(adder, adder.id == Vote.added_by_id)
        .where(Vote.idea_id == idea.id, Vote.on_behalf.is_(True)).order_by(Vote.id)
    )]
    return IdeaDetail(
        idea=idea, voted=voted, subscribed=subscribed, history=history,
        comments=comments_page(viewer, idea.id, comment_page),
        duplicates=duplicates, merged_into=merged_into, proxy_votes=proxy_votes,
    )


@dataclass
class Activity:
    """A customer's part on the board: what they posted, voted on and commented on."""

    posted: list[Idea]
    voted: list[Idea]
    commented: list[Idea]
    survivors: dict[int, Idea]  # merged idea id -> where it went


def activity_for(user: User, limit: int = 100) -> Activity:
    def ideas(condition) -> list[Idea]:
        return list(db.session.scalars(
            _with_people(select(Idea).where(condition))
            .order_by(Idea.updated_at.desc(), Idea.id.desc()).limit(limit)
        ).unique())

    posted = ideas(Idea.author_id == user.id)
    voted = ideas(Idea.id.in_(select(Vote.idea_id).where(Vote.user_id == user.id)))
    commented = ideas(Idea.id.in_(
        select(Comment.idea_id).where(Comment.author_id == user.id, Comment.internal.is_(False))
    ))
    survivors = {}
    for idea in [*posted, *voted, *commented]:
        if idea.is_merged and idea.id not in survivors:
            survivors[idea.id] = _final_target(idea)
    return Activity(posted=posted, voted=voted, commented=commented, survivors=survivors)


EXPORT_COLUMNS = ("id", "title", "status", "area", "author", "votes", "comments",
                  "created_at", "merged_into")


def export_rows(batch: int = 1000) -> Iterator[tuple]:
    """Every idea with its counts, in id order, read in batches (for the CSV export)."""
    last_id = 0
    while True:
        rows = db.session.execute(
            select(Idea.id, Idea.title, Idea.status, Area.name, User.display_name,
                   Idea.vote_count, Idea.comment_count, Idea.created_at, Idea.merged_into_id)
            .outerjoin(Area, Area.id == Idea.area_id)
            .outerjoin(User, User.id == Idea.author_id)
            .where(Idea.id > last_id).order_by(Idea.id).limit(batch)
        ).all()
        if not rows:
            return
        yield from (tuple(row) for row in rows)
        last_id = rows[-1][0]


def rebuild_tallies() -> None:
    """Recount the tallies from the ideas (after bulk loads; the service keeps them exact)."""
    with write_transaction():
        db.session.execute(delete(IdeaTally))
        rows = db.session.execute(
            select(Idea.status, Idea.area_id, func.count())
            .where(Idea.merged_into_id.is_(None))
            .group_by(Idea.status, Idea.area_id)
        ).all()
        for status, area_id, count in rows:
            db.session.add(IdeaTally(status=status, area_key=area_id or 0, count=count))
