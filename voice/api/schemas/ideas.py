"""Ideas: the board, one idea, votes, comments, the staff's changes and merges."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field, StrictBool, StrictStr

from voice import pages
from voice.api.schemas.common import (
    AreaSlug,
    Code,
    JsonId,
    Page,
    Paging,
    Person,
    QueryFlag,
    QueryText,
    RequestModel,
    ResponseModel,
    Time,
    enum,
)
from voice.ideas import service
from voice.ideas.models import STATUSES
from voice.ideas.models import Comment as CommentRow
from voice.ideas.models import Idea as IdeaRow
from voice.text import render_markdown

Status = Annotated[str, enum(*STATUSES)]
MAX_QUERY = 200  # characters of a search kept


def _keep_query(text: str) -> str:
    return text[:MAX_QUERY]


# --- requests -------------------------------------------------------------------------


class IdeaQuery(Paging):
    sort: Annotated[QueryText, enum(*service.SORTS, service.SEARCH_SORT)] = None
    status: Annotated[QueryText, enum(*STATUSES)] = None
    area: QueryText = None
    q: QueryText = None
    mine: QueryFlag = False
    voted: QueryFlag = False


class SimilarQuery(RequestModel):
    q: Annotated[str, AfterValidator(_keep_query)] = ""
    limit: Annotated[int, Field(ge=1, le=20), Code(
        "invalid_limit", "limit is between 1 and 20.",
        wrong_type="limit must be a whole number.")] = 5


class NewIdea(RequestModel):
    title: Annotated[StrictStr, Code("invalid_title", "'title' must be a string.")]
    description: Annotated[StrictStr | None,
                           Code("invalid_description", "'description' must be a string.")] = None
    area: AreaSlug = None


class NewComment(RequestModel):
    body: Annotated[StrictStr, Code("invalid_body", "'body' must be a string.")]
    internal: Annotated[StrictBool,
                        Code("invalid_internal", "'internal' must be true or false.")] = False


class IdeaChange(RequestModel):
    """Staff: a status (with its public note), a note alone, or an area (null clears it)."""

    status: Annotated[Annotated[StrictStr, enum(*STATUSES)] | None,
                      Code("invalid_status", "'status' must be a string.")] = None
    note: Annotated[StrictStr | None, Code("invalid_note", "'note' must be a string.")] = None
    area: AreaSlug = None


class Merge(RequestModel):
    into: Annotated[JsonId, Code("invalid_into",
                                 "'into' must be the id of the idea to merge into.")]


class ProxyVote(RequestModel):
    email: Annotated[StrictStr, Code("invalid_email", "'email' must be a string.")]


# --- answers ----------------------------------------------------------------------------


def person(user: Any) -> Person | None:
    return None if user is None else Person(id=user.id, display_name=user.display_name)


class Idea(ResponseModel):
    id: int
    title: str
    description: str
    description_html: str
    area: str | None
    area_name: str | None
    status: Status
    author: Person | None
    vote_count: int
    comment_count: int
    voted: bool
    voting_open: bool
    created_at: Time
    merged_into: int | None
    market_id: int | None
    market_probability: float | None
    url: str

    @classmethod
    def of(cls, idea: IdeaRow, voted: bool = False, linked: dict[int, Any] | None = None
           ) -> Idea:
        """``idea`` with its author and area loaded; ``linked``: idea id -> its market."""
        market = (linked or {}).get(idea.id)
        return cls(
            id=idea.id, title=idea.title, description=idea.description,
            description_html=str(render_markdown(idea.description)),
            area=idea.area.slug if idea.area else None,
            area_name=idea.area.name if idea.area else None,
            status=idea.status, author=person(idea.author), vote_count=idea.vote_count,
            comment_count=idea.comment_count, voted=bool(voted), voting_open=idea.voting_open,
            created_at=idea.created_at, merged_into=idea.merged_into_id,
            market_id=market.market_id if market else None,
            market_probability=float(market.probability) if market else None,
            url=pages.idea(idea.id),
        )


class IdeaList(Page[Idea]):
    pass


class SimilarIdeas(ResponseModel):
    """Best first."""

    items: list[Idea]


class Comment(ResponseModel):
    """``internal`` and ``hidden`` only on the notes and hidden comments staff are shown."""

    id: int
    idea_id: int
    body: str
    body_html: str
    author: Person | None
    official: bool
    created_at: Time
    internal: bool | None = None
    hidden: bool | None = None

    @classmethod
    def of(cls, comment: CommentRow) -> Comment:
        shown = cls(id=comment.id, idea_id=comment.idea_id, body=comment.body,
                    body_html=str(render_markdown(comment.body)), author=person(comment.author),
                    official=comment.official, created_at=comment.created_at)
        if comment.internal or comment.hidden:
            shown.internal, shown.hidden = comment.internal, comment.hidden
        return shown


class CommentList(Page[Comment]):
    pass


class VoteState(ResponseModel):
    vote_count: int
    voted: bool


class ProxyVoted(ResponseModel):
    vote_count: int
    user: Person


class Subscription(ResponseModel):
    subscribed: bool
