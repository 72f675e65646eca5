"""Reading the staff lists' query arguments: a whole number, a day. Pure.

The staff side's names for the readers of ``voice.query_args`` (the one helper every
page's filters go through): strict everywhere, since a value that is not what the
filter takes would silently show the wrong list. A number is ASCII digits that fit the
database's integer column, a day a date within ``voice.query_args.FIRST_DAY`` ..
``LAST_DAY``; anything else is an ``invalid_filter`` error with a sentence.
"""

from __future__ import annotations

from voice.query_args import day, number

__all__ = ["day", "whole_number"]


def whole_number(value: object, name: str = "This value") -> int | None:
    """``value`` as an int (None when absent or empty); Invalid unless ASCII digits
    from 0 to ``voice.query_args.MAX_NUMBER``. ``name`` starts the sentence."""
    text = "" if value is None else str(value).strip()
    return number(text, name) if text else None
