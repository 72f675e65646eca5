"""The ideas calls of the API contract (../shared/API.md), plus a few beyond it:
``mine``/``voted`` list filters, unmerge, a vote on a customer's behalf, and the
caller's subscription."""

from __future__ import annotations

from voice.api.contract import SIGNED_IN, STAFF, Routes
from voice.api.helpers import caller, viewer
from voice.api.schemas.common import Paging, Person
from voice.api.schemas.ideas import (
    Comment,
    CommentList,
    Idea,
    IdeaChange,
    IdeaList,
    IdeaQuery,
    Merge,
    NewComment,
    NewIdea,
    ProxyVote,
    ProxyVoted,
    SimilarIdeas,
    SimilarQuery,
    Subscription,
    VoteState,
)
from voice.ideas import service
from voice.ideas.limits import comment_limit, submit_limit
from voice.markets import service as markets

routes = Routes()


def one_idea(idea_id: int) -> Idea:
    idea = service.get_idea(idea_id)
    voted = idea.id in service.voted_ids(viewer(), [idea.id])
    return Idea.of(idea, voted, markets.linked_markets([idea.id]))


@routes.get("/ideas", query=IdeaQuery, response=IdeaList)
def list_ideas(query: IdeaQuery) -> IdeaList:
    """List ideas"""
    listing = service.list_ideas(
        viewer(), sort=query.sort, status=query.status, area=query.area, q=query.q,
        mine=query.mine, voted=query.voted, page=query.page, per_page=query.per_page,
    )
    linked = markets.linked_markets([idea.id for idea in listing.items])
    return IdeaList.of(listing, [Idea.of(idea, idea.id in listing.voted, linked)
                                 for idea in listing.items])


@routes.post("/ideas", body=NewIdea, response=Idea, status=201, roles=SIGNED_IN)
@submit_limit
def create_idea(body: NewIdea) -> Idea:
    """Submit an idea"""
    idea = service.submit_idea(caller(), body.title, body.description or "", body.area)
    return one_idea(idea.id)


@routes.get("/ideas/similar", query=SimilarQuery, response=SimilarIdeas)
def similar_ideas(query: SimilarQuery) -> SimilarIdeas:
    """Ideas like a title"""
    ideas = service.similar_ideas(query.q, query.limit)
    voted = service.voted_ids(viewer(), [idea.id for idea in ideas])
    linked = markets.linked_markets([idea.id for idea in ideas])
    return SimilarIdeas(items=[Idea.of(idea, idea.id in voted, linked) for idea in ideas])


@routes.get("/ideas/<int:idea_id>", response=Idea, errors=(404,))
def get_idea(idea_id: int) -> Idea:
    """An idea"""
    return one_idea(idea_id)


@routes.post("/ideas/<int:idea_id>/vote", response=VoteState, roles=SIGNED_IN,
             errors=(404, 409))
def vote(idea_id: int) -> VoteState:
    """Vote (idempotent)"""
    count, voted = service.cast_vote(caller(), idea_id)
    return VoteState(vote_count=count, voted=voted)


@routes.delete("/ideas/<int:idea_id>/vote", response=VoteState, roles=SIGNED_IN,
               errors=(404, 409))
def unvote(idea_id: int) -> VoteState:
    """Withdraw a vote (idempotent)"""
    count, voted = service.remove_vote(caller(), idea_id)
    return VoteState(vote_count=count, voted=voted)


@routes.get("/ideas/<int:idea_id>/comments", query=Paging, response=CommentList,
            errors=(404,))
def list_comments(idea_id: int, query: Paging) -> CommentList:
    """Comments"""
    listing = service.comments_page(viewer(), idea_id, query.page, query.per_page)
    return CommentList.of(listing, [Comment.of(comment) for comment in listing.items])


@routes.post("/ideas/<int:idea_id>/comments", body=NewComment, response=Comment, status=201,
             roles=SIGNED_IN, errors=(403, 404, 409))
@comment_limit
def create_comment(idea_id: int, body: NewComment) -> Comment:
    """Comment (staff may post an internal note)"""
    comment = service.add_comment(caller(), idea_id, body.body, internal=body.internal)
    return Comment.of(service.get_comment(comment.id))


@routes.patch("/ideas/<int:idea_id>", body=IdeaChange, response=Idea, roles=STAFF,
              errors=(403, 404, 409))
def update_idea(idea_id: int, body: IdeaChange) -> Idea:
    """Change status, note or area (staff)"""
    service.staff_update(caller(), idea_id, status=body.status, note=body.note or "",
                         area_slug=body.area, change_area="area" in body.model_fields_set)
    return one_idea(idea_id)


@routes.post("/ideas/<int:idea_id>/merge", body=Merge, response=Idea, roles=STAFF,
             errors=(403, 404, 409))
def merge(idea_id: int, body: Merge) -> Idea:
    """Merge into another idea (staff); answers the survivor"""
    survivor = service.merge_ideas(caller(), idea_id, body.into)
    return one_idea(survivor.id)


@routes.post("/ideas/<int:idea_id>/unmerge", response=Idea, roles=STAFF,
             errors=(403, 404, 409))
def unmerge(idea_id: int) -> Idea:
    """Undo a merge (staff); answers the restored idea"""
    service.unmerge_idea(caller(), idea_id)
    return one_idea(idea_id)


@routes.post("/ideas/<int:idea_id>/proxy-votes", body=ProxyVote, response=ProxyVoted,
             status=201, roles=STAFF, errors=(403, 404, 409))
def proxy_vote(idea_id: int, body: ProxyVote) -> ProxyVoted:
    """Vote on a customer's behalf (staff; shown as such)"""
    count, voter = service.add_vote_for(caller(), idea_id, body.email)
    return ProxyVoted(vote_count=count,
                      user=Person(id=voter.id, display_name=voter.display_name))


@routes.put("/ideas/<int:idea_id>/subscription", response=Subscription, roles=SIGNED_IN,
            errors=(404,))
def subscribe(idea_id: int) -> Subscription:
    """Follow an idea"""
    return Subscription(subscribed=service.set_subscribed(caller(), idea_id, True))


@routes.delete("/ideas/<int:idea_id>/subscription", response=Subscription, roles=SIGNED_IN,
               errors=(404,))
def unsubscribe(idea_id: int) -> Subscription:
    """Stop following an idea"""
    return Subscription(subscribed=service.set_subscribed(caller(), idea_id, False))
