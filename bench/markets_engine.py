"""Quotes per second of the LMSR engine against a naive pure-Python implementation.

    .venv/bin/python -m bench.markets_engine [--quick]

A quote is what the quote API computes: the cost of buying s shares of outcome i
and the prices after. Three implementations run side by side on the same random
states, n = 2, 10 and 20 outcomes, several rounds; medians are printed:

- naive: the textbook formulas in pure Python (math.exp sums);
- engine: voice.markets.lmsr (numpy, log-sum-exp, log1p/expm1);
- service: voice.markets.service.price_trade, the engine plus the exact Decimal rounding
  the trade path uses (integers in, integers out).

It also counts how many extreme states (q/b up to 1e6) each one gets wrong.
"""

from __future__ import annotations

import argparse
import math
import random
import statistics
import time

from voice.markets import lmsr
from voice.markets.service import price_trade


def naive_quote(q: list[float], i: int, shares: float, b: float) -> tuple[float, list[float]]:
    before = b * math.log(sum(math.exp(x / b) for x in q))
    after_q = list(q)
    after_q[i] += shares
    exps = [math.exp(x / b) for x in after_q]
    total = sum(exps)
    return b * math.log(total) - before, [e / total for e in exps]


def engine_quote(q: list[float], i: int, shares: float, b: float) -> tuple[float, list[float]]:
    after_q = list(q)
    after_q[i] += shares
    return lmsr.buy_cost(q, i, shares, b), list(lmsr.prices(after_q, b))


def make_cases(rng: random.Random, n: int, count: int) -> list[tuple]:
    cases = []
    for _ in range(count):
        b = rng.uniform(50, 500)
        q = [rng.uniform(-3, 3) * b for _ in range(n)]
        cases.append((q, rng.randrange(n), rng.uniform(0.5, 50), b))
    return cases


def rate(fn, cases) -> float:
    start = time.perf_counter()
    for case in cases:
        fn(*case)
    return len(cases) / (time.perf_counter() - start)


def service_case(case):
    q, i, shares, b = case
    return ([round(x * 1_000_000) for x in q], round(b * 100), i, round(shares * 1_000_000))


def extreme_failures(rng: random.Random, n: int, count: int) -> tuple[int, int]:
    naive_bad = engine_bad = 0
    for _ in range(count):
        b = 100.0
        q = [rng.uniform(-1e6, 1e6) * b for _ in range(n)]
        i = rng.randrange(n)
        try:
            cost, prices = naive_quote(q, i, 10.0, b)
            if not (math.isfinite(cost) and all(math.isfinite(p) for p in prices)):
                naive_bad += 1
        except (OverflowError, ValueError, ZeroDivisionError):
            naive_bad += 1
        cost, prices = engine_quote(q, i, 10.0, b)
        if not (math.isfinite(cost) and all(math.isfinite(p) for p in prices)
                and abs(sum(prices) - 1) < 1e-9):
            engine_bad += 1
    return naive_bad, engine_bad


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer quotes and rounds")
    args = parser.parse_args()
    count, rounds = (1_000, 3) if args.quick else (5_000, 5)
    rng = random.Random(5)
    print(f"LMSR quotes per second ({count} quotes per round, median of {rounds} rounds)")
    print(f"{'n':>3} {'naive':>10} {'engine':>10} {'service':>10} {'engine/naive':>13} "
          f"{'naive fails':>12} {'engine fails':>13}")
    for n in (2, 10, 20):
        cases = make_cases(rng, n, count)
        integer_cases = [service_case(c) for c in cases]
        naive, engine, exact = [], [], []
        for _ in range(rounds):  # interleaved, so drift hits all three alike
            naive.append(rate(naive_quote, cases))
            engine.append(rate(engine_quote, cases))
            exact.append(rate(lambda q, b, i, s: price_trade(q, b, i, shares=s), integer_cases))
        naive_bad, engine_bad = extreme_failures(rng, n, 200)
        m_naive, m_engine, m_exact = (statistics.median(x) for x in (naive, engine, exact))
        print(f"{n:>3} {m_naive:>10,.0f} {m_engine:>10,.0f} {m_exact:>10,.0f} "
              f"{m_engine / m_naive:>12.2f}x {naive_bad:>8}/200 {engine_bad:>9}/200")
    print("fails: extreme states with q/b up to ±1e6 that give inf, nan or an error")


if __name__ == "__main__":
    main()
