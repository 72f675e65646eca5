"""Time in one convention: naive datetimes in UTC, stored and compared as such.

SQLite keeps no time zone, so every datetime in the database is naive UTC; the
API adds the ``Z`` when it writes ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta


def utcnow() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def isoformat(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment.isoformat(timespec="seconds") + "Z"


def parse_iso(text: str) -> datetime:
    """Parse ISO 8601 (with or without a zone) into naive UTC; ValueError if malformed."""
    moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return moment


def as_date(value: date | datetime | str) -> date:
    """The calendar day of a date, a datetime or an ISO 8601 string."""
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])


def week_start(value: date | datetime | str) -> date:
    """The Monday of the value's week (weeks start on Monday everywhere in Voice)."""
    day = as_date(value)
    return day - timedelta(days=day.weekday())
