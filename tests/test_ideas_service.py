"""The ideas service on each database: submitting, voting, merging, statuses, comments."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import run_in_threads
from tests.factories import idea as submit
from voice.errors import Conflict, Forbidden, Invalid, NotFound
from voice.extensions import db
from voice.ideas import ranking, service
from voice.ideas.models import (
    Comment,
    Idea,
    IdeaSubscription,
    IdeaTally,
    IdeaTerm,
    StatusChange,
    Vote,
)
from voice.ideas.service import counters, submitting
from voice.loop.models import Notification


@pytest.fixture
def areas(app):
    return {area.slug: area.id for area in
            (factories.area("Billing"), factories.area("Mobile app"))}


@pytest.fixture
def ctx(app):
    with app.app_context():
        yield


def vote_rows(idea_id=None) -> set[tuple[int, int]]:
    stmt = select(Vote.idea_id, Vote.user_id)
    if idea_id is not None:
        stmt = stmt.where(Vote.idea_id == idea_id)
    return {tuple(row) for row in db.session.execute(stmt)}


def count_of(idea_id) -> int:
    db.session.expire_all()
    return db.session.get(Idea, idea_id).vote_count


def notices(user) -> list[Notification]:
    return list(db.session.scalars(
        select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)))


# --- submitting ------------------------------------------------------------------------


def test_submit_normalises_the_title_and_indexes_the_idea(ctx, customer, areas):
    idea_id = submit(customer, "  Export   invoices\n to  PDF ", "Monthly, please.", "billing")
    idea = db.session.get(Idea, idea_id)
    assert idea.title == "Export invoices to PDF"
    assert idea.status == "open" and idea.vote_count == 0 and idea.area_id == areas["billing"]
    terms = set(db.session.scalars(select(IdeaTerm.term).where(IdeaTerm.idea_id == idea_id)))
    assert terms == {"export", "invoic", "pdf", "month"}
    subscribed = db.session.scalar(select(IdeaSubscription.user_id)
                                   .where(IdeaSubscription.idea_id == idea_id))
    assert subscribed == customer.id
    tally = db.session.scalar(select(IdeaTally.count).where(
        IdeaTally.status == "open", IdeaTally.area_key == areas["billing"]))
    assert tally == 1


@pytest.mark.parametrize(
    ("title", "description", "area", "code", "field"),
    [
        ("abcd", "", None, "invalid_title", "title"),
        ("    a    b    ", "", None, "invalid_title", "title"),
        ("x" * 121, "", None, "invalid_title", "title"),
        ("Long enough", "y" * 10_001, None, "invalid_description", "description"),
        ("Long enough", "", "no-such-area", "unknown_area", "area"),
    ],
)
def test_submit_refuses_bad_input_and_writes_nothing(ctx, customer, areas, title, description,
                                                     area, code, field):
    with pytest.raises(Invalid) as error:
        service.submit_idea(customer, title, description, area)
    assert (error.value.code, error.value.field) == (code, field)
    assert db.session.scalar(select(func.count(Idea.id))) == 0
    assert db.session.scalar(select(func.count(IdeaTerm.term))) == 0


def test_title_of_exactly_the_limits_is_accepted(ctx, customer):
    assert db.session.get(Idea, submit(customer, "abcde")).title == "abcde"
    assert len(db.session.get(Idea, submit(customer, "t" * 120)).title) == 120


# --- voting ----------------------------------------------------------------------------


def test_vote_is_one_per_customer_and_idempotent(ctx, make_user):
    author, voter = make_user(), make_user()
    idea_id = submit(author)
    assert service.cast_vote(voter, idea_id) == (1, True)
    assert service.cast_vote(voter, idea_id) == (1, True)
    assert service.cast_vote(author, idea_id) == (2, True)
    assert service.remove_vote(voter, idea_id) == (1, False)
    assert service.remove_vote(voter, idea_id) == (1, False)
    assert vote_rows(idea_id) == {(idea_id, author.id)}
    assert count_of(idea_id) == 1


def test_voting_subscribes_the_voter(ctx, make_user):
    author, voter = make_user(), make_user()
    idea_id = submit(author)
    service.cast_vote(voter, idea_id)
    users = set(db.session.scalars(select(IdeaSubscription.user_id)
                                   .where(IdeaSubscription.idea_id == idea_id)))
    assert users == {author.id, voter.id}


def test_voting_or_commenting_never_resubscribes_someone_who_unsubscribed(ctx, make_user):
    author, voter = make_user(), make_user()
    idea_id = submit(author)
    service.set_subscribed(voter, idea_id, False)
    service.cast_vote(voter, idea_id)
    service.remove_vote(voter, idea_id)
    service.cast_vote(voter, idea_id)
    service.add_comment(voter, idea_id, "Still want this, quietly")
    rows = db.session.execute(select(IdeaSubscription.user_id, IdeaSubscription.active)
                              .where(IdeaSubscription.idea_id == idea_id)).all()
    assert sorted(rows) == sorted([(author.id, True), (voter.id, False)])
    assert count_of(idea_id) == 1


def test_a_second_vote_adds_no_subscription_row(ctx, make_user):
    author, voter = make_user(), make_user()
    idea_id = submit(author)
    for _ in range(2):
        service.cast_vote(voter, idea_id)
        service.remove_vote(voter, idea_id)
    service.cast_vote(voter, idea_id)
    assert db.session.scalar(select(func.count(IdeaSubscription.id)).where(
        IdeaSubscription.idea_id == idea_id, IdeaSubscription.user_id == voter.id)) == 1


def hot_of(idea_id) -> tuple[float, float]:
    """(stored hot_score, the score ranking gives for the stored counts)."""
    db.session.expire_all()
    idea = db.session.get(Idea, idea_id)
    return idea.hot_score, ranking.hot_score(idea.vote_count, idea.comment_count,
                                             idea.created_at)


def test_hot_score_follows_every_vote_and_comment(ctx, make_user, staff):
    author, voters = make_user(), [make_user() for _ in range(3)]
    idea_id = submit(author)
    steps = [lambda: service.cast_vote(voters[0], idea_id),
             lambda: service.cast_vote(voters[1], idea_id),
             lambda: service.cast_vote(voters[1], idea_id),  # no change
             lambda: service.remove_vote(voters[0], idea_id),
             lambda: service.add_comment(voters[2], idea_id, "Yes please"),
             lambda: service.add_vote_for(staff, idea_id, voters[2].email)]
    seen = set()
    for step in steps:
        step()
        stored, expected = hot_of(idea_id)
        assert stored == expected
        seen.add(stored)
    assert len(seen) == 4  # the repeated vote changed nothing; the others each did


def test_bump_sets_the_score_from_the_counts_it_finds(ctx, make_user):
    """Should the locked idea's counts in memory ever be stale, the score is still the one
    of the counts the UPDATE returned."""
    from sqlalchemy import update

    from voice.database import write_transaction

    idea_id = submit(make_user())
    with write_transaction():
        idea = counters.lock_idea(idea_id)
        db.session.execute(update(Idea).where(Idea.id == idea_id).values(vote_count=5)
                           .execution_options(synchronize_session=False))
        assert counters.bump(idea, votes=1) == 6
        assert idea.vote_count == 6
    stored, expected = hot_of(idea_id)
    assert stored == expected == ranking.hot_score(6, 0, db.session.get(Idea, idea_id).created_at)


def test_idea_voted_is_sent_once_per_new_vote(ctx, make_user, staff):
    from voice import signals

    author, voter, buyer = make_user(), make_user(), make_user()
    idea_id = submit(author)
    sent = []

    def listener(idea, **kwargs):
        sent.append((idea.id, kwargs["user"].id, kwargs["vote_count"]))

    with signals.idea_voted.connected_to(listener):
        service.cast_vote(voter, idea_id)
        service.cast_vote(voter, idea_id)
        service.remove_vote(voter, idea_id)
        service.cast_vote(author, idea_id)
        service.add_vote_for(staff, idea_id, buyer.email)
        with pytest.raises(Conflict):
            service.add_vote_for(staff, idea_id, author.email)
    assert sent == [(idea_id, voter.id, 1), (idea_id, author.id, 1), (idea_id, buyer.id, 2)]


@pytest.mark.parametrize("status", ["done", "declined"])
def test_voting_is_closed_on_done_and_declined_ideas(ctx, make_user, staff, status):
    author = make_user()
    idea_id = submit(author)
    service.cast_vote(author, idea_id)
    service.change_status(staff, idea_id, status, "")
    with pytest.raises(Conflict) as error:
        service.cast_vote(make_user(), idea_id)
    assert error.value.code == "voting_closed"
    with pytest.raises(Conflict):
        service.remove_vote(author, idea_id)
    assert count_of(idea_id) == 1


def test_voting_on_a_missing_idea_is_not_found(ctx, customer):
    with pytest.raises(NotFound):
        service.cast_vote(customer, 999)
    with pytest.raises(NotFound):
        service.remove_vote(customer, 999)


def test_concurrent_votes_keep_the_count_exact(app, make_user):
    voters = [make_user() for _ in range(16)]
    with app.app_context():
        idea_id = submit(voters[0])

    results = run_in_threads(app, lambda i: service.cast_vote(voters[i], idea_id), 16)
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(count for count, _ in results) == list(range(1, 17))
    with app.app_context():
        assert count_of(idea_id) == 16 == len(vote_rows(idea_id))


def test_concurrent_toggles_keep_the_count_equal_to_the_rows(app, make_user):
    voters = [make_user() for _ in range(4)]
    with app.app_context():
        idea_id = submit(voters[0])

    def toggle(i):
        voter = voters[i % 4]
        for round_ in range(5):
            if (i + round_) % 2:
                service.cast_vote(voter, idea_id)
            else:
                service.remove_vote(voter, idea_id)
        return True

    results = run_in_threads(app, toggle, 16)
    assert results == [True] * 16, results
    with app.app_context():
        # Threads race on the same voters, so which votes remain is up to the scheduler;
        # the counter must agree with the rows whatever it is.
        assert count_of(idea_id) == len(vote_rows(idea_id))
        assert {user for _, user in vote_rows(idea_id)} <= {v.id for v in voters}


def test_staff_vote_on_behalf_is_marked(ctx, make_user, staff):
    author, buyer = make_user(), make_user(email="buyer@example.com")
    idea_id = submit(author)
    count, voter = service.add_vote_for(staff, idea_id, "BUYER@example.com")
    assert (count, voter.id) == (1, buyer.id)
    vote = db.session.scalar(select(Vote).where(Vote.idea_id == idea_id))
    assert (vote.user_id, vote.on_behalf, vote.added_by_id) == (buyer.id, True, staff.id)
    with pytest.raises(Conflict):
        service.add_vote_for(staff, idea_id, "buyer@example.com")
    with pytest.raises(Invalid):
        service.add_vote_for(staff, idea_id, "nobody@example.com")
    with pytest.raises(Forbidden):
        service.add_vote_for(author, idea_id, "buyer@example.com")
    detail = service.idea_detail(None, idea_id)
    assert [(c.id, s.id) for c, s in detail.proxy_votes] == [(buyer.id, staff.id)]


# --- merging ---------------------------------------------------------------------------


def test_merge_moves_votes_once_and_unmerge_restores_them_exactly(ctx, make_user, staff):
    u1, u2, u3, u4, u5 = (make_user() for _ in range(5))
    dup, keep = submit(u1, "Dark mode for the app"), submit(u4, "Night theme please")
    for user in (u1, u2, u3):
        service.cast_vote(user, dup)
    for user in (u3, u4, u5):
        service.cast_vote(user, keep)
    before = vote_rows()

    survivor = service.merge_ideas(staff, dup, keep)
    assert survivor.id == keep
    # u1, u2 moved; u3 voted for both and counts once; u4, u5 were there already.
    assert {user for _, user in vote_rows(keep)} == {u1.id, u2.id, u3.id, u4.id, u5.id}
    assert count_of(keep) == 5
    assert count_of(dup) == 1  # u3's vote stays behind on the (closed) duplicate
    assert db.session.get(Idea, dup).merged_into_id == keep
    with pytest.raises(Conflict):
        service.cast_vote(make_user(), dup)

    # A moved voter takes the vote back before the unmerge: it is not restored.
    service.remove_vote(u2, keep)
    service.unmerge_idea(staff, dup)
    assert vote_rows() == before - {(dup, u2.id)}
    assert count_of(dup) == 2 and count_of(keep) == 3
    assert db.session.get(Idea, dup).merged_into_id is None
    moved = select(func.count(Vote.id)).where(Vote.merged_from_id.is_not(None))
    assert db.session.scalar(moved) == 0


def test_unmerge_restores_votes_through_a_chain_of_merges(ctx, make_user, staff):
    users = [make_user() for _ in range(6)]
    a, b, c = (submit(users[0], title) for title in ("Idea alpha one", "Idea beta two",
                                                     "Idea gamma three"))
    for user in users[:3]:
        service.cast_vote(user, a)
    for user in users[2:4]:
        service.cast_vote(user, b)
    for user in users[3:6]:
        service.cast_vote(user, c)
    before = vote_rows()
    service.merge_ideas(staff, a, b)
    service.merge_ideas(staff, b, c)
    assert count_of(c) == 6
    assert service.survivor_of(db.session.get(Idea, a)).id == c
    service.unmerge_idea(staff, a)  # while b is still merged into c
    assert {u for _, u in vote_rows(a)} == {users[0].id, users[1].id, users[2].id}
    service.unmerge_idea(staff, b)
    assert vote_rows() == before
    assert [count_of(i) for i in (a, b, c)] == [3, 2, 3]


def test_merge_refusals(ctx, make_user, staff):
    author = make_user()
    a, b, c = (submit(author, title) for title in ("First idea", "Second idea", "Third one"))
    with pytest.raises(Invalid) as error:
        service.merge_ideas(staff, a, a)
    assert error.value.code == "merge_into_self"
    service.merge_ideas(staff, a, b)
    with pytest.raises(Conflict) as error:
        service.merge_ideas(staff, b, a)  # into its own duplicate
    assert error.value.code == "target_merged"
    with pytest.raises(Conflict) as error:
        service.merge_ideas(staff, c, a)  # into a merged idea
    assert error.value.code == "target_merged"
    with pytest.raises(Conflict) as error:
        service.merge_ideas(staff, a, c)
    assert error.value.code == "already_merged"
    with pytest.raises(Forbidden):
        service.merge_ideas(author, c, b)
    with pytest.raises(NotFound):
        service.merge_ideas(staff, c, 999)
    with pytest.raises(Conflict) as error:
        service.unmerge_idea(staff, c)
    assert error.value.code == "not_merged"


def test_subscribers_follow_a_merge_and_leave_on_unmerge(ctx, make_user, staff):
    author, follower, quitter = make_user(), make_user(), make_user()
    dup, keep = submit(author, "Dark mode please"), submit(make_user(), "Night theme")
    service.cast_vote(follower, dup)
    service.cast_vote(quitter, dup)
    service.set_subscribed(quitter, dup, False)
    service.merge_ideas(staff, dup, keep)
    followers = set(db.session.scalars(select(IdeaSubscription.user_id).where(
        IdeaSubscription.idea_id == keep, IdeaSubscription.active.is_(True))))
    assert {author.id, follower.id} <= followers and quitter.id not in followers
    assert [n.kind for n in notices(follower)] == ["idea_merged"]
    assert notices(follower)[0].link == f"/ideas/{keep}"
    service.change_status(staff, keep, "planned", "On the roadmap for June.")
    assert [n.kind for n in notices(follower)] == ["idea_merged", "idea_status"]
    assert notices(quitter) == []
    service.unmerge_idea(staff, dup)
    followers = set(db.session.scalars(select(IdeaSubscription.user_id).where(
        IdeaSubscription.idea_id == keep)))
    assert author.id not in followers and follower.id not in followers


def test_a_merge_tells_only_those_whose_vote_moved_that_it_moved(ctx, make_user, staff):
    author, mover, both, follower = (make_user() for _ in range(4))
    duplicate = submit(author, "Invoices as PDF files")
    survivor = submit(make_user(), "Export invoices to PDF")
    service.cast_vote(mover, duplicate)
    service.cast_vote(both, duplicate)
    service.cast_vote(both, survivor)
    service.set_subscribed(follower, duplicate, True)
    service.merge_ideas(staff, duplicate, survivor)
    bodies = {person.id: [n.body for n in notices(person) if n.kind == "idea_merged"]
              for person in (author, mover, both, follower)}
    assert bodies[mover.id] == ["Your vote moved with it, and you follow it now."]
    # the author never voted; the double voter's vote on the survivor was there already
    for person in (author, both, follower):
        assert bodies[person.id] == ["You follow it now."], person


def test_tallies_follow_status_area_and_merges(ctx, make_user, staff, areas):
    author = make_user()
    a = submit(author, "First idea", area="billing")
    b = submit(author, "Second idea")
    service.change_status(staff, a, "planned", "")
    service.set_idea_area(staff, b, "billing")
    service.merge_ideas(staff, b, a)

    def total(**filters):
        return service.list_ideas(None, **filters).total

    assert total() == 1 and total(status="planned") == 1 and total(status="open") == 0
    assert total(area="billing") == 1 and total(area="mobile-app") == 0
    service.unmerge_idea(staff, b)
    assert total() == 2 and total(status="open", area="billing") == 1


# --- status and notifications ---------------------------------------------------------


def test_status_change_tells_every_subscriber_once(ctx, make_user, staff):
    author, voter, commenter, bystander = (make_user() for _ in range(4))
    idea_id = submit(author)
    service.cast_vote(voter, idea_id)
    service.add_comment(commenter, idea_id, "Me too")
    service.cast_vote(commenter, idea_id)
    service.change_status(staff, idea_id, "in_progress", "We started **this week**.")
    for user in (author, voter, commenter):
        [notice] = [n for n in notices(user) if n.kind == "idea_status"]
        assert notice.subject == '"Export invoices to PDF" is now in progress'
        assert notice.body == "We started this week."
        assert notice.link == f"/ideas/{idea_id}"
    assert notices(bystander) == [] and notices(staff) == []
    # The comment told the author (a subscriber), not the commenter.
    assert [n.kind for n in notices(author)] == ["idea_comment", "idea_status"]
    assert [n.kind for n in notices(commenter)] == ["idea_status"]
    change = db.session.scalar(select(StatusChange))
    assert (change.from_status, change.to_status, change.actor_id) == ("open", "in_progress",
                                                                      staff.id)


def test_status_change_refusals(ctx, make_user, staff):
    author = make_user()
    idea_id = submit(author)
    with pytest.raises(Invalid) as error:
        service.change_status(staff, idea_id, "shipped", "")
    assert error.value.code == "unknown_status"
    with pytest.raises(Invalid) as error:
        service.change_status(staff, idea_id, "open", "")
    assert error.value.code == "same_status"
    with pytest.raises(Forbidden):
        service.change_status(author, idea_id, "planned", "")
    with pytest.raises(Invalid):
        service.change_status(staff, idea_id, "planned", "n" * 2001)
    assert db.session.scalar(select(func.count(StatusChange.id))) == 0
    assert db.session.scalar(select(func.count(Notification.id))) == 0


# --- comments --------------------------------------------------------------------------


def test_internal_notes_and_hidden_comments(ctx, make_user, staff):
    author, other = make_user(), make_user()
    idea_id = submit(author)
    public = service.add_comment(other, idea_id, "Yes please")
    official = service.add_comment(staff, idea_id, "We are looking at it")
    note = service.add_comment(staff, idea_id, "Big customer asked too", internal=True)
    assert (official.official, note.official, note.internal) == (True, False, True)
    with pytest.raises(Forbidden):
        service.add_comment(author, idea_id, "sneaky", internal=True)
    with pytest.raises(Invalid):
        service.add_comment(author, idea_id, "   ")
    assert db.session.get(Idea, idea_id).comment_count == 2

    def seen(viewer):
        return [c.id for c in service.comments_page(viewer, idea_id).items]

    assert seen(author) == [public.id, official.id]
    assert seen(None) == [public.id, official.id]
    assert seen(staff) == [public.id, official.id, note.id]
    service.set_comment_hidden(staff, public.id, True)
    assert seen(author) == [official.id] and seen(staff) == [public.id, official.id, note.id]
    db.session.expire_all()
    assert db.session.get(Idea, idea_id).comment_count == 1
    service.set_comment_hidden(staff, public.id, False)
    db.session.expire_all()
    assert db.session.get(Idea, idea_id).comment_count == 2
    with pytest.raises(Forbidden):
        service.set_comment_hidden(author, official.id, True)
    assert db.session.get(Comment, note.id).body == "Big customer asked too"


# --- finding ---------------------------------------------------------------------------


def test_trending_order_on_a_fixed_clock(ctx, make_user, staff, monkeypatch):
    start = datetime(2026, 3, 1, 12, 0, 0)
    clock = {"now": start}
    monkeypatch.setattr(submitting, "utcnow", lambda: clock["now"])
    author = make_user()
    voters = [make_user() for _ in range(12)]
    clock["now"] = start - timedelta(days=40)
    forgotten = submit(author, "Old and forgotten")
    clock["now"] = start
    old_popular = submit(author, "Old and popular")
    clock["now"] = start + timedelta(days=3)
    young_quiet = submit(author, "Young and quiet")
    clock["now"] = start + timedelta(days=3, hours=1)
    young_some = submit(author, "Young with a few")
    shipped = submit(author, "Shipped already")
    for voter in voters[:9]:
        service.cast_vote(voter, old_popular)
    for voter in voters[:2]:
        service.cast_vote(voter, young_some)
    for voter in voters[:5]:
        service.cast_vote(voter, shipped)
    service.change_status(staff, shipped, "done", "Shipped in 4.2")
    now = start + timedelta(days=3, hours=2)

    def trending(**filters):
        return [i.id for i in service.list_ideas(None, sort="trending", now=now,
                                                 **filters).items]

    # Gravity (1 + votes + comments / 2) / (hours + 2)^1.4 at 3 days 2 hours:
    # young_some 3 / 3^1.4 = 0.644; young_quiet 1 / 4^1.4 = 0.144; old_popular
    # 10 / 76^1.4 = 10 / 429.6 = 0.023. The idea of 40 days ago has left the window
    # (log10(1) - 43 days / 3 days < -10); the shipped one is done.
    assert trending() == [young_some, young_quiet, old_popular]
    assert service.list_ideas(None, sort="trending", now=now).total == 3
    # A comment counts half a vote; two more votes: 12.5 / 429.6 = 0.029, still third.
    service.add_comment(voters[11], old_popular, "Comments count half")
    for voter in voters[9:11]:
        service.cast_vote(voter, old_popular)
    assert trending() == [young_some, young_quiet, old_popular]
    # Three days later, nobody voting: old_popular 12.5 / 148^1.4 = 12.5 / 1092 = 0.0114,
    # young_some 3 / 75^1.4 = 3 / 421.7 = 0.0071, young_quiet 1 / 76^1.4 = 0.0023.
    now += timedelta(days=3)
    assert trending() == [old_popular, young_some, young_quiet]
    # done and declined stay under their own filter, Top and New
    assert trending(status="done") == [shipped]
    assert [i.id for i in service.list_ideas(None, sort="top").items] == [
        old_popular, shipped, young_some, young_quiet, forgotten]
    assert [i.id for i in service.list_ideas(None, sort="new").items] == [
        shipped, young_some, young_quiet, old_popular, forgotten]


def test_trending_on_the_board_is_the_pure_order(ctx, make_user, monkeypatch):
    """The SQL gravity orders as ranking.trending_order on the same clock."""
    start = datetime(2026, 5, 1, 8, 0, 0)
    clock = {"now": start}
    monkeypatch.setattr(submitting, "utcnow", lambda: clock["now"])
    author, voters = make_user(), [make_user() for _ in range(6)]
    made = []
    for number, (hours, votes) in enumerate([(0, 0), (5, 6), (30, 1), (50, 4), (51, 0),
                                              (200, 2), (700, 0), (760, 3)]):
        clock["now"] = start - timedelta(hours=hours)
        idea_id = submit(author, f"Idea number {number} here")
        for voter in voters[:votes]:
            service.cast_vote(voter, idea_id)
        made.append((idea_id, votes, 0, clock["now"]))
    for later in (timedelta(0), timedelta(days=2), timedelta(days=9)):
        board = [i.id for i in service.list_ideas(None, sort="trending", now=start + later,
                                                  per_page=50).items]
        assert board == ranking.trending_order(made, start + later)


def test_similar_ideas_find_a_reworded_duplicate(ctx, make_user):
    author = make_user()
    target = submit(author, "Export invoices as PDF files",
                    "Our accountant needs every invoice as a PDF.")
    submit(author, "Dark mode in the mobile app", "The app is too bright at night.")
    submit(author, "Slack notifications for new invoices", "Post to a channel.")
    found = service.similar_ideas("Could I download my invoice in pdf format?")
    assert found[0].id == target
    # Stop words alone find nothing; a prefix finds the word being typed.
    assert service.similar_ideas("the and of would like") == []
    assert service.similar_ideas("dar")[0].title == "Dark mode in the mobile app"


def test_search_needs_every_word_and_matches_the_last_by_prefix(ctx, make_user):
    author = make_user()
    pdf = submit(author, "Export invoices as PDF files")
    slack = submit(author, "Slack notifications for new invoices")
    submit(author, "Dark mode in the mobile app")

    def found(q):
        return [i.id for i in service.list_ideas(None, q=q).items]

    assert set(found("invoices")) == {pdf, slack}
    assert found("invoices pdf") == [pdf]
    assert found("invoice notif") == [slack]
    assert found("exporting invoice") == [pdf]
    assert found("invoices zebra") == []
    assert service.list_ideas(None, q="invoices").total == 2


def test_list_filters_mine_and_voted(ctx, make_user, areas):
    me, other = make_user(), make_user()
    mine = submit(me, "My own idea here", area="billing")
    theirs = submit(other, "Their idea here")
    service.cast_vote(me, theirs)
    assert [i.id for i in service.list_ideas(me, mine=True).items] == [mine]
    listing = service.list_ideas(me, voted=True)
    assert [i.id for i in listing.items] == [theirs] and listing.voted == {theirs}
    assert listing.total == 1
    assert [i.id for i in service.list_ideas(me, area="billing").items] == [mine]
    with pytest.raises(Invalid):
        service.list_ideas(None, mine=True)
    for bad in ({"sort": "best"}, {"status": "nope"}, {"area": "nope"}):
        with pytest.raises(Invalid):
            service.list_ideas(me, **bad)


def test_list_totals_and_votes_on_every_page_and_past_the_last(ctx, make_user):
    me, other = make_user(), make_user()
    ids = [submit(other if n % 2 else me, f"Export invoices number {n}") for n in range(5)]
    service.cast_vote(me, ids[1])
    service.cast_vote(me, ids[4])
    service.cast_vote(other, ids[0])
    cases = [({}, 5), ({"q": "invoices"}, 5), ({"mine": True}, 3), ({"voted": True}, 2),
             ({"status": "open"}, 5), ({"status": "planned"}, 0)]
    for filters, total in cases:
        seen = []
        for page in (1, 2, 3, 4):
            listing = service.list_ideas(me, page=page, per_page=2, **filters)
            assert listing.total == total, (filters, page)
            assert listing.voted == {i.id for i in listing.items} & {ids[1], ids[4]}
            seen += [i.id for i in listing.items]
        assert len(seen) == len(set(seen)) == total
    assert service.list_ideas(other).voted == {ids[0]}
    assert service.list_ideas(None).voted == set()
    authors = {i.id: i.author.display_name for i in service.list_ideas(None).items}
    assert authors[ids[0]] == me.display_name and authors[ids[1]] == other.display_name


def test_activity_lists_posted_voted_and_commented(ctx, make_user, staff):
    me, other = make_user(), make_user()
    posted = submit(me, "My own idea here")
    voted = submit(other, "Their idea here")
    commented = submit(other, "Another idea of theirs")
    service.cast_vote(me, voted)
    service.add_comment(me, commented, "Good one")
    service.change_status(staff, voted, "planned", "")
    activity = service.activity_for(me)
    assert [i.id for i in activity.posted] == [posted]
    assert [(i.id, i.status) for i in activity.voted] == [(voted, "planned")]
    assert [i.id for i in activity.commented] == [commented]


def test_editing_reindexes_and_is_for_the_author_while_open_or_staff(ctx, make_user, staff):
    author, other = make_user(), make_user()
    idea_id = submit(author, "Export invoices to PDF")
    service.edit_idea(author, idea_id, "Export receipts to Excel", "For our auditors")
    assert [i.id for i in service.list_ideas(None, q="receipts excel").items] == [idea_id]
    assert service.list_ideas(None, q="invoices").items == []
    with pytest.raises(Forbidden):
        service.edit_idea(other, idea_id, "Taken over title", "")
    service.change_status(staff, idea_id, "planned", "")
    with pytest.raises(Forbidden):
        service.edit_idea(author, idea_id, "Changed after planning", "")
    assert service.edit_idea(staff, idea_id, "Export receipts to Excel files", "").title == (
        "Export receipts to Excel files")


def test_rebuild_tallies_matches_what_the_service_kept(ctx, make_user, staff, areas):
    author = make_user()
    ids = [submit(author, f"Idea number {i}", area="billing" if i % 2 else None)
           for i in range(5)]
    service.change_status(staff, ids[0], "planned", "")
    service.merge_ideas(staff, ids[1], ids[2])

    def tallies():
        return {(t.status, t.area_key): t.count for t in db.session.scalars(select(IdeaTally))
                if t.count}

    kept = tallies()
    assert kept == {("planned", 0): 1, ("open", 0): 2, ("open", areas["billing"]): 1}
    service.rebuild_tallies()
    assert tallies() == kept


def test_a_proxy_vote_is_for_customers_only(app, staff, admin, customer):
    """Issue 13: staff could cast a proxy vote for an admin (or another staff) account."""
    idea_id = factories.idea(customer, "Proxy votes speak for customers")
    with app.app_context():
        for someone in (admin, staff):
            with pytest.raises(Invalid) as refused:
                service.add_vote_for(staff, idea_id, someone.email)
            assert refused.value.code == "not_a_customer"
        assert db.session.get(Idea, idea_id).vote_count == 0
        count, voter = service.add_vote_for(staff, idea_id, customer.email)
        assert (count, voter.id) == (1, customer.id)
