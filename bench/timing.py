"""Timing for the in-process growth benchmarks: the median of repeated runs."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def median_ms(work: Callable[[], object], runs: int, *, warmup: int = 3,
              after: Callable[[], object] | None = None) -> float:
    """Median milliseconds of ``runs`` calls of ``work``, after ``warmup`` untimed calls.

    ``after`` runs (untimed) after every call, e.g. ``db.session.rollback`` so each
    call starts with a fresh transaction and an empty identity map.
    """
    samples = []
    for n in range(warmup + runs):
        began = time.perf_counter()
        work()
        if n >= warmup:
            samples.append((time.perf_counter() - began) * 1000)
        if after is not None:
            after()
    return statistics.median(samples)


def median_ms_per_transaction(work: Callable[[], object], runs: int) -> float:
    """:func:`median_ms` with the database session rolled back after every call, so each
    starts with a fresh transaction and an empty identity map (inside an app context)."""
    from voice.extensions import db

    return median_ms(work, runs, after=db.session.rollback)
