"""One interaction of a person, as every domain reports it for the staff's customer page.

Pure (standard library). Each domain answers for its own tables
(``activity_of(user_id, limit)`` in its ``service/staff_reads.py``: that person's newest
rows, newest first, as :class:`Activity`); the staff side merges the lists into one
timeline (voice/admin/service/customers.py) with :func:`newest`. The order is total
(time, then kind, then id, all descending), so a page of the merged timeline is the same
page however the lists were cut.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

#: The kinds of interaction and the object each one links to (``target_id`` is its id).
KINDS = {
    "idea": "idea",  # submitted an idea
    "vote": "idea",  # voted for an idea
    "comment": "idea",  # commented on an idea (``id``: the comment)
    "response": "survey",  # answered an identified survey (``id``: the response)
    "trade": "market",  # bought or sold shares (``id``: the trade)
    "case": "case",  # a case opened about something they said
    "reply": "case",  # staff wrote to them on a case
    "message": "case",  # they wrote on a case
}


@dataclass(frozen=True)
class Activity:
    """``title``: the object's title (the idea's, the survey's, the market's question, the
    case's); ``detail``: a short text of the interaction itself (a comment's start, an NPS
    score, a trade, a message's start), plain text, at most a couple of hundred chars."""

    kind: str
    at: datetime
    id: int
    target_id: int
    title: str
    detail: str = ""

    @property
    def order(self) -> tuple[datetime, str, int]:
        return (self.at, self.kind, self.id)


def newest(lists: Iterable[Iterable[Activity]], limit: int) -> list[Activity]:
    """The ``limit`` newest of several lists, in the total order above (each list sorted
    again here, so a domain's own tie-breaking cannot disorder the merge)."""
    merged = sorted(itertools.chain.from_iterable(lists), key=lambda item: item.order,
                    reverse=True)
    return merged[:limit]
