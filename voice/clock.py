"""Time in one convention: naive datetimes in UTC, stored and compared as such.

SQLite keeps no time zone, so every datetime in the database is naive UTC; the
API adds the ``Z`` when it writes ISO 8601.
"""

from __future__ import annotations

from datetime import UTC, datetime


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
