"""The categories of mail a user can turn on or off, and which category a notice is in.

Plain values: the loop's reads and writes, the preferences form and the mail's context all
use these. Each notify ``kind`` belongs to one category (:func:`category_for`); unknown
kinds fall in ``other``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Category:
    name: str
    label: str
    description: str
    #: Mail only staff get (a customer's preferences page does not offer it).
    staff_only: bool = False


#: The kinds of mail a user can turn on or off, in the order the preferences page shows.
CATEGORIES: dict[str, Category] = {
    c.name: c
    for c in (
        Category("idea_status", "Idea status changes",
                 "An idea you submitted, voted for or follow changes status."),
        Category("case_reply", "Replies to your feedback",
                 "Staff answer or close something you told us."),
        Category("market_result", "Market results",
                 "A market you traded in is resolved or voided."),
        Category("updates", "\u201cYou asked, we did\u201d updates",
                 "We shipped a change that customers like you asked for."),
        Category("idea_comment", "Comments on ideas you follow",
                 "Someone comments on an idea you submitted or follow."),
        Category("team_cases", "Your team's cases (staff)",
                 "A customer answers on a case you work, or a case of a team you own "
                 "is overdue.", staff_only=True),
        Category("other", "Other news from Voice",
                 "Anything else Voice tells you about your activity."),
    )
}

#: Exact kinds the domains use; anything else is matched by prefix, then ``other``.
KIND_CATEGORIES: dict[str, str] = {
    "idea_status": "idea_status",
    "idea_status_changed": "idea_status",
    "idea_merged": "idea_status",
    "case_reply": "case_reply",
    "case_replied": "case_reply",
    "case_closed": "case_reply",
    # To staff, not to a customer (issue 14): a team's owners, a case's assignee.
    "case_escalated": "team_cases",
    "case_customer_message": "team_cases",
    "market_resolved": "market_result",
    "market_voided": "market_result",
    "market_result": "market_result",
    "update": "updates",
    "update_published": "updates",
    "you_asked_we_did": "updates",
    "comment": "idea_comment",
    "idea_comment": "idea_comment",
    "comment_created": "idea_comment",
}
KIND_PREFIXES: tuple[tuple[str, str], ...] = (
    ("idea_status", "idea_status"),
    ("idea_comment", "idea_comment"),
    ("comment", "idea_comment"),
    ("case", "case_reply"),
    ("market", "market_result"),
    ("update", "updates"),
)


def category_for(kind: str) -> str:
    """The preference category a notify ``kind`` belongs to (``other`` when unknown)."""
    if kind in KIND_CATEGORIES:
        return KIND_CATEGORIES[kind]
    for prefix, category in KIND_PREFIXES:
        if kind.startswith(prefix):
            return category
    return "other"
