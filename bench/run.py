"""The whole load-test suite in one command, with a table of figures and ratios.

    .venv/bin/python -m bench.run            # make bench: a few minutes on 2 cores
    .venv/bin/python -m bench.run --quick    # make bench-quick: the smoke version (< 1 min)

For each database (SQLite, then PostgreSQL): a fresh database, seeded in-process
(bench/world.py); gunicorn serving Voice and gunicorn serving the bare-Flask floor
(bench/floor_app.py), both as ``make run`` serves (sync workers, WORKERS=2); then, at
each concurrency, the floor, every scenario of bench/scenarios.py, and the floor again,
each driven by wrk (closed loop, fixed connections, fixed duration, a warm-up first).
The floor runs before the first scenario and again after every scenario; a scenario's
ratio is its throughput over the mean of the two floor runs just around it, so the
floor and the scenario are measured seconds apart on the same (noisy, shared) machine.
The floor row shows all its runs together (worst percentiles). Every write scenario is
followed by the invariant checks. The quick run measures the floor only before the
first scenario and after the last, and runs no warm-up (the ratios are then rougher;
it is there so the harness cannot rot, and must stay under a minute).

Then, in the full run, the scale-out scenario (two gunicorn servers on one PostgreSQL,
rate limits in Redis, the load split between them) and the growth benchmarks of the
domains (each prints its own table with ratios).

Exit status 1 if any error, any invariant violation, or (with --strict) a missed target.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from bench.harness import ROOT, LoadResult, Server, database, write_requests, wrk
from bench.scenarios import Scenario, scenarios
from bench.world import World, invariants, seed

REDIS = os.environ.get("VOICE_BENCH_REDIS_URL",
                       os.environ.get("VOICE_TEST_REDIS_URL", "redis://127.0.0.1:6379/0"))
#: The requests a prepared file holds per second of run: more than any write scenario
#: answers here, so a one-time request is never replayed.
REQUESTS_PER_SECOND = 1500
#: Growth benchmarks of the domains: (module, what it compares). Missing ones are skipped.
GROWTH = [
    ("bench.ideas_list", "ideas: 1,000 vs 100,000"),
    ("bench.surveys_results", "survey results: 1,000 vs 100,000 responses"),
    ("bench.admin_dashboard", "staff dashboard: 1,000,000 signals"),
    ("bench.admin_routing", "routing cost and the staff dashboard over many cases"),
]


@dataclass
class Row:
    backend: str
    scenario: Scenario
    connections: int
    result: LoadResult
    floor_rps: float
    invariants: str = ""

    @property
    def ratio(self) -> float:
        return self.result.rps / self.floor_rps if self.floor_rps else 0.0

    @property
    def verdict(self) -> str:
        problems = []
        if self.result.errors:
            problems.append("errors")
        if self.invariants not in ("", "ok"):
            problems.append("invariants")
        target = self.scenario.target
        if target is not None and self.ratio < target:
            problems.append(f"below {target}")
        return "ok" if not problems else ", ".join(problems)


@dataclass
class Settings:
    connections: tuple[int, ...]
    seconds: int
    warmup: float
    users: int
    ideas: int
    workers: int
    interleave: bool = True  # a floor run after every scenario, not only after the last


def ensure_wrk() -> None:
    if shutil.which("wrk"):
        return
    if os.geteuid() == 0 and shutil.which("apt-get"):
        print("Installing wrk (apt-get install -y wrk)...", flush=True)
        subprocess.run(["apt-get", "update", "-qq"], check=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True,
                       env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"})
        return
    sys.exit("wrk is missing: install it with `sudo apt-get install -y wrk`")


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores ({cpu}), Python {platform.python_version()}, "
            f"load average {load} at the start")


def load(scenario: Scenario, server: Server, connections: int, settings: Settings,
         folder: Path) -> LoadResult:
    try:
        return _load(scenario, server, connections, settings, folder)
    finally:
        server.drain()


def _load(scenario: Scenario, server: Server, connections: int, settings: Settings,
          folder: Path) -> LoadResult:
    base = server.base
    if scenario.requests is None:
        return wrk(base, scenario.path, connections=connections, seconds=settings.seconds,
                   warmup=settings.warmup, settle=server.drain)
    measured = write_requests(scenario.requests(REQUESTS_PER_SECOND * settings.seconds),
                              folder / "measured.req")
    warmup = None
    if scenario.kind == "survey":  # one-time tokens: the warm-up spends its own
        warmup = write_requests(scenario.requests(REQUESTS_PER_SECOND * settings.warmup),
                                folder / "warmup.req")
    return wrk(base, "/", connections=connections, seconds=settings.seconds,
               warmup=settings.warmup, requests_file=measured, warmup_file=warmup,
               settle=server.drain)


def check(url: str, world: World) -> str:
    found = invariants(url, world)
    return "ok" if found.ok else "; ".join(found.failures)


def run_backend(backend: str, settings: Settings, folder: Path) -> list[Row]:
    rows: list[Row] = []
    with database(backend, schema="create_all") as db:
        began = time.perf_counter()
        world = seed(db.url, users=settings.users, ideas=settings.ideas)
        print(f"{backend}: seeded {settings.users} customers with tokens, "
              f"{settings.ideas:,} ideas, 1 survey, 101 markets in "
              f"{time.perf_counter() - began:.1f} s", flush=True)
        all_scenarios = scenarios(world, db.url)
        floor_scenario = all_scenarios[0]
        with Server(db.url, app="bench.floor_app:app", workers=settings.workers) as floor, \
                Server(db.url, workers=settings.workers) as voice:
            for connections in settings.connections:
                floors = [load(floor_scenario, floor, connections, settings, folder)]
                measured = []
                for scenario in all_scenarios[1:]:
                    result = load(scenario, voice, connections, settings, folder)
                    verdict = check(db.url, world) if scenario.writes else ""
                    if settings.interleave or scenario is all_scenarios[-1]:
                        floors.append(load(floor_scenario, floor, connections, settings,
                                           folder))
                    measured.append((scenario, result, verdict))
                    print(f"  {backend} c={connections} {scenario.name}: "
                          f"{result.rps:.0f} req/s (floor {floors[-1].rps:.0f}), "
                          f"{result.errors} errors {verdict}", flush=True)
                merged = LoadResult(
                    requests=sum(f.requests for f in floors),
                    seconds=sum(f.seconds for f in floors), errors=sum(f.errors for f in floors),
                    p50_ms=max(f.p50_ms for f in floors), p95_ms=max(f.p95_ms for f in floors),
                    p99_ms=max(f.p99_ms for f in floors))
                rows.append(Row(backend, floor_scenario, connections, merged, merged.rps))
                for n, (scenario, result, verdict) in enumerate(measured):
                    before, after = (floors[n], floors[n + 1]) if settings.interleave else (
                        floors[0], floors[-1])
                    rows.append(Row(backend, scenario, connections, result,
                                    (before.rps + after.rps) / 2, verdict))
    return rows


def run_scaleout(settings: Settings, folder: Path) -> list[Row]:
    """Two gunicorn servers on one PostgreSQL, rate limits on and kept in Redis; wrk sends
    half the connections to each, votes then trades; the invariants are checked after."""
    rows: list[Row] = []
    connections = max(settings.connections)
    with database("postgresql", schema="create_all") as db:
        world = seed(db.url, users=settings.users, ideas=min(settings.ideas, 2_000))
        chosen = {s.kind: s for s in scenarios(world, db.url)}
        env = {"VOICE_RATELIMIT_ENABLED": "1", "VOICE_RATELIMIT_STORAGE_URL": REDIS,
               "VOICE_RATELIMIT_KEY_PREFIX": f"bench-{uuid.uuid4().hex}"}
        one = Server(db.url, workers=settings.workers, env=env).start()
        two = Server(db.url, workers=settings.workers, env=env).start()
        try:
            for kind in ("vote", "spread", "hot"):
                scenario = chosen[kind]
                halves = [folder / "one", folder / "two"]
                for half in halves:
                    half.mkdir(exist_ok=True)
                with ThreadPoolExecutor(2) as pool:
                    futures = [pool.submit(load, scenario, server, connections // 2,
                                           settings, half)
                               for server, half in zip((one, two), halves, strict=True)]
                    parts = [f.result() for f in futures]
                combined = LoadResult(
                    requests=sum(p.requests for p in parts),
                    seconds=max(p.seconds for p in parts),
                    errors=sum(p.errors for p in parts),
                    p50_ms=max(p.p50_ms for p in parts), p95_ms=max(p.p95_ms for p in parts),
                    p99_ms=max(p.p99_ms for p in parts))
                verdict = check(db.url, world)
                named = Scenario(f"2 servers: {scenario.name}", scenario.kind,
                                 requests=scenario.requests, writes=True)
                rows.append(Row("postgresql", named, connections, combined, 0.0, verdict))
                print(f"  scale-out {scenario.name}: {combined.rps:.0f} req/s, "
                      f"{combined.errors} errors, invariants {verdict}", flush=True)
        finally:
            one.stop()
            two.stop()
    return rows


def print_table(rows: list[Row]) -> None:
    header = (f"{'database':<10} {'scenario':<38} {'conns':>5} {'req/s':>7} {'floor':>6} "
              f"{'target':>6} {'p50 ms':>7} {'p95 ms':>7} {'p99 ms':>7} {'errors':>6} "
              f"{'invariants':<10} verdict")
    print("\n" + header)
    print("-" * len(header))
    for row in rows:
        r = row.result
        ratio = f"{row.ratio:.2f}" if row.floor_rps and row.scenario.kind != "floor" else "-"
        target = f"{float(row.scenario.target):.2f}" if row.scenario.target else "-"
        if not row.floor_rps:
            target = "-"
        verdict = row.verdict if row.floor_rps else (
            "ok" if not r.errors and row.invariants == "ok" else "errors or invariants")
        print(f"{row.backend:<10} {row.scenario.name:<38} {row.connections:>5} {r.rps:>7.0f} "
              f"{ratio:>6} {target:>6} {r.p50_ms:>7.1f} {r.p95_ms:>7.1f} {r.p99_ms:>7.1f} "
              f"{r.errors:>6} {row.invariants or '-':<10} {verdict}")


def run_growth(quick: bool) -> None:
    for module, what in GROWTH:
        if not (ROOT / (module.replace(".", "/") + ".py")).exists():
            print(f"\n== growth: {what}: {module} does not exist yet, skipped")
            continue
        print(f"\n== growth: {what}  ({sys.executable} -m {module}"
              f"{' --quick' if quick else ''})", flush=True)
        began = time.perf_counter()
        command = [sys.executable, "-m", module] + (["--quick"] if quick else [])
        finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        print(finished.stdout.rstrip())
        if finished.returncode:
            print(f"FAILED ({finished.returncode}): {finished.stderr[-2000:]}")
        print(f"({time.perf_counter() - began:.0f} s)", flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="the smoke version (< 1 min)")
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--connections", default=None, help="e.g. 16,64")
    parser.add_argument("--seconds", type=int, default=None, help="measured seconds per run")
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", 2)))
    parser.add_argument("--growth", choices=["quick", "full", "none"], default=None,
                        help="the domains' growth benchmarks (full run default: quick sizes)")
    parser.add_argument("--no-scaleout", action="store_true")
    parser.add_argument("--strict", action="store_true", help="a missed target fails the run")
    args = parser.parse_args(argv)
    ensure_wrk()
    quick = args.quick
    settings = Settings(
        connections=tuple(int(c) for c in (args.connections or ("16" if quick else "16,64"))
                          .split(",")),
        seconds=args.seconds or (1 if quick else 3), warmup=0 if quick else 1,
        users=32 if quick else 200, ideas=1_000 if quick else 10_000, workers=args.workers,
        interleave=not quick)
    began = time.perf_counter()
    print(f"Voice load test{' (quick)' if quick else ''}: {machine()}")
    print(f"gunicorn sync workers: {settings.workers} per server; wrk: 2 threads, "
          f"{settings.warmup} s warm-up + {settings.seconds} s measured per run; "
          f"connections {', '.join(map(str, settings.connections))}")
    print("The machine may be shared: absolute figures are noisy, the ratios to the floor "
          "(measured side by side in this run) are the comparable figures.", flush=True)
    rows: list[Row] = []
    with _scratch() as folder:
        for backend in args.backends.split(","):
            rows += run_backend(backend, settings, folder)
        if not quick and not args.no_scaleout and "postgresql" in args.backends:
            rows += run_scaleout(settings, folder)
    print_table(rows)
    growth = args.growth or ("none" if quick else "quick")
    if growth != "none":
        run_growth(quick=growth == "quick")
    print(f"\nTotal time {time.perf_counter() - began:.0f} s; "
          f"load average {' '.join(f'{x:.2f}' for x in os.getloadavg())} at the end")
    failed = [r for r in rows if r.result.errors or r.invariants not in ("", "ok")]
    missed = [r for r in rows if r.floor_rps and r.scenario.target
              and r.ratio < r.scenario.target]
    if failed:
        print(f"FAILED: {len(failed)} runs with errors or broken invariants")
    if missed:
        print(f"Targets missed: {len(missed)} (see the verdict column)")
    return 1 if failed or (args.strict and missed) else 0


class _scratch:
    def __enter__(self) -> Path:
        import tempfile

        self.path = Path(tempfile.mkdtemp(prefix="voice-bench-req-"))
        return self.path

    def __exit__(self, *exc) -> None:
        shutil.rmtree(self.path, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
