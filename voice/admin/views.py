"""The staff blueprint (``admin``, under /admin): parse the request, call the staff
side's facade, render.

Here: the pages for staff (the home dashboard, a case, the audit log, the lists behind
the score figures, updates). The inbox is voice/admin/inbox_views.py's, the customer page
voice/admin/customer_views.py's, the admins' pages (teams, areas, rules, users)
voice/admin/settings_views.py's, each added to this blueprint by its ``register``; the public
"You asked, we did" pages are voice/admin/public_views.py's.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from voice.admin import customer_views, inbound_views, inbox_views, service, settings_views
from voice.admin.forms import CaseForm, UpdateForm
from voice.admin.models import STATE_LABELS
from voice.admin.page_helpers import current_actor
from voice.admin.query_args import whole_number
from voice.auth import staff_required
from voice.clock import utcnow
from voice.errors import ServiceError
from voice.forms import choices, show_service_error
from voice.paging import parse_paging
from voice.query_args import QueryArgs
from voice.surveys.scales import NPS_DETRACTORS

bp = Blueprint("admin", __name__, url_prefix="/admin")
settings_views.register(bp)
inbox_views.register(bp)
customer_views.register(bp)
inbound_views.register(bp)  # /admin/mail: the mail kept aside

# What each list's query may hold, read by voice.query_args before the filters are parsed:
# an unknown, huge, non-ASCII or out-of-calendar argument is a 400 with a sentence.
AUDIT_ARGS = QueryArgs(numbers=("actor", "target_id"), days=("since", "until"),
                       texts=("action", "target_type"))
SCORE_ARGS = QueryArgs(numbers=("min", "max"), days=("week",), texts=("kind",))


# --- home -------------------------------------------------------------------------------


@bp.route("")
@bp.route("/")
@staff_required
def home():
    board = service.build_dashboard()
    return render_template("admin/home.html", board=board, charts=service.chart_data(board),
                           next_week=lambda day: (day + timedelta(days=7)).isoformat(),
                           detractor_max=NPS_DETRACTORS.high)


# --- cases (the inbox and its bulk actions: voice/admin/inbox_views.py) ----------------


def _templates(case_id: int, team_id: int) -> list[tuple[Any, str]]:
    """The case team's reply templates, each with its text filled for this case (the
    picker's options; case.js puts the text in the reply box without a reload)."""
    return [(template, service.fill_reply_template(template.id, case_id))
            for template in service.reply_templates(team_id)]


def _use_template(form: CaseForm, case_id: int, team_id: int) -> None:
    """``?template=<id>`` (the picker without JavaScript): the reply box starts with it."""
    if not request.args.get("template"):
        return
    try:
        template_id = whole_number(request.args["template"], "A template") or 0
        service.get_reply_template(template_id, team_id)
        form.reply.data = service.fill_reply_template(template_id, case_id)
    except ServiceError as error:
        flash(error.message, "error")


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@staff_required
def case(case_id: int):
    detail = service.case_detail(case_id)
    form = CaseForm().fill(detail.staff, detail.teams).about(detail.case)
    if detail.case.state == "closed":  # a closed case may only reopen
        form.state.choices = choices([("", "Keep it closed"),
                                      ("in_progress", "Reopen: in progress")])
    if request.method == "GET":
        form.show(detail.case)
        _use_template(form, case_id, detail.case.team_id)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                assignee = form.assignee_id.data
                service.change_case(
                    current_actor(), case_id, state=form.state.data or None,
                    assignee_id=whole_number(assignee),
                    team_id=whole_number(form.team_id.data),
                    reply=form.reply.data, note=form.note.data)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash("Case saved." + (" The customer has your reply." if form.reply.data
                                       else ""), "success")
                return redirect(url_for("admin.case", case_id=case_id))
        status = 400
        detail = service.case_detail(case_id)
    return render_template("admin/case.html", detail=detail, form=form, now=utcnow(),
                           states=STATE_LABELS,
                           templates=_templates(case_id, detail.case.team_id)), status


# --- audit log -------------------------------------------------------------------------


@bp.route("/audit")
@staff_required
def audit_log():
    AUDIT_ARGS.check(request.args)
    page, per_page = parse_paging(request.args, default_per_page=50)
    filters = service.parse_audit_filters(request.args)
    listing = service.audit_entries(filters, page=page, per_page=per_page)
    return render_template("admin/audit.html", listing=listing,
                           actions=service.audit_actions(), staff=service.staff_members())


# --- the lists behind the survey figures --------------------------------------------------


@bp.route("/scores")
@staff_required
def scores():
    SCORE_ARGS.check(request.args)
    page, per_page = parse_paging(request.args, default_per_page=50)
    filters = service.parse_score_filters(request.args)
    listing = service.list_score_answers(filters, page=page, per_page=per_page)
    return render_template("admin/scores.html", listing=listing, kind=filters.kind,
                           week=filters.week, low=filters.low, high=filters.high)


# --- updates (staff side) ------------------------------------------------------------------


@bp.route("/updates", methods=["GET", "POST"])
@staff_required
def staff_updates():
    form = UpdateForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ids = service.parse_idea_ids(form.idea_ids.data)
                update = service.publish_update(current_actor(), form.title.data,
                                                form.body.data or "", ids)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash(f"Published. {update.notified_count} customers were told.", "success")
                return redirect(url_for("updates.show", update_id=update.id))
        status = 400
    elif request.args.get("ideas"):
        form.idea_ids.data = request.args["ideas"]
    page, _ = parse_paging(request.args)
    listing, views = service.list_updates(page, 20)
    return render_template("admin/updates.html", form=form, listing=listing,
                           views=views), status
