"""Trades per second through the API, with concurrent traders, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.markets_trades [--quick] [--workers 3] [--clients 12]

For each database: make a fresh one, create staff, customers (with API tokens) and
markets in-process, serve the app with gunicorn (several workers, rate limits off)
on a free loopback port, and let a thread pool of HTTP clients (http.client) trade:

- one market: every client trades the same market (all trades queue on its row lock);
- many markets: each client trades one of 8 markets.

Each client cycles: buy by shares, buy by spend, sell part of what it holds. After
each database the invariants are checked from the database: every balance equals its
ledger, every q the sum of its trades, Σ users + Σ market makers = Σ grants, and the
number of trades equals the number of 201 answers.

PostgreSQL: VOICE_BENCH_PG_URL (default postgresql+psycopg://postgres@127.0.0.1:5432/postgres);
a scratch database is created and dropped.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PASSWORD = "bench-password-1"
PG_URL = os.environ.get("VOICE_BENCH_PG_URL",
                        "postgresql+psycopg://postgres@127.0.0.1:5432/postgres")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def prepare(url: str, clients: int) -> dict:
    """Schema, one staff member, ``clients`` customers with tokens, 8 markets."""
    from voice import create_app
    from voice.accounts import service as accounts
    from voice.extensions import db
    from voice.markets import service

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench",
                      "RATELIMIT_ENABLED": False})
    with app.app_context():
        db.create_all()
        staff = accounts.create_user("staff@bench.example", PASSWORD, "Bench Staff", "staff")
        tokens = []
        for n in range(clients):
            user = accounts.create_user(f"trader{n}@bench.example", PASSWORD, f"Trader {n}")
            tokens.append(accounts.issue_token(user.email, PASSWORD))
        markets = []
        for n in range(8):
            market = service.create_market(staff, f"Bench market {n}?", ["Yes", "No", "Maybe"],
                                           liquidity=200)
            markets.append((market.id, [o.id for o in service.get_market(market.id).outcomes]))
        db.session.remove()
        db.engine.dispose()
    return {"tokens": tokens, "markets": markets}


def audit(url: str) -> tuple[object, int]:
    from sqlalchemy import func, select

    from voice import create_app
    from voice.extensions import db
    from voice.markets import service
    from voice.markets.models import Trade

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        books = service.audit_books()
        trades = db.session.scalar(select(func.count(Trade.id)))
        db.session.remove()
        db.engine.dispose()
    return books, trades


class Server:
    def __init__(self, url: str, workers: int):
        self.port = free_port()
        env = {**os.environ, "VOICE_DATABASE_URL": url, "VOICE_RATELIMIT_ENABLED": "0",
               "VOICE_SECRET_KEY": "bench-secret"}
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "gunicorn"), "--workers", str(workers),
             "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "voice:create_app()"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                status, _ = self.request("GET", "/healthz")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not start")

    def request(self, method: str, path: str, body=None, token: str | None = None):
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=json.dumps(body) if body is not None else None,
                     headers=headers)
        response = conn.getresponse()
        data = response.read()
        conn.close()
        return response.status, data

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()


def run_scenario(server: Server, world: dict, trades: int, clients: int, one_market: bool):
    """``trades`` trades by ``clients`` threads; returns (seconds, statuses, latencies)."""
    per_client = trades // clients
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    lock = threading.Lock()

    def client(n: int) -> None:
        rng = random.Random(n)
        token = world["tokens"][n]
        market_id, outcomes = world["markets"][0 if one_market else n % len(world["markets"])]
        held = dict.fromkeys(outcomes, 0.0)
        for k in range(per_client):
            outcome = rng.choice(outcomes)
            if k % 3 == 0:
                body = {"outcome_id": outcome, "shares": round(rng.uniform(0.5, 5), 6)}
            elif k % 3 == 1:
                body = {"outcome_id": outcome, "spend": round(rng.uniform(0.5, 5), 2)}
            else:
                outcome = max(held, key=held.get)
                if held[outcome] <= 0:
                    body = {"outcome_id": outcome, "shares": 1}
                else:
                    body = {"outcome_id": outcome, "shares": -round(held[outcome] / 2, 6)}
            start = time.perf_counter()
            status, data = server.request("POST", f"/api/v1/markets/{market_id}/trades", body,
                                          token)
            elapsed = time.perf_counter() - start
            if status == 201:
                held[outcome] += json.loads(data)["trade"]["shares"]
            with lock:
                statuses[status] = statuses.get(status, 0) + 1
                latencies.append(elapsed)

    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(client, range(clients)))
    return time.perf_counter() - start, statuses, latencies


def bench_database(name: str, url: str, args) -> list[str]:
    world = prepare(url, args.clients)
    server = Server(url, args.workers)
    lines = []
    created = 0
    try:
        for one_market in (True, False):
            seconds, statuses, latencies = run_scenario(server, world, args.trades, args.clients,
                                                        one_market)
            created += statuses.get(201, 0)
            done = sum(statuses.values())
            latencies.sort()
            p95 = latencies[int(len(latencies) * 0.95) - 1]
            lines.append(
                f"{name:<11} {'one market' if one_market else 'many (8)':<11} {done:>7} "
                f"{done / seconds:>9.1f} {statistics.median(latencies) * 1000:>8.1f} "
                f"{p95 * 1000:>8.1f}   {dict(sorted(statuses.items()))}"
            )
    finally:
        server.stop()
    books, trades = audit(url)
    checks = {
        "balances = ledgers": not books.user_mismatches and not books.maker_mismatches,
        "q = Σ trades": not books.q_mismatches,
        "Σ accounts = Σ grants": books.users_total + books.makers_total == books.grants_total,
        "trades = 201 answers": trades == created,
    }
    verdict = ", ".join(f"{k}: {'ok' if v else 'FAILED'}" for k, v in checks.items())
    lines.append(f"{'':<11} invariants: {verdict}")
    if not all(checks.values()):
        lines.append("INVARIANT FAILURE")
    return lines


def sqlite_url() -> tuple[str, Path]:
    folder = Path(tempfile.mkdtemp(prefix="voice-bench-"))
    return f"sqlite:///{folder / 'bench.sqlite'}", folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer trades")
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=None, help="concurrent HTTP clients")
    parser.add_argument("--trades", type=int, default=None, help="trades per scenario")
    args = parser.parse_args()
    args.clients = args.clients or (6 if args.quick else 12)
    args.trades = args.trades or (60 if args.quick else 600)

    print(f"Trades through the API: gunicorn {args.workers} workers, {args.clients} clients, "
          f"{args.trades} trades per scenario")
    print(f"{'database':<11} {'markets':<11} {'trades':>7} {'trades/s':>9} {'p50 ms':>8} "
          f"{'p95 ms':>8}   answers")
    failed = False
    url, folder = sqlite_url()
    try:
        for line in bench_database("SQLite", url, args):
            failed |= line == "INVARIANT FAILURE"
            print(line, flush=True)
    finally:
        for path in folder.glob("*"):
            path.unlink()
        folder.rmdir()

    try:
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(PG_URL).set(drivername="postgresql").render_as_string(
            hide_password=False)
        name = f"voice_bench_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
    except Exception as error:  # noqa: BLE001 - no PostgreSQL here: say so and go on
        print(f"PostgreSQL   skipped: {error}")
    else:
        try:
            url = make_url(PG_URL).set(database=name).render_as_string(hide_password=False)
            for line in bench_database("PostgreSQL", url, args):
                failed |= line == "INVARIANT FAILURE"
                print(line, flush=True)
        finally:
            with psycopg.connect(admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    if failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
