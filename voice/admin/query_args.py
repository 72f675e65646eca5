"""Reading the staff lists' query arguments: a whole number, a day. Pure.

Lenient where a filter is optional (a number that is not one is no filter), strict
where a wrong value would silently show the wrong list (a date that is not one is an
``invalid_filter`` error naming the argument).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from voice.errors import Invalid


def whole_number(value: object) -> int | None:
    """``value`` as an int when it is written as a whole number, else None."""
    return int(str(value)) if value not in (None, "") and str(value).isdigit() else None


def day(args: Mapping[str, str], key: str) -> datetime | None:
    """The midnight of the date in ``args[key]`` (None when absent); Invalid if malformed."""
    value = (args.get(key) or "").strip()
    if not value:
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        raise Invalid(f"{key} must be a date (YYYY-MM-DD).", code="invalid_filter",
                      field=key) from None
