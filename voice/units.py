"""Units of money and shares: integers in the database, numbers at the edges.

Points are stored as hundredths, shares as millionths (DESIGN.md: money is exact).
These turn stored integers into the numbers the API, exports and pages show.
"""

from __future__ import annotations

POINT_UNIT = 100  # hundredths of a point per point
SHARE_UNIT = 1_000_000  # millionths of a share per share


def points(hundredths: int | None) -> float:
    """Points as a number with at most 2 decimals (``None`` is 0)."""
    return round((hundredths or 0) / POINT_UNIT, 2)


def shares(millionths: int | None) -> float:
    """Shares as a number with at most 6 decimals (``None`` is 0)."""
    return round((millionths or 0) / SHARE_UNIT, 6)


def format_points(hundredths: int | None) -> str:
    """Hundredths of a point as ``1,234.56``; ``None`` as an empty string."""
    if hundredths is None:
        return ""
    sign = "-" if hundredths < 0 else ""
    whole, cents = divmod(abs(hundredths), POINT_UNIT)
    return f"{sign}{whole:,}.{cents:02d}"
