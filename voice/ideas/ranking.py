"""Trending: which ideas are moving now, on a fixed clock. Pure: standard library only.

Two numbers, one stored and one read.

**The window (stored).** Each idea stores::

    hot = log10(1 + votes + W * comments) + (created - EPOCH) / TAU

(``ideas.hot_score``, indexed). At a moment ``t``, ``hot - (t - EPOCH) / TAU`` is the
idea's support less its age in units of ``TAU``; the subtracted term is the same for every
idea, so the stored number never needs recomputing as time passes. An idea is *in the
trending window* while ``hot >= window_floor(t) = (t - EPOCH) / TAU - WINDOW_DEPTH``: an
idea without votes for ``WINDOW_DEPTH * TAU`` (30 days), each tenfold of support three
days longer. That is a range of the index, so the candidates are read without a scan of
the board. The ``1 +`` makes the first vote count (``log10(max(1, votes))`` gave 0 for
both 0 and 1 vote).

**The order (read).** Inside the window ideas are ordered by Fider's gravity::

    trending(t) = (1 + votes + W * comments) / (hours since created + 2) ** GRAVITY

computed when the board is read, so the order ages by time alone: a young idea's lead
over an older, better supported one wears off as both grow older, with no vote cast
(two ideas' ratio is ``(a + 2) / (b + 2)`` to the power ``GRAVITY``, which tends to 1).
Fider (``trending`` in its post store) divides by the same ``(hours + 2) ** 1.4``; its
numerator counts votes and comments of the last 30 days, ours counts all of them but
only ideas in the window compete. Ideas done or declined are left out by the board
(``voice.ideas.sql``): voting on them is closed.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import datetime
from typing import TypeVar

Key = TypeVar("Key", int, str)

#: Seconds of age that cost as much as dividing support by ten (the window's unit).
TAU = 3 * 24 * 3600
#: What a comment is worth in votes.
COMMENT_WEIGHT = 0.5
#: A fixed origin for the time term, so the numbers stay small and exact in a double.
EPOCH = datetime(2024, 1, 1)
#: How far below "now" (in units of TAU) the window reaches: 10 * 3 days = 30 days.
WINDOW_DEPTH = 10.0
#: Fider's gravity: the exponent of the age and the hours added to it.
GRAVITY = 1.4
GRAVITY_HOURS = 2.0


def weight(votes: int, comments: int) -> float:
    """An idea's support: one for the idea itself, one per vote, W per comment."""
    return 1.0 + votes + COMMENT_WEIGHT * comments


def support(votes: int, comments: int) -> float:
    """log10 of the support: 0 for a new idea, log10(2) with its first vote."""
    return math.log10(weight(votes, comments))


def hot_score(votes: int, comments: int, created_at: datetime) -> float:
    """The stored score: support plus youth measured from ``EPOCH`` in units of ``TAU``."""
    return support(votes, comments) + (created_at - EPOCH).total_seconds() / TAU


def decayed_score(votes: int, comments: int, created_at: datetime, now: datetime) -> float:
    """The stored score as a reader thinks of it: support minus age (same order)."""
    return support(votes, comments) - (now - created_at).total_seconds() / TAU


def window_floor(now: datetime) -> float:
    """The lowest stored score still in the trending window at ``now``."""
    return (now - EPOCH).total_seconds() / TAU - WINDOW_DEPTH


def in_window(votes: int, comments: int, created_at: datetime, now: datetime) -> bool:
    """Whether the idea competes in trending at ``now``."""
    return hot_score(votes, comments, created_at) >= window_floor(now)


def trending_score(votes: int, comments: int, created_at: datetime, now: datetime) -> float:
    """Fider's gravity at ``now``: support over (hours of age + 2) ** GRAVITY."""
    hours = (now - created_at).total_seconds() / 3600
    return weight(votes, comments) / math.pow(hours + GRAVITY_HOURS, GRAVITY)


def trending_order(ideas: Iterable[tuple[Key, int, int, datetime]],
                   now: datetime) -> list[Key]:
    """The keys of ``(key, votes, comments, created_at)`` in the window, best first (ties:
    the larger key first, as the board breaks them by id)."""
    competing = [(trending_score(v, c, created, now), key) for key, v, c, created in ideas
                 if in_window(v, c, created, now)]
    competing.sort(reverse=True)
    return [key for _, key in competing]
