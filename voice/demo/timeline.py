"""The demo's clock: its history spans weeks, so each step happens at a time of its own.

Every service the demo runs through ``at`` takes that time as its ``now`` keyword
(ideas, votes, comments, statuses, merges, markets, cases, responses, updates), so each
row the demo writes carries the moment of the story it belongs to.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any


def at(when: datetime, service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``service(*args, **kwargs)`` as if it ran at ``when`` (passed as ``now``)."""
    return service(*args, now=when, **kwargs)


def days_ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)


def moments(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """``count`` random times between ``start`` and ``end``, in order."""
    span = max((end - start).total_seconds(), 0.0)
    return sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
