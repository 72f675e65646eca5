"""The customer page for staff: /admin/customers/<user_id> (endpoint ``admin.customer``).

Who the customer is, a summary of what they did, and one timeline of every interaction,
newest first and paged, each linking to its object. Parse the request, call the facade
(``customer_view``), render. It belongs to the staff blueprint: voice/admin/views.py
adds it with :func:`register`. Every page that shows staff a customer's name may link
here with ``url_for('admin.customer', user_id=...)``.
"""

from __future__ import annotations

from flask import Blueprint, flash, render_template, request

from voice.admin import service
from voice.admin.customer_links import KIND_LABELS, activity_link
from voice.admin.page_helpers import current_actor
from voice.auth import staff_required
from voice.errors import Invalid
from voice.paging import parse_paging
from voice.query_args import QueryArgs

#: The page's query holds its paging and nothing else.
CUSTOMER_ARGS = QueryArgs()
PER_PAGE = 20


def _paging() -> tuple[int, int, int]:
    """The page asked for, or the first with a flashed sentence (status 400)."""
    try:
        CUSTOMER_ARGS.check(request.args)
        page, per_page = parse_paging(request.args, default_per_page=PER_PAGE)
        service.check_timeline_page(page, per_page)
    except Invalid as error:
        flash(error.message, "error")
        return 1, PER_PAGE, 400
    return page, per_page, 200


@staff_required
def customer(user_id: int):
    page, per_page, status = _paging()
    view = service.customer_view(current_actor(), user_id, page, per_page)
    return render_template("admin/customer.html", view=view, labels=KIND_LABELS,
                           link=activity_link), status


def register(bp: Blueprint) -> None:
    """Add the customer page to the staff blueprint."""
    bp.add_url_rule("/customers/<int:user_id>", view_func=customer, methods=["GET"])
