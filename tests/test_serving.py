"""``make run``'s gunicorn set-up, started for real (issue 13, accounts and sessions).

Every server here is gunicorn with voice/gunicorn_conf.py, the file the Makefile's run
target serves with, so the test and ``make run`` cannot drift: one process with threads,
so the rate limits (memory storage) hold exactly; several processes refused without a
shared storage; slow clients hold a thread each, not the site. Loopback only, on a
fresh migrated SQLite database; every loop is bounded and every server is killed.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import threading
import time
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from bench.harness import BIN, ROOT, Server, api_call, database, server_env

CONF = ROOT / "voice" / "gunicorn_conf.py"
REDIS = os.environ.get("VOICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
LIMITED = {"VOICE_RATELIMIT_ENABLED": "1", "VOICE_RATELIMIT_STORAGE_URL": "memory://"}


class ConfiguredServer(Server):
    """gunicorn with the run target's config file (only the port and log level added)."""

    def __init__(self, url: str, env: dict[str, str]):
        super().__init__(url, env=env)
        self.command = [str(BIN / "gunicorn"), "-c", str(CONF),
                        "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning",
                        "voice:create_app()"]


@pytest.fixture(scope="module")
def sqlite_database():
    with database("sqlite") as db:
        yield db


def bad_logins(base: str, count: int) -> list[int]:
    """``count`` wrong sign-ins from one address, four at a time."""
    def attempt(_: int) -> int:
        return api_call(base, "POST", "/api/v1/tokens",
                        body={"email": "nobody@example.com", "password": "wrong-pass"})[0]

    with ThreadPoolExecutor(4) as pool:
        return list(pool.map(attempt, range(count)))


def test_the_login_limit_holds_exactly_across_the_server(sqlite_database):
    with ConfiguredServer(sqlite_database.url, LIMITED) as server:
        statuses = bad_logins(server.base, 14)
    assert sorted(statuses) == [401] * 10 + [429] * 4  # 10 a minute per address


def redis_reachable() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


@pytest.mark.skipif(not redis_reachable(), reason="no Redis on 127.0.0.1:6379")
def test_several_workers_share_the_limit_through_redis(sqlite_database):
    env = {"VOICE_RATELIMIT_ENABLED": "1", "VOICE_RATELIMIT_STORAGE_URL": REDIS,
           "VOICE_RATELIMIT_KEY_PREFIX": f"serving-{uuid.uuid4().hex}", "VOICE_WORKERS": "2"}
    with ConfiguredServer(sqlite_database.url, env) as server:
        statuses = bad_logins(server.base, 14)
    assert sorted(statuses) == [401] * 10 + [429] * 4


def trickle(port: int, stop: threading.Event, seconds: float) -> None:
    """A client sending its request a byte every 0.5 s, for at most ``seconds``."""
    request = b"POST /api/v1/tokens HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 40\r\n\r\n"
    deadline = time.monotonic() + seconds
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        for byte in request:
            if stop.is_set() or time.monotonic() > deadline:
                return
            sock.sendall(bytes([byte]))
            stop.wait(0.5)


def test_two_slow_clients_leave_healthz_prompt(sqlite_database):
    stop = threading.Event()
    with ConfiguredServer(sqlite_database.url, LIMITED) as server:
        slow = [threading.Thread(target=trickle, args=(server.port, stop, 12.0)) for _ in range(2)]
        try:
            for client in slow:
                client.start()
            time.sleep(1.0)  # both are sending by now
            asked = time.monotonic()
            with urllib.request.urlopen(server.base + "/healthz", timeout=15) as answer:
                status = answer.status
            waited = time.monotonic() - asked
            still_sending = [client.is_alive() for client in slow]
        finally:
            stop.set()
            for client in slow:
                client.join(timeout=5)
    assert status == 200
    assert still_sending == [True, True]  # answered before the slow clients finished
    assert waited < 3, waited


def test_several_workers_with_memory_storage_are_refused(sqlite_database):
    env = server_env(sqlite_database.url, VOICE_WORKERS="2", **LIMITED)
    process = subprocess.Popen(
        [str(BIN / "gunicorn"), "-c", str(CONF), "--bind", "127.0.0.1:0", "voice:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        _, err = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
    assert process.returncode != 0
    assert "set VOICE_RATELIMIT_STORAGE_URL=redis://" in err, err


def test_make_run_serves_with_the_config_file():
    """The run target's gunicorn line takes its settings from the file tested here."""
    lines = [line for line in (ROOT / "Makefile").read_text().splitlines()
             if "/gunicorn " in line]
    assert len(lines) == 1 and "-c voice/gunicorn_conf.py" in lines[0], lines
    assert "--workers" not in lines[0] and "--threads" not in lines[0], lines
