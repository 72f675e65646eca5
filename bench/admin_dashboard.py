"""How the staff dashboard scales: ``dashboard.build()`` at 10,000 and at 1,000,000 signals.

    .venv/bin/python -m bench.admin_dashboard                 # 10,000 then 1,000,000 signals
    .venv/bin/python -m bench.admin_dashboard --quick         # 1,000 then 20,000 signals
    .venv/bin/python -m bench.admin_dashboard --backend postgresql   # a scratch PostgreSQL DB

One database (migrated as production is, by bench.harness.database) grows during the run,
so both sizes are measured side by side on the same machine: seed the small world, time
the dashboard, bulk-add the rest, time it again. A signal is a survey response (NPS on
every one, CSAT on 80 %, a comment on 30 %) or, one in ten, a vote on an idea. Every
signal lands at a random moment of the same history (``--history-weeks``, two years by
default), so the large world is denser in every week, the dashboard's twelve included:
the weeks the dashboard shows hold 100 times as many answers and cases too. Responses
whose NPS is 0-6 or CSAT 1-2 open a case, as the default routing rules do, on one of five
teams; staff respond after a few hours and close after a day or two (log-normal), so the
cases of the last days are still open, and one in a hundred stays open for good.
With ``--older`` the large world's extra signals land before the small world's instead,
at the same weekly rate: the history grows a hundredfold, the weeks shown do not.

Seeding uses Core bulk inserts of the rows the services write (the services would take
hours for a million signals); the survey tallies are then rebuilt by GROUP BY
(``rebuild_tallies``), as an upgrade would. Figures are medians after a warm-up: the
service function ``dashboard.build()`` (the headline ratio) and the page through the whole
HTTP stack (``GET /admin`` on the test client, signed in as staff). The statements of one
build are counted and each part of the dashboard is timed alone, so where any growth
comes from is visible.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from contextlib import contextmanager
from datetime import datetime, timedelta

import numpy as np
from sqlalchemy import event, func, insert, select, text

from bench.harness import database
from bench.timing import median_ms_per_transaction
from voice import create_app
from voice.accounts import service as accounts
from voice.accounts.models import User
from voice.admin import dashboard, metrics
from voice.admin import service as admin
from voice.admin.models import Case, Team
from voice.clock import utcnow
from voice.extensions import db
from voice.ideas import ranking
from voice.ideas import service as ideas_service
from voice.ideas.models import Idea, Vote
from voice.surveys import service as surveys
from voice.surveys.models import Answer, Response

PASSWORD = "bench-password-1"
TEAMS = ["Billing", "Mobile", "Web app", "Integrations"]  # and the default Triage team
CUSTOMERS = 2_000
VOTE_SHARE = 0.1  # of the signals
VOTES_PER_IDEA = 50
BATCH = 20_000
WORDS = ["slow", "exports", "great", "support", "billing", "crash", "love", "price",
         "sync", "mobile", "fast", "search", "invoice", "login", "dashboard"]
CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE", "PRAGMA")  # not counted


class World:
    """What the seeding needs to know between the two sizes."""

    def __init__(self, now: datetime, weeks: int, rng: np.random.Generator):
        self.now = now
        self.start, self.end = now - timedelta(weeks=weeks), now  # where new signals land
        self.rng = rng
        self.survey_id = 0
        self.questions: tuple[int, int, int] = (0, 0, 0)
        self.teams: list[int] = []
        self.customers: np.ndarray = np.array([], dtype=int)

    def moments(self, count: int) -> list[datetime]:
        """``count`` random moments of the history, oldest first."""
        seconds = int((self.end - self.start).total_seconds())
        offsets = np.sort(self.rng.integers(0, seconds, count))
        return [self.start + timedelta(seconds=int(s)) for s in offsets]


def seed_base(world: World) -> None:
    """Staff, customers, the teams and default rules, and one anonymous survey."""
    staff = accounts.create_user("bench.staff@example.com", PASSWORD, "Bench", "staff")
    admin.ensure_defaults()
    db.session.execute(insert(Team), [{"name": name, "description": ""} for name in TEAMS])
    db.session.execute(insert(User), [
        {"email": f"customer{i}@bench.example", "display_name": f"Customer {i}",
         "password_hash": "scrypt:unusable", "role": "customer"} for i in range(CUSTOMERS)])
    db.session.commit()
    world.teams = list(db.session.scalars(select(Team.id).order_by(Team.id)))
    world.customers = np.array(db.session.scalars(
        select(User.id).where(User.role == "customer").order_by(User.id)).all())
    survey = surveys.create_survey(
        staff, "Relationship survey", "", anonymous=True, status="open",
        opens_at=world.start - timedelta(days=1), questions=[
            {"kind": "nps", "prompt": "How likely are you to recommend us?"},
            {"kind": "csat", "prompt": "How satisfied are you?", "required": False},
            {"kind": "text", "prompt": "Why?", "required": False}])
    world.survey_id = survey.id
    world.questions = tuple(q.id for q in surveys.load_survey(survey.id).questions)


def case_rows(world: World, routed: list[tuple[int, datetime, int]]) -> list[dict]:
    """The cases the default rules open for (response id, moment, nps) of detractors:
    responded after a few hours, closed after a day or two, unless that is still ahead."""
    rng, now, count = world.rng, world.now, len(routed)
    first_hours = rng.lognormal(np.log(5), 1.0, count)
    close_hours = rng.lognormal(np.log(30), 0.8, count)
    never = rng.random(count) < 0.01  # the backlog that stays open
    wont_do = rng.random(count) < 0.1
    replied = rng.random(count) < 0.7
    identified = rng.random(count) < 0.5
    teams = rng.choice(world.teams, count)
    customers = rng.choice(world.customers, count)
    rows = []
    for i, (response_id, moment, nps) in enumerate(routed):
        first = moment + timedelta(hours=float(first_hours[i]))
        closed = first + timedelta(hours=float(close_hours[i]))
        first = None if never[i] or first > now else first
        closed = None if first is None or closed > now else closed
        state = ("wont_do" if wont_do[i] else "closed") if closed else (
            "in_progress" if first else "new")
        customer = int(customers[i]) if identified[i] else None
        rows.append({
            "source_type": "survey_response", "source_id": response_id,
            "rule_id": 1, "rule_name": "Detractors", "reason": f"NPS {nps}",
            "team_id": int(teams[i]), "customer_id": customer, "state": state,
            "priority": "normal", "title": f"Survey response #{response_id}", "excerpt": "",
            "link": "", "due_at": moment + timedelta(hours=48), "created_at": moment,
            "updated_at": closed or first or moment, "first_response_at": first,
            "closed_at": closed,
            "reply": "Thank you, fixed." if closed and customer and replied[i] else None,
            "replied_at": closed if closed and customer and replied[i] else None})
    return rows


def add_responses(world: World, count: int) -> None:
    """Bulk-insert ``count`` responses, their answers and the cases they open."""
    nps_q, csat_q, text_q = world.questions
    rng = world.rng
    for first in range(0, count, BATCH):
        size = min(BATCH, count - first)
        moments = world.moments(size)
        nps = rng.choice(11, size, p=[.04, .02, .03, .04, .05, .07, .1, .15, .15, .15, .2])
        csat = rng.choice(5, size, p=[.05, .1, .15, .35, .35]) + 1
        has_csat = rng.random(size) < 0.8
        has_text = rng.random(size) < 0.3
        ids = db.session.scalars(
            insert(Response.__table__).returning(Response.__table__.c.id,
                                                 sort_by_parameter_order=True),
            [{"survey_id": world.survey_id, "user_id": None, "created_at": m}
             for m in moments]).all()
        answers, routed = [], []
        for i, response_id in enumerate(ids):
            base = {"response_id": response_id, "survey_id": world.survey_id,
                    "number": None, "text": None, "choices": None}
            answers.append({**base, "question_id": nps_q, "number": int(nps[i])})
            if has_csat[i]:
                answers.append({**base, "question_id": csat_q, "number": int(csat[i])})
            if has_text[i]:
                words = " ".join(rng.choice(WORDS, 5))
                answers.append({**base, "question_id": text_q, "text": f"{words} {i}."})
            if nps[i] <= 6 or (has_csat[i] and csat[i] <= 2):
                routed.append((response_id, moments[i], int(nps[i])))
        db.session.execute(insert(Answer.__table__), answers)
        if routed:
            db.session.execute(insert(Case.__table__), case_rows(world, routed))
        db.session.commit()


def add_votes(world: World, count: int) -> None:
    """``count`` votes on new ideas (VOTES_PER_IDEA on average, log-normal), cast at
    random moments of the history; each idea's vote_count equals its vote rows."""
    rng = world.rng
    ideas = max(1, count // VOTES_PER_IDEA)
    weights = rng.lognormal(0.0, 1.2, ideas)
    votes = np.minimum(np.floor(weights / weights.sum() * count), CUSTOMERS).astype(int)
    next_id = (db.session.scalar(select(func.max(Idea.id))) or 0) + 1
    idea_rows, vote_rows = [], []
    for offset in range(ideas):
        idea_id, k = next_id + offset, int(votes[offset])
        created = world.moments(1)[0]
        idea_rows.append({
            "id": idea_id, "title": f"Idea {idea_id}: {' '.join(rng.choice(WORDS, 3))}",
            "description": "", "status": "open", "author_id": int(world.customers[0]),
            "vote_count": k, "comment_count": 0, "created_at": created,
            "updated_at": created, "hot_score": ranking.hot_score(k, 0, created)})
        begin, stride = int(rng.integers(0, CUSTOMERS)), 7919  # a prime: distinct voters
        for j, moment in enumerate(world.moments(k)):
            vote_rows.append({"idea_id": idea_id, "created_at": moment,
                              "user_id": int(world.customers[(begin + j * stride) % CUSTOMERS])})
    db.session.execute(insert(Idea), idea_rows)
    for chunk in range(0, len(vote_rows), BATCH):
        db.session.execute(insert(Vote), vote_rows[chunk:chunk + BATCH])
    db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('ideas_id_seq', (SELECT max(id) FROM ideas))"))
        db.session.commit()


def grow(world: World, signals: int) -> float:
    """Add ``signals`` signals; fresh statistics after, as ANALYZE/autovacuum keep them."""
    began = time.perf_counter()
    votes = int(signals * VOTE_SHARE)
    add_responses(world, signals - votes)
    add_votes(world, votes)
    surveys.rebuild_tallies(world.survey_id)
    ideas_service.rebuild_tallies()
    db.session.commit()
    command = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(command))
    return time.perf_counter() - began


@contextmanager
def statements(log: list[str]):
    """Record the statements run inside the block (transaction control left out, as
    tests/conftest.py counts them)."""
    engine = db.engine

    def before(conn, cursor, statement, parameters, context, executemany):
        if not statement.lstrip().upper().startswith(CONTROL):
            log.append(statement)

    event.listen(engine, "before_cursor_execute", before)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", before)


def parts(now: datetime) -> dict[str, Callable[[], object]]:
    """The dashboard's parts, one statement each (the top ideas two, with their markets)."""
    weeks = metrics.weeks_back(now, dashboard.WEEKS)
    until = now + timedelta(seconds=1)
    teams = [row.team_id for row in dashboard.cases_by_team(now)]
    return {
        "scores (tallies)": lambda: dashboard.score_rows(weeks),
        "open cases by team": lambda: dashboard.cases_by_team(now),
        "loop (window's cases)": lambda: dashboard.loop_measures(weeks, until, teams),
        "top ideas": lambda: dashboard.top_ideas(now),
        "latest detractors": lambda: dashboard.latest_detractors(),
    }


def measure(app, client, runs: int) -> dict:
    def page():
        response = client.get("/admin")
        assert response.status_code == 200, response.status_code

    with app.app_context():
        figures = {"build() ms": median_ms_per_transaction(dashboard.build, runs),
                   "page (HTTP) ms": median_ms_per_transaction(page, runs)}
        log: list[str] = []
        with statements(log):
            board = dashboard.build()
        db.session.rollback()
        figures["statements"] = len(log)
        for name, work in parts(utcnow()).items():
            figures[f"  {name} ms"] = median_ms_per_transaction(work, runs)
    figures["board"] = board
    return figures


def describe(size: int, board: dashboard.Dashboard) -> str:
    return (f"  {size:>9,} signals: NPS answers in the window {board.nps_total.responses:,}, "
            f"cases in the window {board.loop_total.cases:,}, open {board.open_total:,}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 then 20,000 signals")
    parser.add_argument("--backend", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--small", type=int, default=0, help="signals in the small world")
    parser.add_argument("--large", type=int, default=0, help="signals in the large world")
    parser.add_argument("--history-weeks", type=int, default=104,
                        help="the weeks the signals are spread over (default 104)")
    parser.add_argument("--older", action="store_true",
                        help="add the large world's signals before the small world's, at the "
                             "same weekly rate: the history grows, the weeks shown do not")
    parser.add_argument("--runs", type=int, default=0, help="timed runs per figure")
    args = parser.parse_args(argv)
    small = args.small or (1_000 if args.quick else 10_000)
    large = args.large or (20_000 if args.quick else 1_000_000)
    runs = args.runs or (5 if args.quick else 9)
    with database(args.backend) as scratch:
        app = create_app({"SQLALCHEMY_DATABASE_URI": scratch.url, "SECRET_KEY": "bench",
                          "RATELIMIT_ENABLED": False, "WTF_CSRF_ENABLED": False,
                          "TESTING": True})
        world = World(utcnow().replace(microsecond=0), args.history_weeks,
                      np.random.default_rng(20261124))
        with app.app_context():
            seed_base(world)
            took = grow(world, small)
        client = app.test_client()
        client.post("/login", data={"email": "bench.staff@example.com", "password": PASSWORD})
        print(f"database: {args.backend}; signals over {args.history_weeks} weeks"
              f"{' (the large world adds older ones)' if args.older else ''}; "
              f"seeded {small:,} signals in {took:.1f} s")
        figures = {small: measure(app, client, runs)}
        if args.older:  # the same weekly traffic, before the small world's history
            span = (world.end - world.start) * ((large - small) / small)
            world.start, world.end = world.start - span, world.start
        with app.app_context():
            took = grow(world, large - small)
            cases = db.session.scalar(select(func.count(Case.id)))
            answers = db.session.scalar(select(func.count(Answer.id)))
            votes = db.session.scalar(select(func.count(Vote.id)))
        print(f"added {large - small:,} signals in {took:.1f} s ({answers:,} answers, "
              f"{votes:,} votes, {cases:,} cases in all)")
        figures[large] = measure(app, client, runs)
        with app.app_context():
            db.engine.dispose()

    print(f"\nmedian of {runs} runs         {small:>10,} {large:>10,}   ratio")
    for name in figures[small]:
        if name != "board":
            a, b = figures[small][name], figures[large][name]
            print(f"{name:<27} {a:>10.2f} {b:>10.2f}   {b / a:5.2f}x")
    print(describe(small, figures[small]["board"]))
    print(describe(large, figures[large]["board"]))
    ratio = figures[large]["build() ms"] / figures[small]["build() ms"]
    print(f"\nstaff dashboard at {large:,} vs {small:,} signals: build() {ratio:.2f}x "
          f"({figures[large]['build() ms']:.1f} ms against "
          f"{figures[small]['build() ms']:.1f} ms)")


if __name__ == "__main__":
    main()
