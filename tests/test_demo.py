"""The demo company tells one coherent story (issue 13: "the demo contradicts itself").

Markets are linked to the idea their question is about and end when that idea does;
updates list the ideas they announce; each idea has a discussion of its own; and the
ideas were submitted over weeks, so trending is not top.
"""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from voice.admin.models import Update, UpdateIdea
from voice.clock import utcnow
from voice.extensions import db
from voice.ideas import service as ideas
from voice.ideas.models import CLOSED_STATUSES, Comment, Idea, StatusChange, Vote
from voice.markets.models import Market

#: Words too common to say what a question or a title is about.
FILLER = {"will", "with", "what", "which", "when", "that", "this", "from", "into", "have",
          "ship", "shipped", "ships", "more", "than", "before", "after", "within", "their",
          "there", "your", "ours", "reach", "least", "every", "each", "next", "weeks", "the",
          "for", "are", "you", "and", "our", "all", "can", "now", "one", "once", "live"}


def subject_words(text: str) -> set[str]:
    """The words of three letters or more that say what ``text`` is about (plural or not)."""
    words = {word.lower().rstrip("s") for word in re.findall(r"[\w-]+", text)}
    return {word for word in words if len(word) >= 3 and word not in FILLER}


@pytest.fixture
def demo(app):
    result = app.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code == 0, result.output
    with app.app_context():
        yield


def live_ideas() -> list[Idea]:
    return list(db.session.scalars(select(Idea).where(Idea.merged_into_id.is_(None))))


def test_markets_and_updates_are_about_their_ideas_and_no_done_idea_has_an_open_market(demo):
    markets = db.session.scalars(select(Market).where(Market.idea_id.is_not(None))).all()
    assert len(markets) >= 3
    for market in markets:
        idea = db.session.get(Idea, market.idea_id)
        shared = subject_words(market.question) & subject_words(idea.title)
        assert shared, (market.question, idea.title)
        if idea.status == "done":
            assert market.status != "open", (market.question, idea.title)
        if market.status == "resolved":
            assert idea.status == "done", (market.question, idea.title)

    # Each update lists the ideas it announces, and they shipped.
    updates = db.session.scalars(select(Update)).all()
    assert updates
    for update in updates:
        linked = db.session.scalars(select(Idea).join(UpdateIdea, UpdateIdea.idea_id == Idea.id)
                                    .where(UpdateIdea.update_id == update.id)).all()
        assert linked
        for idea in linked:
            assert subject_words(update.title) & subject_words(idea.title), (
                update.title, idea.title)
            assert idea.status == "done"


def test_each_idea_has_a_discussion_of_its_own_and_trending_is_not_top(demo):
    discussions: dict[int, frozenset[str]] = {}
    for comment in db.session.scalars(select(Comment).where(Comment.internal.is_(False))):
        discussions[comment.idea_id] = discussions.get(comment.idea_id, frozenset()) | {
            comment.body}
    ideas_with_comments = [idea for idea in live_ideas() if idea.id in discussions]
    assert len(ideas_with_comments) >= len(live_ideas()) * 2 // 3
    assert len(set(discussions.values())) == len(discussions)  # no two share all comments
    seen: dict[str, int] = {}
    for idea_id, bodies in discussions.items():
        for body in bodies:
            assert seen.setdefault(body, idea_id) == idea_id, f"{body!r} is on two ideas"

    top = [idea.id for idea in ideas.list_ideas(sort="top", per_page=20).items]
    trending = [idea.id for idea in ideas.list_ideas(sort="trending", per_page=20).items]
    assert trending[:10] != top[:10]


def test_the_ideas_were_submitted_over_weeks_and_discussed_after(demo):
    created = sorted(idea.created_at for idea in live_ideas())
    assert created[-1] - created[0] >= timedelta(weeks=4)
    for comment in db.session.scalars(select(Comment)):
        assert comment.created_at >= db.session.get(Idea, comment.idea_id).created_at
    for change in db.session.scalars(select(StatusChange)):
        assert change.created_at >= db.session.get(Idea, change.idea_id).created_at
    # Trending leads with younger ideas than top does.
    def mean_age(items):
        return sum((created[-1] - idea.created_at).total_seconds() for idea in items) / len(items)

    assert mean_age(ideas.list_ideas(sort="trending", per_page=5).items) < mean_age(
        ideas.list_ideas(sort="top", per_page=5).items)


def test_votes_carry_their_times_spread_over_the_demos_weeks(demo):
    """Issue 13: the demo's votes were stamped when it was loaded. Each vote now carries
    the moment of the story it belongs to: after its idea was submitted, before voting on
    it closed, spread over the weeks the demo spans."""
    loaded = utcnow()
    votes = db.session.scalars(select(Vote)).all()
    assert len(votes) >= 50
    times = sorted(vote.created_at for vote in votes)
    assert times[-1] - times[0] >= timedelta(weeks=6)
    assert len({moment.isocalendar()[:2] for moment in times}) >= 6  # in six weeks or more
    assert times[len(times) // 2] < loaded - timedelta(days=7)  # most are not recent
    assert sum(loaded - moment < timedelta(hours=1) for moment in times) <= 2
    for vote in votes:
        idea = db.session.get(Idea, vote.idea_id)
        first = db.session.get(Idea, vote.merged_from_id) if vote.merged_from_id else idea
        assert vote.created_at >= first.created_at, (idea.title, vote.created_at)
        closed = db.session.scalars(
            select(StatusChange.created_at).where(StatusChange.idea_id == idea.id,
                                                  StatusChange.to_status.in_(CLOSED_STATUSES))
        ).first()
        if closed is not None:
            assert vote.created_at <= closed, (idea.title, vote.created_at, closed)


def test_the_home_pages_trending_ideas_are_not_the_top_ones(app, demo):
    page = app.test_client().get("/").get_data(as_text=True)
    section = page.split('id="home-ideas"', 1)[1].split("</section>", 1)[0]
    shown = [int(number) for number in re.findall(r'href="/ideas/(\d+)"', section)]
    assert len(shown) == 5
    top = [idea.id for idea in ideas.list_ideas(sort="top", per_page=5).items]
    assert shown != top
    assert shown == [idea.id for idea in ideas.list_ideas(sort="trending", per_page=5).items]
