"""Survey statistics on plain numbers and numpy arrays: no Flask, no database.

Every function takes counts (how many answers had each value), so the caller can
aggregate in the database and hand over a few numbers, or pass raw scores through
``counts_of``. The scales and their bands come from ``voice.surveys.scales``.

NPS. Each respondent scores 0-10: promoters (9-10) count +1, passives (7-8) 0,
detractors (0-6) -1. The NPS is the mean of that per-respondent value times 100,
i.e. %promoters - %detractors, from -100 to 100. With p and d the shares of
promoters and detractors, the per-respondent value X has E[X] = p - d and
E[X^2] = p + d, so Var[X] = p + d - (p - d)^2, and the 95% margin of error of the
score is 1.96 * sqrt(Var[X] / n) * 100 (normal approximation).

CSAT: the share of answers of 4 or 5 (satisfied) on the 1-5 scale, in percent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from voice.surveys.scales import (
    CSAT_SATISFIED,
    NPS_DETRACTORS,
    NPS_PASSIVES,
    NPS_PROMOTERS,
    SCALES,
    band_slice,
)

Z95 = 1.96
NPS_LOW, NPS_HIGH = SCALES["nps"]
CSAT_LOW, CSAT_HIGH = SCALES["csat"]
NPS_POINTS = NPS_HIGH - NPS_LOW + 1  # 11 counts, for the scores 0 to 10
CSAT_POINTS = CSAT_HIGH - CSAT_LOW + 1  # 5 counts, for the scores 1 to 5

#: Counts or values as the callers hand them over: a list, a tuple or an array.
Numbers = npt.ArrayLike
IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Nps:
    n: int
    promoters: int
    passives: int
    detractors: int
    score: float | None  # -100..100, None without answers
    margin_of_error: float | None  # in NPS points, 95%

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def counts_of(scores: Numbers, low: int, high: int) -> IntArray:
    """Counts of each whole value low..high in ``scores`` (index 0 is ``low``)."""
    values = np.asarray(scores, dtype=np.int64)
    if values.size and (values.min() < low or values.max() > high):
        raise ValueError(f"scores must lie in {low}..{high}")
    return np.bincount(values - low, minlength=high - low + 1).astype(np.int64)


def nps_margin_of_error(promoter_share: float, detractor_share: float, n: int) -> float | None:
    """95% margin of error of an NPS, in points (0..100); None when n is 0."""
    if n <= 0:
        return None
    p, d = float(promoter_share), float(detractor_share)
    variance = max(p + d - (p - d) ** 2, 0.0)
    return float(Z95 * np.sqrt(variance / n) * 100)


def nps(counts: Numbers) -> Nps:
    """NPS from the counts of scores 0..10 (an array of 11 counts)."""
    c = np.asarray(counts, dtype=np.int64)
    if c.shape != (NPS_POINTS,):
        raise ValueError(f"NPS needs {NPS_POINTS} counts, for the scores {NPS_LOW} to "
                         f"{NPS_HIGH}")
    n = int(c.sum())
    detractors = int(c[band_slice("nps", NPS_DETRACTORS)].sum())
    passives = int(c[band_slice("nps", NPS_PASSIVES)].sum())
    promoters = int(c[band_slice("nps", NPS_PROMOTERS)].sum())
    if n == 0:
        return Nps(0, 0, 0, 0, None, None)
    p, d = promoters / n, detractors / n
    return Nps(n, promoters, passives, detractors, float((p - d) * 100),
               nps_margin_of_error(p, d, n))


def csat(counts: Numbers) -> float | None:
    """CSAT in percent from the counts of scores 1..5; None without answers."""
    c = np.asarray(counts, dtype=np.int64)
    if c.shape != (CSAT_POINTS,):
        raise ValueError(f"CSAT needs {CSAT_POINTS} counts, for the scores {CSAT_LOW} to "
                         f"{CSAT_HIGH}")
    n = int(c.sum())
    return None if n == 0 else float(c[band_slice("csat", CSAT_SATISFIED)].sum() / n * 100)


def mean(values: Numbers, counts: Numbers) -> float | None:
    """The mean of ``values`` each seen ``counts`` times; None without any."""
    v = np.asarray(values, dtype=np.float64)
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    return None if total == 0 else float((v * c).sum() / total)


def shares(counts: Numbers) -> FloatArray:
    """Each count as a percentage of their sum (zeros when the sum is 0)."""
    c = np.asarray(counts, dtype=np.float64)
    total = c.sum()
    return np.zeros_like(c) if total == 0 else c / total * 100


def nps_series(weekly_counts: Numbers) -> list[Nps]:
    """NPS per row of a (weeks x 11) array of counts."""
    rows = np.asarray(weekly_counts, dtype=np.int64).reshape(-1, NPS_POINTS)
    return [nps(row) for row in rows]
