"""The staff inbox: /admin/cases (the team inbox) and /admin/cases/mine, with their
filters, paging and bulk actions. Parse the request, call the facade, render.

They belong to the staff blueprint (endpoints ``admin.cases``, ``admin.my_cases``):
voice/admin/views.py adds them with :func:`register`. The bulk form posts to the list's
own address (its filters in the query), so an error re-renders the same list with the
ticked boxes and the typed reply kept, and a success goes back to it.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request
from flask_login import current_user

from voice.admin import service
from voice.admin.inbox_forms import BulkForm
from voice.admin.models import SOURCE_TYPE_LABELS, STATE_LABELS
from voice.admin.page_helpers import current_actor
from voice.admin.query_args import whole_number
from voice.auth import staff_required
from voice.clock import utcnow
from voice.errors import Invalid, ServiceError
from voice.forms import show_service_error
from voice.paging import parse_paging
from voice.query_args import QueryArgs

# What the list's query may hold, read by voice.query_args before the filters are parsed:
# an unknown, huge, non-ASCII or out-of-calendar argument is a 400 with a sentence.
CASE_ARGS = QueryArgs(numbers=("team", "assignee"), days=("since", "until"),
                      choices={"overdue": service.FLAG_VALUES, "waiting": service.FLAG_VALUES,
                               "replied": service.FLAG_VALUES},
                      texts=("state", "source", "q"))
PER_PAGE = 25


def _read_list(mine: bool):
    """The filters and page of the request, or the open cases' first page and a flashed
    sentence (status 400) when the query is wrong."""
    args = request.args.to_dict()
    if mine:
        args["assignee"] = str(current_user.id)
    try:
        CASE_ARGS.check(request.args)
        filters = service.parse_case_filters(args)
        page, per_page = parse_paging(request.args, default_per_page=PER_PAGE)
    except Invalid as error:
        flash(error.message, "error")
        return service.CaseFilters(state="open"), 1, PER_PAGE, 400
    return filters, page, per_page, 200


def _render(title: str, mine: bool, form: BulkForm, staff: list, ticked: set[int],
            status: int = 200):
    filters, page, per_page, read = _read_list(mine)
    listing = service.list_cases(filters, page, per_page)
    return render_template(
        "admin/cases.html", listing=listing, filters=filters, title=title, mine=mine,
        teams=service.all_teams(), staff=staff, states=STATE_LABELS,
        sources=SOURCE_TYPE_LABELS, now=utcnow(), form=form, ticked=ticked,
        max_bulk=service.MAX_BULK), max(status, read)


def _bulk(form: BulkForm) -> bool:
    """Run the bulk action of the submitted form; whether it ran (errors go on the form)."""
    try:
        case_ids = service.parse_case_ids(request.form.getlist("case_ids"))
        if form.action.data == "assign":
            result = service.bulk_assign(current_actor(), case_ids,
                                         whole_number(form.assignee_id.data, "assignee"))
            verb = "assigned"
        else:
            result = service.bulk_close(current_actor(), case_ids, form.reply.data)
            verb = "closed" + (", each customer has the reply" if result.done else "")
    except ServiceError as error:
        show_service_error(form, error)
        return False
    done = len(result.done)
    flash(f"{done} case{'' if done == 1 else 's'} {verb}.", "success")
    if result.skipped:
        shown = "; ".join(f"#{case_id}: {reason}" for case_id, reason in result.skipped[:10])
        more = len(result.skipped) - 10
        flash(f"{len(result.skipped)} left as they were ({shown}"
              f"{f'; and {more} more' if more > 0 else ''}).", "error")
    return True


def _ticked() -> set[int]:
    """The ticked boxes to show again after an error (what is not a case number drops)."""
    return {int(v) for v in request.form.getlist("case_ids")
            if v.isascii() and v.isdigit() and len(v) < 10}


def _inbox(title: str, mine: bool = False):
    staff = service.staff_members()
    form = BulkForm().fill(staff)
    if request.method == "POST":
        if form.validate_on_submit() and _bulk(form):
            return redirect(request.full_path.rstrip("?"))
        return _render(title, mine, form, staff, _ticked(), status=400)
    return _render(title, mine, form, staff, set())


@staff_required
def cases():
    return _inbox("Team inbox")


@staff_required
def my_cases():
    return _inbox("My cases", mine=True)


def register(bp: Blueprint) -> None:
    """Add the inbox's pages to the staff blueprint."""
    bp.add_url_rule("/cases", view_func=cases, methods=["GET", "POST"])
    bp.add_url_rule("/cases/mine", view_func=my_cases, methods=["GET", "POST"])
