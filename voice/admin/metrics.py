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
    paused_seconds: float = 0.0  # the SLA clock's stops already over (``waiting``)
    waiting_since: datetime | None = None  # the stop going on, if the case waits
    customer_id: int | None = None
    answered_back: bool = False  # the customer wrote in the case's thread


def working_seconds(start: datetime, end: datetime, paused_seconds: float = 0.0,
                    waiting_since: datetime | None = None) -> float:
    """Seconds of SLA clock from ``start`` to ``end``: wall time minus the pauses, the
    one still going on (``waiting_since``) counted up to ``end``; never below 0."""
    paused = paused_seconds
    if waiting_since is not None and end > waiting_since:
        paused += (end - waiting_since).total_seconds()
    return max(0.0, (end - start).total_seconds() - paused)


@dataclass
class LoopMeasures:
    """The loop of one group of cases.

    Durations are medians in hours. The first response is wall time: the SLA clock can
    only stop after one (``waiting`` is a staff move, which is a response). Closing and
    the age of what is still open count working time, the pauses left out (a case still
    waiting leaves out its running pause)."""

    key: object
    cases: int = 0
    closed: int = 0
    closed_replyable: int = 0
    closed_with_reply: int = 0
    responded: int = 0
    identified: int = 0  # cases of an identified customer: the signals that can be answered
    answered: int = 0  # of those, the ones staff wrote to
    answered_back: int = 0  # cases in which the customer wrote back
    customers: int = 0  # distinct identified customers of the cases
    customers_answered_back: int = 0  # distinct customers who wrote back
    median_first_response_hours: float | None = None
    median_close_hours: float | None = None
    median_open_hours: float | None = None
    _first: list[float] = field(default_factory=list, repr=False)
    _close: list[float] = field(default_factory=list, repr=False)
    _open: list[float] = field(default_factory=list, repr=False)
    _customers: set[int] = field(default_factory=set, repr=False)
    _talkers: set[int] = field(default_factory=set, repr=False)

    @property
    def reply_share(self) -> float | None:
        """% of the closed cases (closed or won't do) of identified customers that were
        closed with a reply. Anonymous signals cannot be answered, so they do not count."""
        return share(self.closed_with_reply, self.closed_replyable)

    @property
    def answered_share(self) -> float | None:
        """% of the signals that can be answered (an identified customer) staff answered."""
        return share(self.answered, self.identified)

    @property
    def answered_back_share(self) -> float | None:
        """% of the answered cases in which the customer wrote back."""
        return share(self.answered_back, self.answered)


def _count_case(group: LoopMeasures, row: CaseTimes, now: datetime | None) -> None:
    group.cases += 1
    if row.first_response_at is not None:
        group.responded += 1
        group._first.append((row.first_response_at - row.created_at).total_seconds())
    if row.closed_at is not None:
        group.closed += 1
        group._close.append(working_seconds(row.created_at, row.closed_at,
                                            row.paused_seconds, row.waiting_since))
        if row.replyable:
            group.closed_replyable += 1
            group.closed_with_reply += row.replied
    elif now is not None:
        group._open.append(working_seconds(row.created_at, now, row.paused_seconds,
                                           row.waiting_since))
    if row.replyable:
        group.identified += 1
        group.answered += row.replied
    group.answered_back += row.answered_back
    if row.customer_id is not None:
        group._customers.add(row.customer_id)
        if row.answered_back:
            group._talkers.add(row.customer_id)


def loop_measures(rows: Iterable[CaseTimes], keys: Sequence[object] = (),
                  now: datetime | None = None) -> list[LoopMeasures]:
    """Per key: cases, closed, closed with a reply (and its share), signals answered,
    customers who answered back, median hours to the first response, to closing and
    (at ``now``, when given) of the still open cases' age. ``keys`` fixes the order and
    makes empty groups appear; other keys follow in first-seen order.

    One object per case: the readable definition. The dashboard uses ``loop_columns``,
    its vectorized twin, and the tests hold the two equal."""
    groups: dict[object, LoopMeasures] = {key: LoopMeasures(key=key) for key in keys}
    for row in rows:
        _count_case(groups.setdefault(row.key, LoopMeasures(key=row.key)), row, now)
    for group in groups.values():
        group.median_first_response_hours = median_hours(group._first)
        group.median_close_hours = median_hours(group._close)
        group.median_open_hours = median_hours(group._open)
        group.customers = len(group._customers)
        group.customers_answered_back = len(group._talkers)
    return list(groups.values())


def _median_hours(seconds: np.ndarray) -> float | None:
    """The median of the non-NaN durations (seconds), in hours; None when there are none."""
    values = seconds[~np.isnan(seconds)]
    return float(np.median(values)) / 3600.0 if values.size else None


#: The columns of ``case_table``'s array.
FIRST, CLOSE, OPEN_AGE, CUSTOMER, REPLIED, ANSWERED_BACK, CUSTOMER_ID = range(7)


def case_table(raw: np.ndarray, now: float = np.nan) -> np.ndarray:
    """Cases as an n x 7 array (columns :data:`FIRST` ...): seconds to the first response
    (wall time), working seconds to close, working age at ``now`` of an open case (NaN
    where there is none), an identified customer (0/1), replied (0/1), the customer
    wrote back (0/1), the customer's id (NaN for none).

    ``raw`` is n x 7: opened, first response, closed, the stop going on (seconds since
    any epoch, ``now`` in the same epoch; NaN when there is none), paused seconds,
    customer + 2 x replied + 4 x answered back, the customer's id. Durations are rounded
    to the millisecond: SQLite's timestamps come from Julian days, which keep ~40 µs."""
    opened, first, closed, waiting, paused, flags, customer_id = raw.T
    flags = flags.astype(np.int64)
    paused = np.nan_to_num(paused)

    def working(end: np.ndarray) -> np.ndarray:
        running = np.where(~np.isnan(waiting) & (end > waiting), end - waiting, 0.0)
        seconds: np.ndarray = np.round(np.maximum(0.0, end - opened - paused - running), 3)
        return seconds

    open_age = np.where(np.isnan(closed), working(np.full(len(raw), now)), np.nan)
    return np.column_stack([np.round(first - opened, 3), working(closed), open_age,
                            flags & 1, (flags >> 1) & 1, (flags >> 2) & 1, customer_id])


def _distinct(ids: np.ndarray) -> int:
    return int(np.unique(ids[~np.isnan(ids)]).size)


def _group_columns(table: np.ndarray, mask: np.ndarray, key: object) -> LoopMeasures:
    rows = table[mask]
    closed = ~np.isnan(rows[:, CLOSE])
    identified = rows[:, CUSTOMER] > 0
    replied = rows[:, REPLIED] > 0
    talked = rows[:, ANSWERED_BACK] > 0
    return LoopMeasures(
        key=key, cases=len(rows), closed=int(closed.sum()),
        closed_replyable=int((closed & identified).sum()),
        closed_with_reply=int((closed & identified & replied).sum()),
        responded=int((~np.isnan(rows[:, FIRST])).sum()),
        identified=int(identified.sum()), answered=int((identified & replied).sum()),
        answered_back=int(talked.sum()), customers=_distinct(rows[:, CUSTOMER_ID]),
        customers_answered_back=_distinct(rows[talked, CUSTOMER_ID]),
        median_first_response_hours=_median_hours(rows[:, FIRST]),
        median_close_hours=_median_hours(rows[:, CLOSE]),
        median_open_hours=_median_hours(rows[:, OPEN_AGE]))


def loop_columns(table: np.ndarray, codes: np.ndarray,
                 keys: Mapping[int, object]) -> list[LoopMeasures]:
    """The figures of ``loop_measures``, from columns rather than one object per case.

    ``table`` is ``case_table``'s array, ``codes`` the integer group of each row, ``keys``
    maps a code to its key in the order to show (empty groups included); codes not in
    ``keys`` follow, keyed by the code. Vectorized: a window's tens of thousands of cases
    take milliseconds, where one Python object per case took a second."""
    order = dict(keys)
    for code in np.unique(codes).tolist():
        order.setdefault(code, code)
    return [_group_columns(table, codes == code, key) for code, key in order.items()]


def trend(recent: int, previous: int) -> str:
    """'up', 'down' or 'flat': this week's votes against the week before."""
    if recent > previous:
        return "up"
    if recent < previous:
        return "down"
    return "flat"
