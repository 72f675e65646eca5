"""The demo's clock: its history spans weeks, so each step happens at a time of its own.

The services take that time as a ``now`` keyword (markets, cases and survey responses
already do). ``at`` passes it to a service that takes one and calls any other at the
present, so the demo loads whichever services have their ``now`` yet; the rest of its
story (which idea a market is about, what an update announces) does not depend on it.
"""

from __future__ import annotations

import inspect
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from functools import cache
from typing import Any


@cache
def takes_now(service: Callable[..., Any]) -> bool:
    """Whether ``service`` has a ``now`` parameter (asked once per function)."""
    return "now" in inspect.signature(service).parameters


def at(when: datetime, service: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """``service(*args, **kwargs)`` as if it ran at ``when``."""
    if takes_now(service):
        kwargs["now"] = when
    return service(*args, **kwargs)


def days_ago(now: datetime, days: float) -> datetime:
    return now - timedelta(days=days)


def moments(rng: random.Random, start: datetime, end: datetime, count: int) -> list[datetime]:
    """``count`` random times between ``start`` and ``end``, in order."""
    span = max((end - start).total_seconds(), 0.0)
    return sorted(start + timedelta(seconds=rng.uniform(0, span)) for _ in range(count))
