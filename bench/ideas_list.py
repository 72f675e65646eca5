"""How the ideas board scales: the first page of each sort, and a search, at 1,000 and
at 100,000 ideas (with 10 votes per idea on average: 1,000,000 votes at the top).

    .venv/bin/python -m bench.ideas_list            # full: 1,000 then 100,000 ideas
    .venv/bin/python -m bench.ideas_list --quick    # 1,000 then 20,000 ideas
    .venv/bin/python -m bench.ideas_list --database-url postgresql+psycopg://...  # empty DB

One database grows during the run, so both sizes are measured side by side on the same
machine: seed the small board, time it, bulk-add the rest, time it again. Seeding uses
bulk inserts (the service functions would take hours for a million votes); the rows are
what the service writes (hot scores from ranking.py, search terms from terms.py, tallies).
Each figure is the median of many runs after a warm-up, through the service function the
page calls (``list_ideas``), and through the whole HTTP stack (``GET /ideas`` and
``GET /api/v1/ideas`` on the test client).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from sqlalchemy import func, insert, select, text

from bench.timing import median_ms_per_transaction
from voice import create_app
from voice.accounts.models import User
from voice.areas.models import Area
from voice.extensions import db
from voice.ideas import ranking, service
from voice.ideas import terms as text_terms
from voice.ideas.models import Idea, IdeaTerm, Vote

USERS = 5_000
VOTES_PER_IDEA = 10
AREAS = ["billing", "mobile-app", "web-app", "integrations", "support"]
STATUSES = ["open"] * 70 + ["under_review"] * 10 + ["planned"] * 8 + ["in_progress"] * 5 + \
    ["done"] * 5 + ["declined"] * 2
VERBS = ["export", "sync", "share", "schedule", "filter", "search", "import", "archive",
         "print", "tag", "sort", "preview", "duplicate", "lock", "translate", "approve"]
NOUNS = ["invoices", "reports", "contacts", "dashboards", "tickets", "files", "projects",
         "payments", "orders", "tasks", "comments", "surveys", "teams", "calendars", "forms",
         "receipts", "contracts", "products", "notes", "charts", "records", "templates"]
EXTRAS = ["pdf", "excel", "mobile", "offline", "slack", "teams", "calendar", "email", "bulk",
          "weekly", "dark", "keyboard", "api", "webhook", "german", "french", "tablet",
          "android", "iphone", "zapier", "hubspot", "audit", "history", "permissions"]
SEARCH = "export invoices"
SIMILAR = "Could we export our invoices as pdf"


def make_text(rng: np.random.Generator) -> tuple[str, str]:
    verb, noun = rng.choice(VERBS), rng.choice(NOUNS)
    extras = rng.choice(EXTRAS, size=3, replace=False)
    title = f"{verb.title()} {noun} {extras[0]} {extras[1]}"
    description = (f"We need to {verb} {noun} with {extras[2]} support, every week, "
                   f"for the whole team. Number {rng.integers(1, 10**6)}.")
    return title, description


def seed_people() -> None:
    db.session.execute(insert(Area), [{"slug": slug, "name": slug.replace("-", " ").title()}
                                      for slug in AREAS])
    db.session.execute(insert(User), [
        {"email": f"bench{i}@example.com", "display_name": f"Bench User {i}",
         "password_hash": "scrypt:unusable", "role": "customer"} for i in range(USERS)
    ])
    db.session.commit()


def seed_ideas(count: int, rng: np.random.Generator, batch: int = 5_000) -> None:
    """Bulk-add ``count`` ideas with VOTES_PER_IDEA votes each on average."""
    area_ids = db.session.scalars(select(Area.id).order_by(Area.id)).all()
    user_ids = np.array(db.session.scalars(select(User.id).order_by(User.id)).all())
    next_id = (db.session.scalar(select(func.max(Idea.id))) or 0) + 1
    start = datetime(2024, 6, 1)
    weights = rng.lognormal(mean=0.0, sigma=1.2, size=count)
    votes = np.minimum(np.floor(weights / weights.sum() * VOTES_PER_IDEA * count), USERS)
    votes = votes.astype(int)
    short = VOTES_PER_IDEA * count - int(votes.sum())
    for index in rng.choice(count, size=short, replace=True):
        if votes[index] < USERS:
            votes[index] += 1
    for first in range(0, count, batch):
        ideas, terms_rows, vote_rows = [], [], []
        for offset in range(first, min(first + batch, count)):
            idea_id = next_id + offset
            title, description = make_text(rng)
            created = start + timedelta(seconds=int(rng.integers(0, 700 * 86400)))
            k = int(votes[offset])
            ideas.append({
                "id": idea_id, "title": title, "description": description,
                "area_id": int(rng.choice(area_ids)), "status": str(rng.choice(STATUSES)),
                "author_id": int(rng.choice(user_ids)), "vote_count": k, "comment_count": 0,
                "created_at": created, "updated_at": created,
                "hot_score": ranking.hot_score(k, 0, created),
            })
            for term, weight in text_terms.document_terms(title, description).items():
                terms_rows.append({"term": term, "idea_id": idea_id, "weight": weight})
            if k:
                begin, stride = int(rng.integers(0, USERS)), 7919  # a prime: distinct users
                for j in range(k):
                    vote_rows.append({"idea_id": idea_id,
                                      "user_id": int(user_ids[(begin + j * stride) % USERS]),
                                      "created_at": created})
        db.session.execute(insert(Idea), ideas)
        db.session.execute(insert(IdeaTerm), terms_rows)
        for chunk in range(0, len(vote_rows), 20_000):
            db.session.execute(insert(Vote), vote_rows[chunk:chunk + 20_000])
        db.session.commit()
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("SELECT setval('ideas_id_seq', (SELECT max(id) FROM ideas))"))
        db.session.commit()
    service.rebuild_tallies()
    # Fresh statistics, as autovacuum (PostgreSQL) or a periodic ANALYZE (SQLite) keep them;
    # vacuumed now so that autovacuum does not start on the bulk load while we measure.
    db.session.commit()
    command = "VACUUM ANALYZE" if db.engine.dialect.name == "postgresql" else "ANALYZE"
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text(command))


def measure(app, runs: int) -> dict[str, float]:
    client = app.test_client()
    results = {}
    for sort in service.SORTS:
        results[f"list {sort} (service)"] = median_ms_per_transaction(
            lambda s=sort: service.list_ideas(None, sort=s), runs)
    for sort in service.SORTS:
        results[f"GET /ideas?sort={sort}"] = median_ms_per_transaction(
            lambda s=sort: client.get(f"/ideas?sort={s}"), runs)
    results["GET /api/v1/ideas?sort=trending"] = median_ms_per_transaction(
        lambda: client.get("/api/v1/ideas?sort=trending"), runs)
    results["list status=planned, top"] = median_ms_per_transaction(
        lambda: service.list_ideas(None, sort="top", status="planned"), runs)
    results[f"search q={SEARCH!r}"] = median_ms_per_transaction(
        lambda: service.list_ideas(None, q=SEARCH), max(5, runs // 3))
    results["similar (title typed)"] = median_ms_per_transaction(
        lambda: service.similar_ideas(SIMILAR), max(5, runs // 3))
    return results


def query_plan() -> str:
    stmt = select(Idea.id).where(service.not_merged()).order_by(
        Idea.hot_score.desc(), Idea.id.desc()).limit(20)
    compiled = stmt.compile(db.engine, compile_kwargs={"literal_binds": True})
    prefix = "EXPLAIN QUERY PLAN " if db.engine.dialect.name == "sqlite" else "EXPLAIN "
    rows = db.session.execute(text(prefix + str(compiled))).all()
    db.session.rollback()
    return " | ".join(str(row[-1]) for row in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="1,000 then 20,000 ideas")
    parser.add_argument("--database-url", help="an EMPTY database (default: a temp SQLite)")
    parser.add_argument("--runs", type=int, default=0)
    parser.add_argument("--keep", action="store_true", help="leave the tables in --database-url")
    args = parser.parse_args()
    small, large = 1_000, (20_000 if args.quick else 100_000)
    runs = args.runs or (15 if args.quick else 40)
    with tempfile.TemporaryDirectory() as folder:
        url = args.database_url or f"sqlite:///{Path(folder) / 'bench.sqlite'}"
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                          "RATELIMIT_ENABLED": False, "TESTING": True,
                          "PAGE_CACHE_SECONDS": 0})  # growth of the rendering itself
        with app.app_context():
            db.create_all()
            rng = np.random.default_rng(20261124)
            seed_people()
            began = time.perf_counter()
            seed_ideas(small, rng)
            print(f"{db.engine.dialect.name}: seeded {small:,} ideas and "
                  f"{small * VOTES_PER_IDEA:,} votes in {time.perf_counter() - began:.1f} s")
            at_small = measure(app, runs)
            began = time.perf_counter()
            seed_ideas(large - small, rng)
            votes = db.session.scalar(select(func.count(Vote.id)))
            print(f"grew to {large:,} ideas and {votes:,} votes in "
                  f"{time.perf_counter() - began:.1f} s")
            print(f"plan of the trending page: {query_plan()}")
            at_large = measure(app, runs)
            if not args.database_url:
                db.session.remove()
                db.engine.dispose()
            elif not args.keep:
                db.drop_all()
    width = max(len(name) for name in at_small)
    print(f"\n{'median (ms)':<{width}}  {small:>9,}  {large:>9,}  ratio")
    for name, value in at_small.items():
        print(f"{name:<{width}}  {value:>9.2f}  {at_large[name]:>9.2f}  "
              f"{at_large[name] / value:>5.2f}x")


if __name__ == "__main__":
    main()
