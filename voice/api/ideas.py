"""The ideas calls of the API contract (../shared/API.md), plus a few beyond it:
``mine``/``voted`` list filters, unmerge, a vote on a customer's behalf, and the
caller's subscription."""

from __future__ import annotations

from flask import request
from flask_login import current_user

from voice.api import bp
from voice.api.helpers import api_login_required, api_staff_required, caller, json_body, page_json
from voice.clock import isoformat
from voice.database import as_id
from voice.errors import Invalid
from voice.ideas import service
from voice.ideas.limits import comment_limit, submit_limit
from voice.ideas.models import Comment, Idea
from voice.markets.service import linked_markets
from voice.paging import parse_paging
from voice.text import render_markdown


def linked_markets_for(idea_ids: list[int]) -> dict:
    """idea id -> linked market (``.market_id``, ``.probability``, ``.status``), one query."""
    return linked_markets(idea_ids)


def viewer():
    return current_user._get_current_object() if current_user.is_authenticated else None


def idea_json(idea: Idea, voted: bool = False, linked: dict | None = None) -> dict:
    """An Idea as the contract shows it (author and area must be loaded)."""
    market = (linked or {}).get(idea.id)
    return {
        "id": idea.id,
        "title": idea.title,
        "description": idea.description,
        "description_html": str(render_markdown(idea.description)),
        "area": idea.area.slug if idea.area else None,
        "area_name": idea.area.name if idea.area else None,
        "status": idea.status,
        "author": ({"id": idea.author.id, "display_name": idea.author.display_name}
                   if idea.author else None),
        "vote_count": idea.vote_count,
        "comment_count": idea.comment_count,
        "voted": bool(voted),
        "voting_open": idea.voting_open,
        "created_at": isoformat(idea.created_at),
        "merged_into": idea.merged_into_id,
        "market_id": market.market_id if market else None,
        "market_probability": float(market.probability) if market else None,
        "url": f"/ideas/{idea.id}",
    }


def comment_json(comment: Comment) -> dict:
    data = {
        "id": comment.id,
        "idea_id": comment.idea_id,
        "body": comment.body,
        "body_html": str(render_markdown(comment.body)),
        "author": ({"id": comment.author.id, "display_name": comment.author.display_name}
                   if comment.author else None),
        "official": comment.official,
        "created_at": isoformat(comment.created_at),
    }
    if comment.internal or comment.hidden:  # only staff are ever shown these
        data.update(internal=comment.internal, hidden=comment.hidden)
    return data


def one_idea(idea_id: int) -> dict:
    idea = service.get_idea(idea_id)
    who = viewer()
    voted = idea.id in service.voted_ids(who, [idea.id])
    return idea_json(idea, voted, linked_markets_for([idea.id]))


def text_field(data: dict, key: str, *, required: bool = False) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Invalid(f"'{key}' must be a string.", code=f"invalid_{key}", field=key)
    return value


def flag(value: str | None) -> bool:
    return (value or "").lower() in ("1", "true", "yes")


@bp.get("/ideas")
def list_ideas():
    page, per_page = parse_paging(request.args)
    args = request.args
    listing = service.list_ideas(
        viewer(), sort=args.get("sort") or None, status=args.get("status") or None,
        area=args.get("area") or None, q=args.get("q") or None,
        mine=flag(args.get("mine")), voted=flag(args.get("voted")),
        page=page, per_page=per_page,
    )
    linked = linked_markets_for([idea.id for idea in listing.items])
    return page_json(listing, lambda idea: idea_json(idea, idea.id in listing.voted, linked))


@bp.post("/ideas")
@api_login_required
@submit_limit
def create_idea():
    data = json_body()
    idea = service.submit_idea(
        caller(), text_field(data, "title", required=True),
        text_field(data, "description") or "", text_field(data, "area"),
    )
    return one_idea(idea.id), 201


@bp.get("/ideas/similar")
def similar_ideas():
    try:
        limit = int(request.args.get("limit", 5))
    except ValueError:
        raise Invalid("limit must be a whole number.", code="invalid_limit") from None
    if not 1 <= limit <= 20:
        raise Invalid("limit is between 1 and 20.", code="invalid_limit")
    ideas = service.similar_ideas(request.args.get("q", "")[:200], limit)
    voted = service.voted_ids(viewer(), [idea.id for idea in ideas])
    linked = linked_markets_for([idea.id for idea in ideas])
    return {"items": [idea_json(idea, idea.id in voted, linked) for idea in ideas]}


@bp.get("/ideas/<int:idea_id>")
def get_idea(idea_id: int):
    return one_idea(idea_id)


@bp.post("/ideas/<int:idea_id>/vote")
@api_login_required
def vote(idea_id: int):
    count, voted = service.cast_vote(caller(), idea_id)
    return {"vote_count": count, "voted": voted}


@bp.delete("/ideas/<int:idea_id>/vote")
@api_login_required
def unvote(idea_id: int):
    count, voted = service.remove_vote(caller(), idea_id)
    return {"vote_count": count, "voted": voted}


@bp.get("/ideas/<int:idea_id>/comments")
def list_comments(idea_id: int):
    page, per_page = parse_paging(request.args)
    return page_json(service.comments_page(viewer(), idea_id, page, per_page), comment_json)


@bp.post("/ideas/<int:idea_id>/comments")
@api_login_required
@comment_limit
def create_comment(idea_id: int):
    data = json_body()
    internal = data.get("internal", False)
    if not isinstance(internal, bool):
        raise Invalid("'internal' must be true or false.", code="invalid_internal")
    comment = service.add_comment(caller(), idea_id, text_field(data, "body", required=True),
                                  internal=internal)
    return comment_json(service.get_comment(comment.id)), 201


@bp.patch("/ideas/<int:idea_id>")
@api_staff_required
def update_idea(idea_id: int):
    data = json_body()
    status = text_field(data, "status")
    note = text_field(data, "note") or ""
    change_area = "area" in data
    area = data.get("area")
    if change_area and area is not None and not isinstance(area, str):
        raise Invalid("'area' must be an area's slug or null.", code="invalid_area")
    service.staff_update(caller(), idea_id, status=status, note=note, area_slug=area,
                         change_area=change_area)
    return one_idea(idea_id)


@bp.post("/ideas/<int:idea_id>/merge")
@api_staff_required
def merge(idea_id: int):
    data = json_body()
    into = data.get("into")
    if not isinstance(into, int) or isinstance(into, bool):
        raise Invalid("'into' must be the id of the idea to merge into.", code="invalid_into",
                      field="into")
    survivor = service.merge_ideas(caller(), idea_id, as_id(into))
    return one_idea(survivor.id)


@bp.post("/ideas/<int:idea_id>/unmerge")
@api_staff_required
def unmerge(idea_id: int):
    """Beyond the contract: undo a merge; answers the restored idea."""
    service.unmerge_idea(caller(), idea_id)
    return one_idea(idea_id)


@bp.post("/ideas/<int:idea_id>/proxy-votes")
@api_staff_required
def proxy_vote(idea_id: int):
    """Beyond the contract: ``{email}``: a vote on a customer's behalf (shown as such)."""
    data = json_body()
    count, voter = service.add_vote_for(caller(), idea_id,
                                        text_field(data, "email", required=True))
    return {"vote_count": count, "user": {"id": voter.id, "display_name": voter.display_name}}, 201


@bp.put("/ideas/<int:idea_id>/subscription")
@api_login_required
def subscribe(idea_id: int):
    """Beyond the contract: follow the idea; ``{"subscribed": true}``."""
    return {"subscribed": service.set_subscribed(caller(), idea_id, True)}


@bp.delete("/ideas/<int:idea_id>/subscription")
@api_login_required
def unsubscribe(idea_id: int):
    """Beyond the contract: stop hearing about the idea; ``{"subscribed": false}``."""
    return {"subscribed": service.set_subscribed(caller(), idea_id, False)}
