"""Trending: votes and comments, decayed by age, as one number stored on the idea.

The obvious trending score decays an idea's support with its age::

    decayed(t) = log10(max(1, votes + W * comments)) - age(t) / TAU

where ``age(t) = t - created``. Written out, ``age(t) = t - epoch - (created - epoch)``,
so at any moment ``t``::

    decayed(t) = hot - (t - epoch) / TAU
    hot        = log10(max(1, votes + W * comments)) + (created - epoch) / TAU

The term ``(t - epoch) / TAU`` is the same for every idea, so ordering by ``hot``
orders exactly as ordering by ``decayed(t)`` at every ``t``: the score only changes
when the idea is voted on or commented on, never because time passes. It is stored
on the row (``ideas.hot_score``, indexed), so "trending" is an index scan.

Reading the constants: ten times the support is worth ``TAU`` (three days) of
youth; a comment counts as ``W`` (half) of a vote. The logarithm makes the first
votes count most, so a new idea with a handful of votes can pass an old one with
many. Pure: standard library only.
"""

from __future__ import annotations

import math
from datetime import datetime

#: Seconds of age that cost as much as dividing support by ten.
TAU = 3 * 24 * 3600
#: What a comment is worth in votes.
COMMENT_WEIGHT = 0.5
#: A fixed origin for the time term, so the numbers stay small and exact in a double.
EPOCH = datetime(2024, 1, 1)


def support(votes: int, comments: int) -> float:
    """log10 of the support, at least 0 (an idea with no votes scores by age alone)."""
    return math.log10(max(1.0, votes + COMMENT_WEIGHT * comments))


def hot_score(votes: int, comments: int, created_at: datetime) -> float:
    """The stored score: support plus youth measured from ``EPOCH`` in units of ``TAU``."""
    return support(votes, comments) + (created_at - EPOCH).total_seconds() / TAU


def decayed_score(votes: int, comments: int, created_at: datetime, now: datetime) -> float:
    """The score as a reader thinks of it: support minus age (same order as hot_score)."""
    return support(votes, comments) - (now - created_at).total_seconds() / TAU
