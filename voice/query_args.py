"""Reading query arguments: one helper for every page's filters. Pure (standard library).

Each reader answers ``Invalid`` (``invalid_filter``, the argument as its field) with a
sentence naming the argument: on a page that is a 400 with the sentence, in the API the
contract's error. Never a 500 and never a silent default: a number is ASCII digits that
fit the database's integer column, a day a date whose week still fits a calendar, a
choice one of the listed values, and a page's ``QueryArgs`` refuses an argument it does
not know (a misspelt filter would otherwise show the whole list as if it applied).

Before this (issue 13), ``team=99999999999999999999`` overflowed the database driver,
``team=²`` passed ``str.isdigit`` and then failed ``int()``, and ``until=9999-12-31``
overflowed ``datetime`` when a day was added: each a 500.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime

from voice.errors import Invalid

#: The largest whole number a filter takes: the ids' and counters' integer column
#: (``voice.database.MAX_ID``; this module stays pure, so the number is written here).
MAX_NUMBER = 2**31 - 1
#: The days a filter takes. A week or a day added to the last one still fits ``datetime``.
FIRST_DAY = date(1900, 1, 1)
LAST_DAY = date(2999, 12, 31)
#: The page arguments every list takes (``voice.paging.parse_paging`` reads them).
PAGING_KEYS = ("page", "per_page")

FILTER_CODE = "invalid_filter"


def _value(args: Mapping[str, str], key: str) -> str:
    return (args.get(key) or "").strip()


def is_ascii_number(text: str) -> bool:
    """Whether ``text`` is written with the digits 0-9 only (``"²"`` and ``"١"`` pass
    ``str.isdigit`` but are not numbers anyone types into a filter)."""
    return text.isascii() and text.isdigit()


def number(text: str, key: str, *, low: int = 0, high: int = MAX_NUMBER,
           code: str = FILTER_CODE) -> int:
    """``text`` as a whole number from ``low`` to ``high``; Invalid naming ``key``."""
    if not is_ascii_number(text) or not low <= int(text) <= high:
        raise Invalid(f"{key} must be a whole number from {low:,} to {high:,}.",
                      code=code, field=key)
    return int(text)


def whole_number(args: Mapping[str, str], key: str, *, low: int = 0,
                 high: int = MAX_NUMBER) -> int | None:
    """``args[key]`` as a whole number (None when absent or empty); Invalid otherwise."""
    text = _value(args, key)
    return number(text, key, low=low, high=high) if text else None


def day(args: Mapping[str, str], key: str) -> datetime | None:
    """The moment written in ``args[key]`` (a date is its midnight; None when absent);
    Invalid unless an ISO date or date and time from ``FIRST_DAY`` to ``LAST_DAY``."""
    text = _value(args, key)
    if not text:
        return None
    try:
        moment = datetime.fromisoformat(text) if text.isascii() else None
    except ValueError:
        moment = None
    if moment is None or not FIRST_DAY <= moment.date() <= LAST_DAY:
        raise Invalid(f"{key} must be a date from {FIRST_DAY} to {LAST_DAY}, "
                      "written YYYY-MM-DD.", code=FILTER_CODE, field=key)
    return moment


def choice(args: Mapping[str, str], key: str, choices: Iterable[str]) -> str | None:
    """``args[key]`` when it is one of ``choices`` (None when absent or empty)."""
    text = _value(args, key)
    allowed = tuple(choices)
    if text and text not in allowed:
        raise Invalid(f"{key} is one of {', '.join(allowed)}.", code=FILTER_CODE, field=key)
    return text or None


def known_only(args: Iterable[str], known: Iterable[str]) -> None:
    """Invalid for the first argument name that is not in ``known``."""
    allowed = tuple(known)
    for key in args:
        if key not in allowed:
            raise Invalid(f"{key} is not a filter of this page; its filters are "
                          f"{', '.join(allowed)}.", code=FILTER_CODE, field=key)


@dataclass(frozen=True)
class QueryArgs:
    """What one page's query may hold: numbers, days, choices and free texts by name
    (plus ``page`` and ``per_page``). ``check(args)`` reads every argument through the
    readers above, so a page answers one kind of sentence for every bad filter."""

    numbers: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    choices: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    texts: tuple[str, ...] = ()

    @property
    def keys(self) -> tuple[str, ...]:
        return (*self.numbers, *self.days, *self.choices, *self.texts, *PAGING_KEYS)

    def check(self, args: Mapping[str, str]) -> None:
        """Invalid (with a sentence naming the argument) for the first bad argument."""
        known_only(args, self.keys)
        for key in self.numbers:
            whole_number(args, key)
        for key in self.days:
            day(args, key)
        for key, allowed in self.choices.items():
            choice(args, key, allowed)
