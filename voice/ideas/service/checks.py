"""The checks of what customers and staff send: titles, texts, statuses; the limits."""

from __future__ import annotations

from voice.errors import Invalid
from voice.ideas.models import STATUSES
from voice.text import one_line

TITLE_MIN, TITLE_MAX = 5, 120
DESCRIPTION_MAX = 10_000
COMMENT_MAX = 5_000
NOTE_MAX = 2_000
MERGE_CHAIN_LIMIT = 50
#: The refusal of a staff action to anyone else (``voice.permissions.require_staff``).
STAFF_ONLY = "Only staff may do this."


def clean_title(title: str | None) -> str:
    title = one_line(title)
    if not TITLE_MIN <= len(title) <= TITLE_MAX:
        raise Invalid(
            f"A title has {TITLE_MIN} to {TITLE_MAX} characters (yours has {len(title)}).",
            code="invalid_title", field="title",
        )
    return title


def clean_description(description: str | None) -> str:
    description = (description or "").replace("\r\n", "\n").strip()
    if len(description) > DESCRIPTION_MAX:
        raise Invalid(
            f"A description has at most {DESCRIPTION_MAX:,} characters "
            f"(yours has {len(description):,}).",
            code="invalid_description", field="description",
        )
    return description


def clean_text(text: str | None, *, limit: int, field: str, what: str,
               required: bool = True) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if required and not text:
        raise Invalid(f"Write a {what}.", code=f"invalid_{field}", field=field)
    if len(text) > limit:
        raise Invalid(f"A {what} has at most {limit:,} characters (yours has {len(text):,}).",
                      code=f"invalid_{field}", field=field)
    return text


def check_status(status: str | None) -> str:
    if status not in STATUSES:
        raise Invalid(f"A status is one of {', '.join(STATUSES)}.",
                      code="unknown_status", field="status")
    return status


def idea_path(idea_id: int) -> str:
    return f"/ideas/{idea_id}"
