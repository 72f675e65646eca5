"""The staff calls of the API contract: cases.

    GET   /api/v1/admin/cases          team, state, source, overdue, assignee, paging
    PATCH /api/v1/admin/cases/<id>     {state?, assignee_id?, reply?, note?, team_id?}

Errors: 403 ``forbidden`` for a customer; 400 ``invalid_state`` for an unknown state;
409 ``invalid_transition`` (a closed case stays closed, nothing goes back to new);
409 ``reply_required`` when closing (closed or wont_do) the case of an identified
customer who never got a reply; 400 ``no_customer`` for a reply nobody can receive;
400 ``invalid_assignee``; 404 ``not_found``.
"""

from __future__ import annotations

from flask import request

from voice.admin import service
from voice.admin.serialize import case_json
from voice.api import bp
from voice.api.helpers import api_staff_required, caller, json_body, page_json
from voice.database import as_id
from voice.errors import Invalid
from voice.paging import parse_paging

PATCHABLE = {"state", "assignee_id", "reply", "note", "team_id"}


@bp.get("/admin/cases")
@api_staff_required
def list_cases():
    page, per_page = parse_paging(request.args)
    filters = service.parse_case_filters(request.args)
    return page_json(service.list_cases(filters, page, per_page), case_json)


def _optional_text(data: dict, key: str) -> str | None:
    value = data.get(key)
    if value is None:
        return None
    if not isinstance(value, str):
        raise Invalid(f"{key} must be a string.", code=f"invalid_{key}")
    return value


def _optional_id(data: dict, key: str):
    value = data.get(key)
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise Invalid(f"{key} must be a number or null.", code=f"invalid_{key}")
    return value if value is None else as_id(value)


@bp.patch("/admin/cases/<int:case_id>")
@api_staff_required
def patch_case(case_id: int):
    data = json_body()
    unknown = set(data) - PATCHABLE
    if unknown:
        raise Invalid(f"Unknown field: {', '.join(sorted(unknown))}.", code="invalid_field")
    state = data.get("state")
    if state is not None and not isinstance(state, str):
        raise Invalid("state must be a string.", code="invalid_state")
    kwargs = {}
    if "assignee_id" in data:
        kwargs["assignee_id"] = _optional_id(data, "assignee_id")
    service.change_case(caller(), case_id, state=state, reply=_optional_text(data, "reply"),
                        note=_optional_text(data, "note"),
                        team_id=_optional_id(data, "team_id"), **kwargs)
    return case_json(service.get_case(case_id))
