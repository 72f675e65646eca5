"""Numbers from the edges (a JSON number or form text) into exact units, or Invalid."""

from __future__ import annotations

from decimal import ROUND_DOWN, Decimal, InvalidOperation

from voice.errors import Invalid
from voice.markets.money import HUNDRED, MAX_SPEND, MAX_TRADE_SHARES, MILLION

# Magnitudes are clamped to these before any arithmetic: past every bound of the markets
# (and below every unit), they compare and round as the number typed would, while
# Decimal's default context would overflow ("1e999999999" * 100 raises Overflow).
LARGEST = Decimal("1e30")
SMALLEST = Decimal("1e-30")


def parse_decimal(value: object, field: str, what: str) -> Decimal:
    """A finite Decimal from a JSON number or form text; Invalid otherwise."""
    if isinstance(value, bool) or value is None:
        raise Invalid(f"{what} must be a number.", code=f"invalid_{field}", field=field)
    if isinstance(value, float | int):
        text = repr(value) if isinstance(value, float) else str(value)
    elif isinstance(value, str | Decimal):
        text = str(value).strip()
    else:
        raise Invalid(f"{what} must be a number.", code=f"invalid_{field}", field=field)
    try:
        number = Decimal(text)
    except (InvalidOperation, ValueError):
        raise Invalid(f"{what} must be a number.", code=f"invalid_{field}", field=field) from None
    if not number.is_finite():
        raise Invalid(f"{what} must be a finite number.", code=f"invalid_{field}", field=field)
    return _clamped(number)


def _clamped(number: Decimal) -> Decimal:
    """``number`` with its magnitude kept within SMALLEST..LARGEST (zero stays zero)."""
    if number.is_zero():
        return number
    if number.adjusted() > LARGEST.adjusted():
        return LARGEST.copy_sign(number)
    if number.adjusted() < SMALLEST.adjusted():
        return SMALLEST.copy_sign(number)
    return number


def parse_shares(value: object, field: str = "shares", *, signed: bool = True) -> int:
    """Shares as signed millionths (a sale is negative); more decimals are cut off."""
    number = parse_decimal(value, field, "The number of shares")
    if abs(number) > MAX_TRADE_SHARES:
        raise Invalid(f"One trade moves at most {MAX_TRADE_SHARES:,} shares.",
                      code=f"invalid_{field}", field=field)
    micro = int((number * MILLION).to_integral_value(rounding=ROUND_DOWN))
    if micro == 0 or (micro < 0 and not signed):
        raise Invalid("Enter a number of shares above zero (at least 0.000001).",
                      code=f"invalid_{field}", field=field)
    return micro


def parse_points(value: object, field: str, *, limit: Decimal = MAX_SPEND,
                 what: str = "The amount") -> int:
    """Points as hundredths, rounded down; must be positive and at most ``limit``."""
    number = parse_decimal(value, field, what)
    if number > limit:
        raise Invalid(f"{what} can be at most {limit:,} points.", code=f"invalid_{field}",
                      field=field)
    hundredths = int((number * HUNDRED).to_integral_value(rounding=ROUND_DOWN))
    if hundredths <= 0:
        raise Invalid(f"{what} must be at least 0.01 points.", code=f"invalid_{field}",
                      field=field)
    return hundredths


def parse_limit(value: object, field: str) -> Decimal | None:
    """A trader's price limit (``max_cost`` / ``min_proceeds``) in points, or None."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    number = parse_decimal(value, field, "The price limit")
    if number < 0:
        raise Invalid("The price limit cannot be negative.", code=f"invalid_{field}", field=field)
    return number
