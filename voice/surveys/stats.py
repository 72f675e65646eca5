"""Survey statistics on plain numbers and numpy arrays: no Flask, no database.

Every function takes counts (how many answers had each value), so the caller can
aggregate in the database and hand over a few numbers, or pass raw scores through
``counts_of``. The scales and their bands come from ``voice.surveys.scales``.

NPS. Each respondent scores 0-10: promoters (9-10) count +1, passives (7-8) 0,
detractors (0-6) -1. The NPS is the mean of that per-respondent value times 100,
i.e. %promoters - %detractors, from -100 to 100. With p and d the shares of
promoters and detractors, the per-respondent value X has E[X] = p - d and
E[X^2] = p + d, so Var[X] = p + d - (p - d)^2, and the plain (Wald) 95% margin of
error is 1.96 * sqrt(Var[X] / n) * 100.

That plain margin is wrong where it matters most: for 2 answers it says +/- 138.6
(beyond the scale) and for one answer or a unanimous sample it says +/- 0. The interval
reported is the adjusted Wald interval for the NPS as a difference of two proportions
(Rocks, "Interval estimation for the net promoter score", The American Statistician
2016; recommended by MeasuringU, Sauro & Lewis 2021): add 3 to n and 3/4 to the
promoters and to the detractors, apply the Wald formula to those adjusted shares
around the adjusted centre p' - d', and cut the result to -100..100. Because p' and d'
are both > 0 and p' + d' < 1, the variance is > 0 and |p' - d'| < 1, so the interval
is never zero-width for n > 0 and never leaves the scale. ``margin_of_error`` is half
its width (after the cut); ``low`` and ``high`` are its ends. The score itself stays
the observed %promoters - %detractors.

Under ``FEW_ANSWERS`` answers the pages say "read with care". Figures are rounded for
display with ``round_half_up`` (exact halves go up, 12.25 -> 12.3, as Formbricks and
SurveyJS show them; Python's ``round`` would give 12.2).

CSAT: the share of answers of 4 or 5 (satisfied) on the 1-5 scale, in percent.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
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
#: Adjusted Wald: pseudo-answers added to n, of which 3/4 promote and 3/4 detract.
ADJUST_N = 3
ADJUST_EACH = 0.75
#: Below this many answers a figure is shown with "fewer than 30 answers: read with care".
FEW_ANSWERS = 30
NPS_FLOOR, NPS_CEILING = -100.0, 100.0
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
    margin_of_error: float | None  # half the 95% interval's width, in NPS points
    low: float | None = None  # the 95% interval (adjusted Wald), within -100..100
    high: float | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def counts_of(scores: Numbers, low: int, high: int) -> IntArray:
    """Counts of each whole value low..high in ``scores`` (index 0 is ``low``)."""
    values = np.asarray(scores, dtype=np.int64)
    if values.size and (values.min() < low or values.max() > high):
        raise ValueError(f"scores must lie in {low}..{high}")
    return np.bincount(values - low, minlength=high - low + 1).astype(np.int64)


def read_with_care(n: int) -> bool:
    """True when ``n`` answers (more than none) are too few to lean on."""
    return 0 < n < FEW_ANSWERS


def round_half_up(value: float | None, digits: int) -> float | None:
    """``value`` rounded for display, exact halves away from zero (12.25 -> 12.3).

    The float's shortest decimal form is rounded (``str``), so 1.005 reads as typed."""
    if value is None:
        return None
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(str(value)).quantize(step, rounding=ROUND_HALF_UP))


def nps_margin_of_error(promoter_share: float, detractor_share: float,
                        n: float) -> float | None:
    """The plain Wald 95% margin of an NPS, in points, for shares over ``n`` answers;
    None when n is 0. ``nps_interval`` applies it to the adjusted shares."""
    if n <= 0:
        return None
    p, d = float(promoter_share), float(detractor_share)
    variance = max(p + d - (p - d) ** 2, 0.0)
    return float(Z95 * np.sqrt(variance / n) * 100)


def nps_interval(promoters: int, detractors: int, n: int) -> tuple[float, float] | None:
    """The adjusted Wald 95% interval of an NPS (see the module docstring), in points,
    cut to -100..100; None when n is 0."""
    if n <= 0:
        return None
    adjusted_n = n + ADJUST_N
    p = (promoters + ADJUST_EACH) / adjusted_n
    d = (detractors + ADJUST_EACH) / adjusted_n
    margin = nps_margin_of_error(p, d, adjusted_n) or 0.0
    centre = (p - d) * 100
    return max(NPS_FLOOR, centre - margin), min(NPS_CEILING, centre + margin)


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
    interval = nps_interval(promoters, detractors, n)
    if interval is None:
        return Nps(0, 0, 0, 0, None, None)
    low, high = interval
    score = (promoters - detractors) / n * 100
    return Nps(n, promoters, passives, detractors, float(score), (high - low) / 2,
               low, high)


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
