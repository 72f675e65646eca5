"""Property tests on the services' numeric and text bounds (hypothesis).

Each generated input is either accepted, and then within the documented bounds, or
refused with a voice.errors.ServiceError, never another exception, and a refusal
writes nothing. Example counts are modest: the suite runs twice (SQLite and
PostgreSQL) on two cores.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from voice.errors import ServiceError
from voice.extensions import db
from voice.surveys.scales import SCALES

SETTINGS = settings(max_examples=30, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

# Text with the characters that break things: whitespace of every kind, controls, astral
# characters, markup. NUL is refused for every request at the edge (voice.security, see
# test_nul_is_refused_at_the_edge); the services below are fed everything else.
TRICKY = st.sampled_from([" ", "\t", "\n", "\r", "\u00a0", "\u2028", "\u200b",
                          "<", ">", "&", "\"", "'", "é", "😀", "\x7f", "\x1b"])
TEXT = st.one_of(
    st.text(alphabet=st.one_of(TRICKY, st.characters(codec="utf-8", exclude_characters="\x00")),
            max_size=140),
    st.builds(lambda n, c: c * n, st.integers(0, 12_000), st.sampled_from(["a", " ", "\n"])),
)
NUMBERS = st.one_of(
    st.integers(-10**30, 10**30),
    st.floats(allow_nan=True, allow_infinity=True),
    st.sampled_from([0, -0.0, 1e-9, 0.000001, 0.0000001, 1e308, -1e308, "1e400", "NaN",
                     "-inf", "12.5", " 3 ", "0x10", "", "1,5", True, None, [], {},
                     "1e999999999", "-1e999999999", "1e-999999999", "9" * 400]),
    st.text(max_size=12),
    # exponents past Decimal's context (issue 13: they overflowed the parser)
    st.builds(lambda m, e: f"{m}e{e}", st.integers(-99, 99), st.integers(-10**10, 10**10)),
)


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def people(app, make_user):
    from voice.accounts.models import User

    customer, staff = make_user("customer"), make_user("staff")

    def load():
        return db.session.get(User, customer.id), db.session.get(User, staff.id)

    return load


def test_idea_title_and_description_bounds(app, people):
    from voice.ideas import service
    from voice.ideas.models import Idea

    @SETTINGS
    @given(title=TEXT, description=TEXT)
    def check(title, description):
        with app.app_context():
            customer, _ = people()
            before = count(Idea)
            normal = " ".join(title.split())
            body = description.replace("\r\n", "\n").strip()
            try:
                idea = service.submit_idea(customer, title, description)
            except ServiceError as error:
                assert error.status in (400, 409, 429)
                assert count(Idea) == before
                db.session.rollback()
            else:
                assert 5 <= len(normal) <= 120 and len(body) <= 10_000
                assert idea.title == normal and idea.description == body
                assert count(Idea) == before + 1
            finally:
                db.session.remove()

    check()


def test_comment_body_bounds(app, people):
    from voice.ideas import service
    from voice.ideas.models import Comment

    with app.app_context():
        customer, _ = people()
        idea_id = service.submit_idea(customer, "A stable idea title", "").id

    @SETTINGS
    @given(body=TEXT)
    def check(body):
        with app.app_context():
            customer, _ = people()
            before = count(Comment)
            try:
                comment = service.add_comment(customer, idea_id, body)
            except ServiceError:
                assert count(Comment) == before
            else:
                assert 1 <= len(comment.body) <= 5_000
                assert count(Comment) == before + 1
            finally:
                db.session.remove()

    check()


def test_display_name_bounds(app, people):
    from voice.accounts import service

    @SETTINGS
    @given(name=TEXT)
    def check(name):
        with app.app_context():
            customer, _ = people()
            old = customer.display_name
            try:
                user = service.update_profile(customer, name)
            except ServiceError:
                db.session.expire_all()
                assert people()[0].display_name == old
            else:
                assert 1 <= len(user.display_name) <= 80
            finally:
                db.session.remove()

    check()


def test_share_and_spend_parsing(app):
    from voice.markets import service

    @settings(max_examples=200, deadline=None, derandomize=True)
    @given(value=NUMBERS)
    def check(value):
        try:
            micro = service.parse_shares(value)
        except ServiceError:
            pass
        else:
            assert isinstance(micro, int) and micro != 0
            assert abs(micro) <= 1_000_000 * 1_000_000
        try:
            hundredths = service.parse_points(value, "spend")
        except ServiceError:
            pass
        else:
            assert isinstance(hundredths, int) and 1 <= hundredths <= 100_000_000
        try:
            b = service.liquidity_hundredths(liquidity=value)
        except ServiceError:
            pass
        else:
            assert 100 <= b <= 100_000_000

    check()


def test_trades_of_any_size_keep_the_books(app, people):
    """Buys, sells and spends of any size: accepted ones keep every invariant, refused
    ones change nothing (q, balance, trade rows)."""
    from voice.markets import service
    from voice.markets.models import Outcome, Trade

    with app.app_context():
        _, staff = people()
        market = service.create_market(staff, "Will the property hold?", ["Yes", "No", "Maybe"],
                                       liquidity=50)
        market_id = market.id
        outcome_ids = [o.id for o in db.session.scalars(
            select(Outcome).where(Outcome.market_id == market_id).order_by(Outcome.position))]

    @SETTINGS
    @given(value=NUMBERS, which=st.integers(0, 2), by_spend=st.booleans())
    def check(value, which, by_spend):
        with app.app_context():
            customer, _ = people()
            trades = count(Trade)
            q_before = [o.shares for o in db.session.scalars(
                select(Outcome).where(Outcome.market_id == market_id).order_by(Outcome.id))]
            balance = customer.balance
            try:
                if by_spend:
                    amount = service.parse_points(value, "spend")
                    service.trade(customer.id, market_id, outcome_ids[which], spend=amount)
                else:
                    amount = service.parse_shares(value)
                    service.trade(customer.id, market_id, outcome_ids[which], shares=amount)
            except ServiceError:
                db.session.rollback()
                db.session.expire_all()
                assert count(Trade) == trades
                assert [o.shares for o in db.session.scalars(
                    select(Outcome).where(Outcome.market_id == market_id)
                    .order_by(Outcome.id))] == q_before
                assert people()[0].balance == balance
            else:
                assert count(Trade) == trades + 1
            books = service.audit_books()
            assert books.balanced, books
            view = service.get_market(market_id)
            assert math.isclose(sum(view.prices), 1.0, abs_tol=1e-9)
            assert all(0 <= p <= 1 for p in view.prices)
            db.session.remove()

    check()


SURVEY = [{"kind": "nps", "prompt": "Recommend?"}, {"kind": "csat", "prompt": "Happy?"},
          {"kind": "ces", "prompt": "Easy?"}, {"kind": "rating", "prompt": "Rate"},
          {"kind": "single_choice", "prompt": "Plan?", "choices": ["Free", "Pro"]},
          {"kind": "multi_choice", "prompt": "Use?", "choices": ["Web", "App", "API"]},
          {"kind": "text", "prompt": "Why?"}]
ANSWER = st.one_of(
    st.integers(-3, 13), st.integers(-10**20, 10**20), st.floats(allow_nan=True),
    st.booleans(), st.none(), st.sampled_from(["Free", "Pro", "free", "Web", "", " "]),
    st.lists(st.sampled_from(["Web", "App", "API", "Nope", 1]), max_size=4), TEXT,
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)


def valid(kind: str, value, choices) -> bool:
    if value is None or value == [] or value == "":
        return False  # every question here is required
    if kind in SCALES:
        low, high = SCALES[kind]
        return type(value) is int and low <= value <= high
    if kind == "single_choice":
        return isinstance(value, str) and value in choices
    if kind == "multi_choice":
        return (isinstance(value, list) and all(isinstance(c, str) for c in value)
                and all(c in choices for c in value) and len(set(value)) == len(value))
    return (isinstance(value, str) and bool(value.replace("\x00", "").strip())
            and len(value.replace("\x00", "").strip()) <= 5_000)


def test_survey_answers_per_kind(app, people, make_user):
    from voice.surveys import service
    from voice.surveys.models import Answer, Response

    with app.app_context():
        _, staff = people()
        survey = service.create_survey(staff, "Property pulse", questions=SURVEY,
                                       status="open", anonymous=False)
        survey_id = survey.id
        questions = service.get_survey(survey_id, staff).questions
        ids = {q.kind: q.id for q in questions}
    counter = iter(range(10_000))

    @SETTINGS
    @given(answers=st.fixed_dictionaries(dict.fromkeys(ids, ANSWER)))
    def check(answers):
        from voice.accounts.models import User

        user = make_user("customer", email=f"answerer{next(counter)}@example.com")
        with app.app_context():
            responses, stored = count(Response), count(Answer)
            should = all(valid(kind, answers[kind],
                               next(q["choices"] for q in SURVEY if q["kind"] == kind)
                               if "choice" in kind else None) for kind in ids)
            try:
                service.submit_response(survey_id, db.session.get(User, user.id),
                                        {str(ids[k]): v for k, v in answers.items()})
            except ServiceError:
                assert not should, answers
                assert (count(Response), count(Answer)) == (responses, stored)
            else:
                assert should, answers
                assert count(Response) == responses + 1
            finally:
                db.session.remove()

    check()


NUL_TARGETS = [
    ("POST", "/api/v1/ideas", {"title": "Nul\x00 title here", "description": "x"}),
    ("POST", "/api/v1/accounts", {"email": "nul@example.com", "password": "long-enough-1",
                                  "display_name": "N\x00"}),
    ("POST", "/api/v1/markets", {"question": "Nul\x00 market?", "outcomes": ["a", "b"],
                                 "liquidity": 10}),
    ("POST", "/api/v1/surveys", {"title": "T", "questions": [{"kind": "text",
                                                            "prompt": "\x00"}]}),
    ("PUT", "/api/v1/me/mail-preferences", {"\x00": True}),
    ("GET", "/api/v1/ideas?q=a%00b", None),
]


@pytest.mark.parametrize(("method", "path", "body"), NUL_TARGETS)
def test_nul_is_refused_at_the_edge(app, make_user, token_for, login, method, path, body):
    """PostgreSQL cannot store NUL in text: every request carrying one is refused with
    400 before any service runs, so it can never become a driver error (a 500)."""
    staff = make_user("staff")
    from voice.accounts.models import User
    from voice.ideas.models import Idea

    client = app.test_client()
    answer = client.open(path, method=method, json=body, headers=token_for(staff))
    assert answer.status_code == 400
    assert answer.json["error"]["code"] == "invalid_text"
    page = login(staff).post("/ideas/new", data={"title": "Nul\x00 in a form",
                                                 "description": "x"})
    assert page.status_code == 400
    with app.app_context():
        assert count(Idea) == 0 and count(User) == 1
