"""Crashes under load lose nothing.

A gunicorn server (two workers) on a fresh migrated database of each backend takes
concurrent trading (markets API) and voting (ideas API) from threads. Mid-load one
worker is killed with SIGKILL (gunicorn starts another), then the whole server
(os.killpg, SIGKILL: no clean shutdown, transactions cut in the middle). The
server is started again on the same database, and then:

- every trade and vote the server acknowledged is there (nothing acknowledged is lost);
- every balance equals its ledger, points are conserved, each q equals the sum of its
  trades (voice.markets.service.audit_books);
- every idea's vote count equals its vote rows;
- the restarted server trades and votes again.

The other faults have their own tests: the database stopped (tests/test_outage.py:
503 page and JSON, recovery without restart) and SMTP down (tests/test_mail_delivery.py:
mail stays queued and is retried).
"""

from __future__ import annotations

import os
import random
import signal
import threading
import time
import urllib.error
from pathlib import Path

import pytest

from bench.harness import Server, api_call, database
from tests.conftest import BACKENDS

PASSWORD = "crash-password-1"
TRADERS = 6


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid`` (the gunicorn workers of a master)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry.name))
    return found


def call(base, method, path, token=None, body=None):
    try:
        return api_call(base, method, path, token=token, body=body)
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, None  # the server died under this request: outcome unknown


def seed(base: str, url: str) -> dict:
    from voice import create_app
    from voice.accounts import service
    from voice.extensions import db

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "crash"})
    with app.app_context():
        service.create_user("staff@example.com", PASSWORD, "Staff", "staff")
        db.session.remove()
        db.engine.dispose()
    tokens = []
    for number in range(TRADERS):
        status, _ = api_call(base, "POST", "/api/v1/accounts", body={
            "email": f"trader{number}@example.com", "password": PASSWORD,
            "display_name": f"Trader {number}"})
        assert status == 201
        status, body = api_call(base, "POST", "/api/v1/tokens", body={
            "email": f"trader{number}@example.com", "password": PASSWORD})
        tokens.append(body["token"])
    _, staff = api_call(base, "POST", "/api/v1/tokens",
                        body={"email": "staff@example.com", "password": PASSWORD})
    status, market = api_call(base, "POST", "/api/v1/markets", token=staff["token"], body={
        "question": "Will the server survive?", "outcomes": ["Yes", "No", "Maybe"],
        "liquidity": 200})
    assert status == 201
    ideas = []
    for number in range(3):
        status, idea = api_call(base, "POST", "/api/v1/ideas", token=tokens[number], body={
            "title": f"Crash-proof idea {number}", "description": "Votes under fire."})
        assert status == 201
        ideas.append(idea["id"])
    return {"tokens": tokens, "market": market, "ideas": ideas}


class Load:
    """Threads trading and voting until told to stop; what the server acknowledged."""

    def __init__(self, base: str, world: dict):
        self.base, self.world = base, world
        self.stop = threading.Event()
        self.trades: list[int] = []  # ids of acknowledged trades
        self.votes: dict[tuple[int, int], bool] = {}  # (user, idea) -> last acknowledged
        self.counts = {"ok": 0, "refused": 0, "cut": 0, "server_error": 0}
        self.lock = threading.Lock()

    def note(self, kind: str) -> None:
        with self.lock:
            self.counts[kind] += 1

    def run(self, number: int) -> None:
        rng = random.Random(number)
        token = self.world["tokens"][number]
        market = self.world["market"]
        outcomes = [o["id"] for o in market["outcomes"]]
        while not self.stop.is_set():
            if rng.random() < 0.6:
                body = {"outcome_id": rng.choice(outcomes)}
                if rng.random() < 0.7:
                    body["spend"] = round(rng.uniform(0.5, 8), 2)
                else:
                    body["shares"] = -round(rng.uniform(0.1, 2), 3)  # a sale (may be refused)
                status, answer = call(self.base, "POST", f"/api/v1/markets/{market['id']}/trades",
                                      token, body)
                if status == 201:
                    with self.lock:
                        self.trades.append(answer["trade"]["id"])
            else:
                idea = rng.choice(self.world["ideas"])
                method = "POST" if rng.random() < 0.6 else "DELETE"
                status, answer = call(self.base, method, f"/api/v1/ideas/{idea}/vote", token)
                if status == 200:
                    with self.lock:
                        self.votes[(number, idea)] = answer["voted"]
            if status is None:
                self.note("cut")
                time.sleep(0.05)
            elif status >= 500:
                self.note("server_error")
            elif status in (200, 201):
                self.note("ok")
            else:
                self.note("refused")


def check_invariants(url: str, load: Load) -> dict:
    from sqlalchemy import func, select

    from voice import create_app
    from voice.extensions import db
    from voice.ideas.models import Idea, Vote
    from voice.markets.models import Trade
    from voice.markets.service import audit_books

    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "crash"})
    with app.app_context():
        stored = set(db.session.scalars(select(Trade.id)))
        lost = [t for t in load.trades if t not in stored]
        assert lost == [], f"acknowledged trades lost: {lost}"
        books = audit_books()
        assert books.balanced, books
        counts = dict(db.session.execute(select(Idea.id, Idea.vote_count)).all())
        rows = dict(db.session.execute(
            select(Vote.idea_id, func.count(Vote.id)).group_by(Vote.idea_id)).all())
        for idea_id, vote_count in counts.items():
            assert vote_count == rows.get(idea_id, 0), (idea_id, vote_count, rows)
        # the last acknowledged vote of each (user, idea) may have been changed again by a
        # later request cut mid-flight, so only counts are compared; a vote row exists at
        # most once per (user, idea):
        pairs = db.session.execute(
            select(Vote.user_id, Vote.idea_id, func.count()).group_by(Vote.user_id, Vote.idea_id)
        ).all()
        assert all(n == 1 for _u, _i, n in pairs)
        summary = {"trades": len(stored), "acknowledged": len(load.trades),
                   "votes": sum(rows.values())}
        db.session.remove()
        db.engine.dispose()
    return summary


@pytest.mark.parametrize("backend", BACKENDS)  # PostgreSQL when configured; CI requires it
def test_sigkill_mid_load_loses_nothing(backend):
    with database(backend) as db:
        server = Server(db.url, workers=2, env={"VOICE_RATELIMIT_ENABLED": "0"}).start()
        try:
            world = seed(server.base, db.url)
            load = Load(server.base, world)
            threads = [threading.Thread(target=load.run, args=(n,), daemon=True)
                       for n in range(TRADERS)]
            for thread in threads:
                thread.start()
            time.sleep(2.0)
            workers = children(server.process.pid)
            assert len(workers) == 2, workers
            os.kill(workers[0], signal.SIGKILL)  # one worker dies mid-request
            time.sleep(2.0)
            acknowledged_before = len(load.trades)
            os.killpg(server.process.pid, signal.SIGKILL)  # then the whole server
            server.process.wait(timeout=10)
            time.sleep(0.5)
            load.stop.set()
            for thread in threads:
                thread.join(timeout=30)
        finally:
            server.stop()
        assert load.counts["server_error"] == 0, load.counts
        assert acknowledged_before > 20 and load.counts["cut"] >= 1, load.counts
        summary = check_invariants(db.url, load)

        with Server(db.url, workers=2, env={"VOICE_RATELIMIT_ENABLED": "0"}) as again:
            token = world["tokens"][0]
            market = world["market"]
            status, _ = api_call(again.base, "POST", f"/api/v1/markets/{market['id']}/trades",
                                 token=token, body={"outcome_id": market["outcomes"][0]["id"],
                                                    "spend": 1})
            assert status == 201
            status, _ = api_call(again.base, "POST", f"/api/v1/ideas/{world['ideas'][0]}/vote",
                                 token=world["tokens"][5])
            assert status == 200
        check_invariants(db.url, load)
        print(f"\n{backend}: {load.counts}, {summary}")
