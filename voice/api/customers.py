"""The staff's view of one customer (../shared/API.md, "The loop, both ways").

    GET /api/v1/admin/customers/<id>     paging of the timeline

The same service as the page (``service.customer_view``). Errors: 403 ``forbidden`` for a
customer; 404 ``not_found`` for no such user; 400 ``invalid_paging`` for a page past the
timeline's depth (it reaches back ``TIMELINE_DEPTH`` interactions; the summary counts
all).
"""

from __future__ import annotations

from voice.activity import KINDS, Activity
from voice.admin import service
from voice.admin.customer_links import activity_link
from voice.api.contract import STAFF, Routes
from voice.api.helpers import caller
from voice.api.schemas.accounts import User
from voice.api.schemas.customers import (
    ActivityObject,
    Customer,
    CustomerQuery,
    Summary,
    Timeline,
    TimelineItem,
)

routes = Routes()


def _item(item: Activity) -> TimelineItem:
    return TimelineItem(kind=item.kind, at=item.at, id=item.id,
                        object=ActivityObject(type=KINDS[item.kind], id=item.target_id),
                        title=item.title, detail=item.detail, link=activity_link(item))


@routes.get("/admin/customers/<int:user_id>", query=CustomerQuery, response=Customer,
            roles=STAFF, errors=(403, 404))
def admin_customer(user_id: int, query: CustomerQuery) -> Customer:
    """One customer, whole (staff): attributes, summary and a page of the timeline"""
    who = caller()
    view = service.customer_view(who, user_id, query.page, query.per_page)
    s, timeline = view.summary, view.timeline
    return Customer(
        user=User.of(view.user, who), attributes=view.attributes,
        summary=Summary(ideas=s.ideas, votes=s.votes, comments=s.comments,
                        responses=s.responses, trades=s.trades, open_cases=s.open_cases,
                        last_nps=s.last_nps, positions=s.positions, cases=s.cases,
                        messages=s.messages),
        timeline=Timeline(items=[_item(item) for item in timeline.items],
                          page=timeline.page, per_page=timeline.per_page,
                          total=timeline.total))
