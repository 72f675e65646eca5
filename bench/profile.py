"""Profile one hot endpoint in-process with pyinstrument, on the load test's data.

    .venv/bin/python -m bench.profile ideas|market|vote|survey|trade|healthz
        [--backend sqlite|postgresql] [--requests 200] [--queries]

Seeds the same world as bench.run, then sends the requests through the Flask test
client (so the profile shows the app's own time, not gunicorn's or wrk's) and prints
pyinstrument's call tree, the mean time per request and, with --queries, the SQL
statements one request issues. pyinstrument comes from PyPI (pip install pyinstrument).
"""

from __future__ import annotations

import argparse
import json
import time

from sqlalchemy import event

from bench.harness import database
from bench.scenarios import survey_requests, trade_requests, vote_requests
from bench.world import app_for, seed


def requests_for(name: str, world, url: str, count: int) -> list[dict]:
    if name == "ideas":
        return [{"method": "GET", "path": "/ideas?sort=trending"}] * count
    if name == "ideas-api":
        return [{"method": "GET", "path": "/api/v1/ideas?sort=trending"}] * count
    if name == "market":
        return [{"method": "GET", "path": f"/markets/{world.hot_market[0]}"}] * count
    if name == "healthz":
        return [{"method": "GET", "path": "/healthz"}] * count
    if name == "vote":
        return vote_requests(world)(count)
    if name == "survey":
        return survey_requests(world, url)(count)
    if name == "trade":
        return trade_requests(world, hot=False)(count)
    raise SystemExit(f"unknown endpoint {name}")


def pre_trade(world, count: int) -> None:
    from sqlalchemy import select

    from voice.accounts.models import User
    from voice.markets import service

    customers = list(select_ids(select(User.id).where(User.role == "customer")
                                .order_by(User.id).limit(64)))
    market_id, outcomes = world.hot_market
    for n in range(count):
        service.trade(customers[n % len(customers)], market_id, outcomes[n % len(outcomes)],
                      spend=100)


def select_ids(stmt):
    from voice.extensions import db

    return db.session.scalars(stmt).all()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("endpoint")
    parser.add_argument("--backend", default="sqlite")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--ideas", type=int, default=10_000)
    parser.add_argument("--queries", action="store_true")
    parser.add_argument("--trades", type=int, default=0,
                        help="trades on the hot market first (its page shows their history)")
    args = parser.parse_args()
    from pyinstrument import Profiler

    with database(args.backend, schema="create_all") as db:
        world = seed(db.url, users=64, ideas=args.ideas)
        lines = requests_for(args.endpoint, world, db.url, args.requests + 21)
        with app_for(db.url) as app:
            if args.trades:
                pre_trade(world, args.trades)
        # No app context is held while the requests run: each gets its own, with its own
        # database session and ``g``, as under gunicorn.
        client = app.test_client()

        def send(line):
            headers = {"Content-Type": "application/json"}
            if line.get("token"):
                headers["Authorization"] = f"Bearer {line['token']}"
            data = json.dumps(line["body"]) if "body" in line else None
            answer = client.open(line["path"], method=line["method"], headers=headers,
                                 data=data)
            assert answer.status_code < 400, (answer.status_code, answer.data[:300])

        for line in lines[:20]:
            send(line)
        if args.queries:
            statements = []
            listener = lambda *a: statements.append(a[2])  # noqa: E731
            from voice.extensions import db as sqla

            with app.app_context():
                engine = sqla.engine
            event.listen(engine, "before_cursor_execute", listener)
            send(lines[20])
            event.remove(engine, "before_cursor_execute", listener)
            print(f"{len(statements)} statements:")
            for statement in statements:
                print("  ", " ".join(statement.split())[:160])
        profiler = Profiler(interval=0.0005)
        began = time.perf_counter()
        profiler.start()
        # The --queries request is not sent again (a survey's one-time token is spent).
        for line in lines[21:21 + args.requests]:
            send(line)
        profiler.stop()
        elapsed = time.perf_counter() - began
        print(profiler.output_text(unicode=True, color=False, show_all=False))
        print(f"{args.endpoint}: {elapsed / args.requests * 1000:.2f} ms per request "
              f"(in-process, profiled)")


if __name__ == "__main__":
    main()
