"""The addresses of the public pages, for links that leave a request: notifications,
mails, cases, webhooks and the API's ``url`` fields (DESIGN.md, "Page addresses").

Views build links with ``url_for``; code that runs outside a request (routing inside a
domain's transaction, the mail worker) uses these, so every such link has one spelling.
"""

from __future__ import annotations


def idea(idea_id: int, *, comment_id: int | None = None) -> str:
    path = f"/ideas/{idea_id}"
    return path if comment_id is None else f"{path}#comment-{comment_id}"


def survey(survey_id: int) -> str:
    return f"/surveys/{survey_id}"


def market(market_id: int) -> str:
    return f"/markets/{market_id}"


def update(update_id: int) -> str:
    return f"/updates/{update_id}"
