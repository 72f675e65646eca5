"""The loop, both ways (../shared/API.md): the customer's cases and their messages, and
staff's view of a thread and their messages.

    GET   /api/v1/me/cases                      paging: the caller's conversations
    GET   /api/v1/me/cases/<id>                 one (404 unless it is about the caller)
    POST  /api/v1/me/cases/<id>/messages        {body}: 201 Message
    GET   /api/v1/admin/cases/<id>              staff: the Case with messages and notes
    POST  /api/v1/admin/cases/<id>/messages     staff, {body, state?}: 201 Message

Errors: 400 ``invalid_message`` (no body, not text, empty, longer than 20,000 characters;
a request over ``MAX_CONTENT_LENGTH`` is a 413 ``too_large`` before it is read), 400
``invalid_field``, 400 ``invalid_state``, 400 ``no_customer``, 403 ``forbidden`` (a
customer on the staff calls), 404 ``not_found``, 409 ``invalid_transition``.
"""

from __future__ import annotations

from voice.admin import service
from voice.admin.limits import message_limit
from voice.api.contract import SIGNED_IN, STAFF, Routes
from voice.api.helpers import caller
from voice.api.schemas.common import Paging
from voice.api.schemas.conversations import (
    CaseThread,
    Message,
    MyCase,
    MyCaseList,
    NewMessage,
    NewStaffMessage,
)

routes = Routes()


@routes.get("/me/cases", query=Paging, response=MyCaseList, roles=SIGNED_IN)
def my_cases(query: Paging) -> MyCaseList:
    """The caller's conversations, the latest message first"""
    listing = service.my_cases(caller(), query.page, query.per_page)
    return MyCaseList.of(listing, [MyCase.of(item) for item in listing.items])


@routes.get("/me/cases/<int:case_id>", response=MyCase, roles=SIGNED_IN, errors=(404,))
def my_case(case_id: int) -> MyCase:
    """One of the caller's conversations"""
    return MyCase.of(service.my_case(caller(), case_id))


@routes.post("/me/cases/<int:case_id>/messages", body=NewMessage, response=Message,
             status=201, roles=SIGNED_IN, errors=(404,))
@message_limit
def post_my_message(case_id: int, body: NewMessage) -> Message:
    """Answer on one of the caller's cases; a closed or waiting case goes back to work"""
    user = caller()
    note = service.post_customer_message(user, case_id, body.body, via="api")
    return Message.of(note, author=user)


@routes.get("/admin/cases/<int:case_id>", response=CaseThread, roles=STAFF,
            errors=(403, 404))
def get_case(case_id: int) -> CaseThread:
    """A case with its messages and internal notes (staff)"""
    return CaseThread.of(service.case_thread(case_id))


@routes.post("/admin/cases/<int:case_id>/messages", body=NewStaffMessage, response=Message,
             status=201, roles=STAFF, errors=(403, 404, 409))
def post_case_message(case_id: int, body: NewStaffMessage) -> Message:
    """Write to the case's customer (staff): in-app and by mail; optionally move the case"""
    user = caller()
    note = service.post_staff_message(user, case_id, body.body, state=body.state, via="api")
    return Message.of(note, author=user)
