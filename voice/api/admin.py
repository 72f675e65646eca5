"""The staff calls of the API contract: cases.

    GET   /api/v1/admin/cases          team, state, source, overdue, waiting, assignee,
                                       replied, q, since, until, paging
    PATCH /api/v1/admin/cases/<id>     {state?, assignee_id?, reply?, note?, team_id?}

Errors: 403 ``forbidden`` for a customer; 400 ``invalid_state`` for an unknown state;
409 ``invalid_transition`` (won't-do is final, a closed case reopens only to
in_progress, nothing goes back to new);
409 ``reply_required`` when closing (closed or wont_do) the case of an identified
customer who never got a reply; 400 ``no_customer`` for a reply nobody can receive;
400 ``invalid_assignee``; 400 ``invalid_field`` for a field it does not take; 404
``not_found``.
"""

from __future__ import annotations

from typing import Any

from voice.admin import service
from voice.admin.serialize import case_json
from voice.api.contract import STAFF, Routes
from voice.api.helpers import caller
from voice.api.schemas.admin import Case, CaseChange, CaseList, CaseQuery

routes = Routes()


@routes.get("/admin/cases", query=CaseQuery, response=CaseList, roles=STAFF, errors=(403,))
def list_cases(query: CaseQuery) -> CaseList:
    """Cases (staff)"""
    filters = service.parse_case_filters(query.filters())
    listing = service.list_cases(filters, query.page, query.per_page)
    return CaseList.of(listing, [Case.model_validate(case_json(case)) for case in listing.items])


@routes.patch("/admin/cases/<int:case_id>", body=CaseChange, response=Case, roles=STAFF,
              errors=(403, 404, 409))
def patch_case(case_id: int, body: CaseChange) -> Case:
    """Move, assign, reply or note (staff); a reply reaches the customer"""
    assignee: dict[str, Any] = {}
    if "assignee_id" in body.model_fields_set:
        assignee["assignee_id"] = body.assignee_id
    service.change_case(caller(), case_id, state=body.state, reply=body.reply, note=body.note,
                        team_id=body.team_id, **assignee)
    return Case.model_validate(case_json(service.get_case(case_id)))
