"""What each interaction of the customer timeline says, and the page it links to.

Shared by the customer page (voice/admin/customer_views.py) and the API
(voice/api/customers.py), so an interaction has one wording and one address. Built with
``url_for``: call it inside a request.
"""

from __future__ import annotations

from typing import Any

from flask import url_for

from voice.activity import KINDS, Activity

#: The words before the object's title, by kind of interaction.
KIND_LABELS = {
    "idea": "Submitted the idea", "vote": "Voted for", "comment": "Commented on",
    "response": "Answered the survey", "trade": "Traded in", "case": "A case opened about",
    "reply": "Staff wrote on the case", "message": "Wrote on the case",
}
#: The page of each kind of object: (endpoint, its argument). A survey response links to
#: the survey's results, where staff read the answers.
_PAGES = {
    "idea": ("ideas.detail", "idea_id"), "survey": ("surveys.results", "survey_id"),
    "market": ("markets.detail", "market_id"), "case": ("admin.case", "case_id"),
}


def activity_link(item: Activity) -> str:
    """The page of the interaction's object (a comment: its own place on the idea's page)."""
    endpoint, argument = _PAGES[KINDS[item.kind]]
    values: dict[str, Any] = {argument: item.target_id}
    if item.kind == "comment":
        values["_anchor"] = f"comment-{item.id}"
    return url_for(endpoint, **values)
