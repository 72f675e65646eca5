"""Two gunicorn servers on one PostgreSQL, rate limits shared through Redis.

The servers are separate processes on separate ports with the same secret key,
as they would be behind a load balancer: a token made on one works on the other,
writes split between them lose nothing, and a client cannot dodge a rate limit
by switching servers.
"""

from __future__ import annotations

import os
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.harness import Server, api_call, database

pytestmark = pytest.mark.scaleout

REDIS = os.environ.get("VOICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture(scope="module")
def pg_database():
    with database("postgresql") as db:
        yield db


def servers(db, **env):
    return Server(db.url, env=env).start(), Server(db.url, env=env).start()


def test_servers_share_state_and_lose_no_write(pg_database):
    one, two = servers(pg_database)
    try:
        def register(i: int) -> int:
            target = (one, two)[i % 2]
            status, _ = api_call(target.base, "POST", "/api/v1/accounts", body={
                "email": f"scale{i}@example.com", "password": "long-enough-pw",
                "display_name": f"Scale {i}"})
            return status

        with ThreadPoolExecutor(16) as pool:
            statuses = list(pool.map(register, range(40)))
        assert statuses == [201] * 40
        _, token = api_call(one.base, "POST", "/api/v1/tokens",
                            body={"email": "scale7@example.com", "password": "long-enough-pw"})
        status, me = api_call(two.base, "GET", "/api/v1/me", token=token["token"])
        assert status == 200 and me["email"] == "scale7@example.com"
        # the same email through the other server is still one account
        status, body = api_call(two.base, "POST", "/api/v1/accounts", body={
            "email": "scale8@example.com", "password": "long-enough-pw", "display_name": "X"})
        assert status == 409 and body["error"]["code"] == "email_taken"
    finally:
        one.stop()
        two.stop()


def bad_logins(one, two, count: int) -> list[int]:
    return [
        api_call((one, two)[i % 2].base, "POST", "/api/v1/tokens",
                 body={"email": "nobody@example.com", "password": "wrong-pass"})[0]
        for i in range(count)
    ]


def test_rate_limit_is_shared_across_servers_through_redis(pg_database):
    one, two = servers(pg_database, VOICE_RATELIMIT_ENABLED="1",
                       VOICE_RATELIMIT_STORAGE_URL=REDIS,
                       VOICE_RATELIMIT_KEY_PREFIX=f"test-{uuid.uuid4().hex}")
    try:
        statuses = bad_logins(one, two, 14)
    finally:
        one.stop()
        two.stop()
    assert statuses[:10] == [401] * 10  # the limit is 10 a minute per address
    assert statuses[10:] == [429] * 4


def test_memory_storage_would_not_share_the_limit(pg_database):
    """Why Redis: with per-process memory storage, switching servers dodges the limit."""
    one, two = servers(pg_database, VOICE_RATELIMIT_ENABLED="1",
                       VOICE_RATELIMIT_STORAGE_URL="memory://")
    try:
        statuses = bad_logins(one, two, 14)
    finally:
        one.stop()
        two.stop()
    assert statuses.count(401) > 10


def test_votes_and_trades_split_between_servers_keep_the_invariants(pg_database):
    """Votes and trades from 16 threads, alternating between the two servers: every
    request answered, no update lost, and the books balance (bench/world.py checks)."""
    from sqlalchemy import select

    from bench.world import app_for, invariants, seed
    from voice.extensions import db
    from voice.ideas.models import Idea

    world = seed(pg_database.url, users=8, ideas=40)
    ideas = world.vote_ideas[:4]

    def vote_counts() -> dict[int, int]:
        with app_for(pg_database.url):
            return dict(db.session.execute(
                select(Idea.id, Idea.vote_count).where(Idea.id.in_(ideas))).all())

    before = vote_counts()
    trades_before = invariants(pg_database.url, world).counts["trades"]
    one, two = servers(pg_database)
    try:
        def work(i: int) -> tuple[int, int]:
            target, token = (one, two)[i % 2].base, world.tokens[i % 8]
            # 8 distinct (user, idea) pairs, each voted 8 times: idempotent across servers
            voted, _ = api_call(target, "POST", f"/api/v1/ideas/{ideas[i % 4]}/vote",
                                token=token)
            market_id, outcomes = (world.hot_market if i % 2 else
                                   world.spread_markets[i % len(world.spread_markets)])
            traded, _ = api_call(target, "POST", f"/api/v1/markets/{market_id}/trades",
                                 token=token, body={"outcome_id": outcomes[i % 3], "spend": 2})
            return voted, traded

        with ThreadPoolExecutor(16) as pool:
            answers = list(pool.map(work, range(64)))
    finally:
        one.stop()
        two.stop()
    assert answers == [(200, 201)] * 64
    after = vote_counts()
    # users u and u+4 vote for ideas[u % 4]: two new votes each (none had voted before,
    # the seeded votes are by other, bulk-made users)
    assert {i: after[i] - before[i] for i in ideas} == dict.fromkeys(ideas, 2)
    checked = invariants(pg_database.url, world)
    assert checked.failures == []
    assert checked.counts["trades"] - trades_before == 64
