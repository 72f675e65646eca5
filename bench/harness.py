"""The load-test harness: databases, gunicorn servers and wrk, on loopback only.

Every benchmark seeds its own data, starts its own servers on free loopback
ports, drives them from a separate process with ``wrk`` (closed loop, fixed
connections, fixed duration, a warm-up first) and stops them. ``wrk`` is a C
load generator that saturates a 2-core server from one thread per core, which a
Python client could not; a Lua script (bench/wrk/requests.lua) cycles through a
file of prepared requests, so writes can use many users' tokens and many targets.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
LUA = ROOT / "bench" / "wrk" / "requests.lua"
PG_SERVER = (
    os.environ.get("VOICE_BENCH_PG_URL")
    or os.environ.get("VOICE_TEST_DATABASE_URL")
    or "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
SECRET = "bench-secret-key-shared-by-every-server"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Database:
    backend: str
    url: str
    drop: callable | None = None


@contextmanager
def database(backend: str, schema: str = "migrate") -> Iterator[Database]:
    """A fresh database of ``backend`` ('sqlite' or 'postgresql'), removed after.

    ``schema`` is "migrate" (the Alembic revisions, as production) or "create_all"
    (the models' own schema; tests/test_migrations.py proves the two equal).
    """
    build = migrate if schema == "migrate" else create_all
    if backend == "sqlite":
        folder = Path(tempfile.mkdtemp(prefix="voice-bench-"))
        url = f"sqlite:///{folder / 'voice.sqlite'}"
        try:
            build(url)
            yield Database(backend, url)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        return
    import psycopg
    from sqlalchemy.engine import make_url

    name = f"voice_bench_{uuid.uuid4().hex[:10]}"
    admin = make_url(PG_SERVER).set(drivername="postgresql").render_as_string(False)
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(PG_SERVER).set(database=name).render_as_string(False)
    try:
        build(url)
        yield Database(backend, url)
    finally:
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def server_env(url: str, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "VOICE_DATABASE_URL": url,
        "VOICE_SECRET_KEY": SECRET,
        "VOICE_RATELIMIT_ENABLED": "0",
        "FLASK_APP": "voice",
    })
    env.update(extra)
    return env


def migrate(url: str) -> None:
    subprocess.run([str(BIN / "flask"), "db", "upgrade"], cwd=ROOT, env=server_env(url),
                   check=True, capture_output=True)


def create_all(url: str) -> None:
    code = ("from voice import create_app; from voice.extensions import db; "
            "app = create_app(); app.app_context().push(); db.create_all()")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=server_env(url), check=True,
                   capture_output=True)


class Server:
    """gunicorn serving ``app`` on a free loopback port, as ``make run`` does."""

    def __init__(self, url: str, *, app: str = "voice:create_app()", workers: int = 2,
                 env: dict[str, str] | None = None, threads: int = 1):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.command = [
            str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
            "--bind", f"127.0.0.1:{self.port}", "--log-level", "warning", app,
        ]
        self.env = server_env(url, **(env or {}))
        self.process: subprocess.Popen | None = None

    def start(self, health_path: str = "/healthz") -> Server:
        self.process = subprocess.Popen(self.command, cwd=ROOT, env=self.env,
                                        start_new_session=True)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(self.base + health_path, timeout=1) as answer:
                    if answer.status == 200:
                        return self
            except OSError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"server on {self.base} did not come up")

    def drain(self, health_path: str = "/healthz") -> None:
        """Wait until the server has worked off what a finished wrk run left queued.

        wrk stops counting at the end of its duration, but the requests it had sent are
        still in the listen queue and get processed (writes included); a health check
        sent now is answered only after them, so the next run starts on an idle server
        and invariants are checked on a settled database."""
        with urllib.request.urlopen(self.base + health_path, timeout=120) as answer:
            answer.read()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()

    def __enter__(self) -> Server:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


@dataclass
class LoadResult:
    requests: int
    seconds: float
    errors: int
    p50_ms: float
    p95_ms: float
    p99_ms: float
    http4xx: int = 0
    http5xx: int = 0
    socket: int = 0
    warmup: LoadResult | None = None  # the warm-up run before this one, when there was one

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    @property
    def answered_ok(self) -> int:
        """Requests answered below 400 in this run and its warm-up (writes that happened)."""
        own = self.requests - self.http4xx - self.http5xx - self.socket
        return own + (self.warmup.answered_ok if self.warmup else 0)


def write_requests(lines, path: Path | None = None) -> Path:
    """Write prepared requests ({method, path, token?, body?}) for the Lua script."""
    if path is None:
        descriptor, name = tempfile.mkstemp(suffix=".req")
        os.close(descriptor)
        path = Path(name)
    with open(path, "w") as handle:
        for line in lines:
            handle.write("\t".join([
                line.get("method", "GET"), line["path"], line.get("token", ""),
                json.dumps(line["body"]) if "body" in line else "",
            ]) + "\n")
    return path


def wrk(base: str, path: str = "/", *, connections: int = 16, seconds: float = 5,
        requests_file: Path | None = None, warmup: float = 1.0,
        warmup_file: Path | None = None, settle=None) -> LoadResult:
    """Drive ``base`` with wrk: a warm-up run, then the measured run.

    The warm-up replays ``warmup_file`` when given (so one-time requests, such as an
    anonymous survey's response tokens, are not spent twice), else ``requests_file``;
    ``settle()`` runs between the warm-up and the measured run.
    """
    if shutil.which("wrk") is None:
        raise RuntimeError("wrk is not installed: apt-get install -y wrk (make bench does it)")
    threads = max(1, min(2, connections))

    def run(duration: float, file: Path | None) -> LoadResult:
        env = dict(os.environ, VOICE_THREADS=str(threads))
        if file is not None:
            env["VOICE_REQUESTS"] = str(file)
        command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s",
                   "--timeout", "10s", "-s", str(LUA), base + path]
        output = subprocess.run(command, capture_output=True, text=True, env=env,
                                check=True).stdout
        summary = json.loads(output.strip().splitlines()[-1].split("VOICE_JSON ", 1)[1])
        return LoadResult(
            requests=summary["requests"], seconds=summary["duration_us"] / 1e6,
            errors=summary["errors"], p50_ms=summary["p50"] / 1000,
            p95_ms=summary["p95"] / 1000, p99_ms=summary["p99"] / 1000,
            http4xx=summary["http4xx"], http5xx=summary["http5xx"], socket=summary["socket"],
        )

    first = run(warmup, warmup_file or requests_file) if warmup > 0 else None
    if first is not None and settle is not None:
        settle()  # e.g. Server.drain: the warm-up's queued requests must not count against
        # the measured run (at 64 connections they are seconds of work for a slow write)
    result = run(seconds, requests_file)
    result.warmup = first
    return result


def api_call(base: str, method: str, path: str, *, token: str | None = None,
             body: dict | None = None) -> tuple[int, dict | None]:
    """One JSON API call (for setting up and checking a benchmark)."""
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(base + path, data=data, method=method)
    request.add_header("Content-Type", "application/json")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            raw = answer.read()
            return answer.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        raw = error.read()
        return error.code, json.loads(raw) if raw else None
