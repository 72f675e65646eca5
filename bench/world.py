"""The data every load scenario runs on, seeded in-process before the servers start.

- customers with API tokens, made by the account service (so each gets the markets'
  starting grant and ledger row through the ``user_registered`` signal); their
  password hash is a one-round PBKDF2 instead of scrypt while seeding, so 200 users
  take a second instead of half a minute (login is not what is measured);
- ideas in bulk (``bench.ideas_list.seed_ideas``: the rows the service writes, with
  vote counts equal to their vote rows and hot scores from ranking.py);
- one open anonymous survey (NPS, CSAT, one choice) made by the survey service;
- one hot market and 100 spread markets made by the market service.

``invariants(url)`` checks, from the database, what every write scenario must keep.
"""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import dataclass, field
from unittest import mock

from bench.harness import SECRET

PASSWORD = "bench-password-1"
SURVEY_QUESTIONS = [
    {"kind": "nps", "prompt": "How likely are you to recommend us?"},
    {"kind": "csat", "prompt": "How satisfied are you?"},
    {"kind": "single_choice", "prompt": "Which part do you use most?",
     "choices": ["Web app", "Mobile app", "Integrations", "Billing"]},
]
SPREAD_MARKETS = 100


@dataclass
class World:
    tokens: list[str] = field(default_factory=list)
    vote_ideas: list[int] = field(default_factory=list)  # open ideas near the top of trending
    survey_id: int = 0
    question_ids: list[int] = field(default_factory=list)
    hot_market: tuple[int, list[int]] = (0, [])
    spread_markets: list[tuple[int, list[int]]] = field(default_factory=list)


@contextmanager
def app_for(url: str):
    from voice import create_app
    from voice.extensions import db

    # No page cache: bench.profile measures the rendering, not a stored copy.
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": SECRET,
                      "RATELIMIT_ENABLED": False, "PAGE_CACHE_SECONDS": 0})
    with app.app_context():
        try:
            yield app
        finally:
            db.session.remove()
            db.engine.dispose()


@contextmanager
def cheap_password_hashes():
    from werkzeug.security import generate_password_hash

    def one_round(password, method=None, salt_length=16):
        return generate_password_hash(password, method="pbkdf2:sha256:1")

    with mock.patch("voice.accounts.service.passwords.generate_password_hash", one_round):
        yield


def seed(url: str, *, users: int, ideas: int, seed_value: int = 20261124) -> World:
    import numpy as np
    from sqlalchemy import select

    from bench import ideas_list
    from voice.accounts import service as accounts
    from voice.extensions import db
    from voice.ideas.models import CLOSED_STATUSES, Idea
    from voice.markets import service as markets
    from voice.surveys import service as surveys

    world = World()
    with app_for(url), cheap_password_hashes():
        staff = accounts.create_user("staff@bench.example", PASSWORD, "Bench Staff", "staff")
        for n in range(users):
            user = accounts.create_user(f"customer{n}@bench.example", PASSWORD, f"Customer {n}")
            world.tokens.append(accounts.issue_token(user.email, PASSWORD))
        ideas_list.seed_people()
        ideas_list.seed_ideas(ideas, np.random.default_rng(seed_value))
        world.vote_ideas = list(db.session.scalars(
            select(Idea.id).where(Idea.status.not_in(CLOSED_STATUSES),
                                  Idea.merged_into_id.is_(None))
            .order_by(Idea.hot_score.desc(), Idea.id.desc()).limit(100)))
        survey = surveys.create_survey(staff, "How are we doing?", "", anonymous=True,
                                       questions=SURVEY_QUESTIONS, status="open")
        world.survey_id = survey.id
        world.question_ids = [q.id for q in surveys.load_survey(survey.id).questions]

        def market(n: int) -> tuple[int, list[int]]:
            made = markets.create_market(staff, f"Will change {n} ship this quarter?",
                                         ["Yes", "No", "Later"], liquidity=200)
            return made.id, [o.id for o in markets.get_market(made.id).outcomes]

        world.hot_market = market(0)
        world.spread_markets = [market(n) for n in range(1, SPREAD_MARKETS + 1)]
    return world


def survey_tokens(url: str, survey_id: int, count: int) -> list[str]:
    """``count`` fresh one-time tokens for the anonymous survey (what its page hands out)."""
    from voice.surveys import service as surveys

    with app_for(url):
        return [surveys.response_token(survey_id) for _ in range(count)]


@dataclass
class Invariants:
    failures: list[str]
    counts: dict[str, int]

    @property
    def ok(self) -> bool:
        return not self.failures


def invariants(url: str, world: World) -> Invariants:
    """Vote counts = vote rows; survey counts = response rows and tallies = answers;
    every balance = its ledger; points conserved; q = Σ trades (audit_books)."""
    from sqlalchemy import func, select

    from voice.extensions import db
    from voice.ideas.models import Idea, Vote
    from voice.markets import service as markets
    from voice.markets.models import Trade
    from voice.surveys.models import Answer, Response, Survey, Tally, UsedResponseToken
    from voice.surveys.service import ANSWERED

    failures = []
    with app_for(url):
        if db.engine.dialect.name == "postgresql":  # one snapshot for every count below
            db.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
        votes = select(Vote.idea_id, func.count(Vote.id).label("n")).group_by(
            Vote.idea_id).subquery()
        wrong_votes = db.session.scalar(
            select(func.count(Idea.id)).outerjoin(votes, votes.c.idea_id == Idea.id)
            .where(Idea.vote_count != func.coalesce(votes.c.n, 0)))
        if wrong_votes:
            failures.append(f"{wrong_votes} ideas whose vote count is not their vote rows")
        survey = db.session.get(Survey, world.survey_id)
        responses = db.session.scalar(select(func.count(Response.id)).where(
            Response.survey_id == survey.id))
        spent = db.session.scalar(select(func.count(UsedResponseToken.id)).where(
            UsedResponseToken.survey_id == survey.id))
        if not survey.response_count == responses == spent:
            failures.append(f"survey count {survey.response_count}, responses {responses}, "
                            f"spent tokens {spent}")
        answered = dict(db.session.execute(
            select(Tally.question_id, func.sum(Tally.count))
            .where(Tally.survey_id == survey.id, Tally.value == ANSWERED)
            .group_by(Tally.question_id)).all())
        answers = dict(db.session.execute(
            select(Answer.question_id, func.count(Answer.id))
            .where(Answer.survey_id == survey.id).group_by(Answer.question_id)).all())
        if {k: int(v) for k, v in answered.items()} != answers:
            failures.append(f"tallies {answered} differ from answers {answers}")
        books = markets.audit_books()
        if books.user_mismatches or books.maker_mismatches:
            failures.append(f"balances differ from ledgers: {books.user_mismatches} "
                            f"{books.maker_mismatches}")
        if books.q_mismatches:
            failures.append(f"q differs from the sum of trades: {books.q_mismatches}")
        if books.users_total + books.makers_total != books.grants_total:
            failures.append("points not conserved: users + makers != grants")
        counts = {
            "votes": db.session.scalar(select(func.count(Vote.id))),
            "responses": responses,
            "trades": db.session.scalar(select(func.count(Trade.id))),
        }
    return Invariants(failures, counts)
