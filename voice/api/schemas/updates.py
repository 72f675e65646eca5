"""The "You asked, we did" updates as the API writes them (issue 15)."""

from __future__ import annotations

from voice.admin.service import UpdateView
from voice.api.schemas.common import Page, ResponseModel, Time
from voice.mail import absolute
from voice.pages import update as update_path
from voice.text import render_markdown


class PublishedUpdate(ResponseModel):
    """``body`` is the Markdown as written; ``body_html`` the same, rendered and
    sanitised as the pages show it; ``ideas`` the ids of the ideas it delivers."""

    id: int
    title: str
    body: str
    body_html: str
    published_at: Time
    ideas: list[int]
    url: str

    @classmethod
    def of(cls, view: UpdateView) -> PublishedUpdate:
        update = view.update
        return cls(id=update.id, title=update.title, body=update.body,
                   body_html=str(render_markdown(update.body)),
                   published_at=update.published_at, ideas=[idea.id for idea in view.ideas],
                   url=absolute(update_path(update.id)))


class UpdateList(Page[PublishedUpdate]):
    """Newest first."""
