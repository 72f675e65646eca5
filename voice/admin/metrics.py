"""Dashboard maths that is not SQL: weekly folding, NPS and CSAT, medians. Pure.

Inputs are plain rows the dashboard's GROUP BY queries return; nothing here knows
Flask or the database.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import SupportsInt

import numpy as np

# Weeks start on Monday everywhere in Voice: voice/clock.py is their one home (stdlib only).
from voice.clock import as_date as as_date
from voice.clock import week_start as week_start
from voice.surveys.scales import (
    CSAT_DISSATISFIED,
    CSAT_SATISFIED,
    NPS_DETRACTORS,
    NPS_PROMOTERS,
    Band,
)

#: Per kind, the band counted as ``promoters`` and the one counted as ``detractors``
#: (any kind but NPS is folded as CSAT is).
_HIGH_AND_LOW: dict[str, tuple[Band, Band]] = {
    "nps": (NPS_PROMOTERS, NPS_DETRACTORS),
    "csat": (CSAT_SATISFIED, CSAT_DISSATISFIED),
}

#: One row of the scores' GROUP BY: (day or week, score, how many answers).
ScoreRow = tuple[date | datetime | str, SupportsInt | str | None, SupportsInt | str]


def weeks_back(now: datetime | date, count: int) -> list[date]:
    """The Mondays of the last ``count`` weeks, oldest first, this week last."""
    this = week_start(now)
    return [this - timedelta(weeks=count - 1 - i) for i in range(count)]


@dataclass
class ScoreWeek:
    week: date
    responses: int = 0
    promoters: int = 0  # NPS 9-10, or CSAT 4-5 ("satisfied")
    passives: int = 0
    detractors: int = 0  # NPS 0-6, or CSAT 1-2
    total: float = 0.0  # sum of the scores (for the mean)

    @property
    def nps(self) -> float | None:
        """% promoters − % detractors, −100..100; None without answers."""
        if not self.responses:
            return None
        return 100.0 * (self.promoters - self.detractors) / self.responses

    @property
    def csat(self) -> float | None:
        """% of answers 4–5 (``promoters`` holds them for CSAT)."""
        if not self.responses:
            return None
        return 100.0 * self.promoters / self.responses

    @property
    def mean(self) -> float | None:
        return self.total / self.responses if self.responses else None


def fold_scores(rows: Iterable[ScoreRow], weeks: Sequence[date], kind: str) -> list[ScoreWeek]:
    """Rows (day, score, count) into one ScoreWeek per week of ``weeks``.

    NPS: promoters 9–10, passives 7–8, detractors 0–6. CSAT: satisfied (kept in
    ``promoters``) 4–5, neutral 3, dissatisfied (``detractors``) 1–2. Rows outside
    the weeks are ignored.
    """
    out = {week: ScoreWeek(week=week) for week in weeks}
    for day, score, count in rows:
        bucket = out.get(week_start(day))
        if bucket is None or score is None:
            continue
        score, count = int(score), int(count)
        bucket.responses += count
        bucket.total += score * count
        top, bottom = _HIGH_AND_LOW.get(kind, _HIGH_AND_LOW["csat"])
        high, low = score >= top.low, score <= bottom.high
        if high:
            bucket.promoters += count
        elif low:
            bucket.detractors += count
        else:
            bucket.passives += count
    return [out[week] for week in weeks]


def overall(weeks: Sequence[ScoreWeek]) -> ScoreWeek:
    total = ScoreWeek(week=weeks[0].week if weeks else date.min)
    for week in weeks:
        total.responses += week.responses
        total.promoters += week.promoters
        total.passives += week.passives
        total.detractors += week.detractors
        total.total += week.total
    return total


def median_hours(seconds: Iterable[float | None]) -> float | None:
    """The median of durations given in seconds, in hours; None when there are none."""
    values = np.array([s for s in seconds if s is not None], dtype=float)
    if values.size == 0:
        return None
    return float(np.median(values)) / 3600.0


def share(part: int, whole: int) -> float | None:
    """part / whole in percent; None when whole is 0."""
    return 100.0 * part / whole if whole else None


@dataclass(frozen=True)
class CaseTimes:
    """One case, reduced to what the loop measures need."""

    key: object  # the team id, or the week, the row is grouped by
    created_at: datetime
    first_response_at: datetime | None
    closed_at: datetime | None
    replied: bool
    replyable: bool = True  # an identified customer (an anonymous signal cannot be answered)


@dataclass
class LoopMeasures:
    key: object
    cases: int = 0
    closed: int = 0
    closed_replyable: int = 0
    closed_with_reply: int = 0
    responded: int = 0
    median_first_response_hours: float | None = None
    median_close_hours: float | None = None
    _first: list[float] = field(default_factory=list, repr=False)
    _close: list[float] = field(default_factory=list, repr=False)

    @property
    def reply_share(self) -> float | None:
        """% of the closed cases (closed or won't do) of identified customers that were
        closed with a reply. Anonymous signals cannot be answered, so they do not count."""
        return share(self.closed_with_reply, self.closed_replyable)


def loop_measures(rows: Iterable[CaseTimes], keys: Sequence[object] = ()) -> list[LoopMeasures]:
    """Per key: cases, closed, closed with a reply (and its share), median hours from
    opening to the first response and to closing. ``keys`` fixes the order and makes
    empty groups appear; other keys follow in first-seen order.

    One object per case: the readable definition. The dashboard uses ``loop_columns``,
    its vectorized twin, and the tests hold the two equal."""
    groups: dict[object, LoopMeasures] = {key: LoopMeasures(key=key) for key in keys}
    for row in rows:
        group = groups.setdefault(row.key, LoopMeasures(key=row.key))
        group.cases += 1
        if row.first_response_at is not None:
            group.responded += 1
            group._first.append((row.first_response_at - row.created_at).total_seconds())
        if row.closed_at is not None:
            group.closed += 1
            group._close.append((row.closed_at - row.created_at).total_seconds())
            if row.replyable:
                group.closed_replyable += 1
                if row.replied:
                    group.closed_with_reply += 1
    for group in groups.values():
        group.median_first_response_hours = median_hours(group._first)
        group.median_close_hours = median_hours(group._close)
    return list(groups.values())


def _median_hours(seconds: np.ndarray) -> float | None:
    """The median of the non-NaN durations (seconds), in hours; None when there are none."""
    values = seconds[~np.isnan(seconds)]
    return float(np.median(values)) / 3600.0 if values.size else None


def case_table(raw: np.ndarray) -> np.ndarray:
    """Cases as an n x 4 array: seconds to the first response, seconds to close (NaN
    when there is none), an identified customer (0/1), replied (0/1).

    ``raw`` is n x 4: opened, first response, closed (seconds since any epoch, NaN when
    there is none), customer + 2 x replied. Durations are rounded to the millisecond:
    SQLite's timestamps come from Julian days, which keep ~40 µs."""
    opened, first, closed, flags = raw.T
    flags = flags.astype(np.int64)
    return np.column_stack([np.round(first - opened, 3), np.round(closed - opened, 3),
                            flags & 1, (flags >> 1) & 1])


def loop_columns(table: np.ndarray, codes: np.ndarray,
                 keys: Mapping[int, object]) -> list[LoopMeasures]:
    """The figures of ``loop_measures``, from columns rather than one object per case.

    ``table`` is ``case_table``'s array, ``codes`` the integer group of each row, ``keys``
    maps a code to its key in the order to show (empty groups included); codes not in
    ``keys`` follow, keyed by the code. Vectorized: a window's tens of thousands of cases
    take milliseconds, where one Python object per case took a second."""
    first, close, customer, replied = table.T
    closed = ~np.isnan(close)
    replyable = closed & (customer > 0)
    with_reply = replyable & (replied > 0)
    responded = ~np.isnan(first)
    order = dict(keys)
    for code in np.unique(codes).tolist():
        order.setdefault(code, code)
    groups = []
    for code, key in order.items():
        mask = codes == code
        groups.append(LoopMeasures(
            key=key, cases=int(mask.sum()), closed=int((mask & closed).sum()),
            closed_replyable=int((mask & replyable).sum()),
            closed_with_reply=int((mask & with_reply).sum()),
            responded=int((mask & responded).sum()),
            median_first_response_hours=_median_hours(first[mask]),
            median_close_hours=_median_hours(close[mask])))
    return groups


def trend(recent: int, previous: int) -> str:
    """'up', 'down' or 'flat': this week's votes against the week before."""
    if recent > previous:
        return "up"
    if recent < previous:
        return "down"
    return "flat"
