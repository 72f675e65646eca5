"""Staff pages under /admin, and the public "You asked, we did" pages (blueprint ``updates``).

Importing this module connects routing and the audit log to the domains' signals.
Cases, dashboards, updates, scores and the audit log are for staff; users, teams,
rules and areas are for admins.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from voice.admin import audit, dashboard, routing, service, updates, webhooks  # noqa: F401
from voice.admin.forms import (
    AREA_TEAM,
    AreaForm,
    CaseForm,
    NewTeamForm,
    OwnerForm,
    RuleForm,
    TeamForm,
    UpdateForm,
    UserSearchForm,
)
from voice.admin.models import SOURCE_TYPE_LABELS, STATE_LABELS
from voice.admin.rules import SCORED_KINDS, SOURCE_LABELS
from voice.auth import admin_required, staff_required
from voice.clock import utcnow
from voice.errors import Invalid, ServiceError
from voice.forms import choices, show_service_error
from voice.paging import parse_paging

bp = Blueprint("admin", __name__, url_prefix="/admin")
public = Blueprint("updates", __name__)


@bp.record_once
def _register_public_pages(state) -> None:
    """The public /updates pages come with the staff blueprint (no prefix of their own)."""
    if "updates" not in state.app.blueprints:
        state.app.register_blueprint(public)


def _share_commands() -> None:
    """``flask admin ...``: the blueprint's command group holds voice/admin/commands.py's."""
    from voice.admin.commands import admin_cli

    for command in admin_cli.commands.values():
        bp.cli.add_command(command)


_share_commands()


def _me():
    return current_user._get_current_object()


def _int_or_none(value) -> int | None:
    return int(value) if value not in (None, "") and str(value).isdigit() else None


# --- home -------------------------------------------------------------------------------


@bp.route("")
@bp.route("/")
@staff_required
def home():
    board = dashboard.build()
    return render_template("admin/home.html", board=board, charts=_chart_data(board),
                           next_week=lambda day: (day + timedelta(days=7)).isoformat())


def _chart_data(board: dashboard.Dashboard) -> dict:
    def num(value):
        return None if value is None else round(value, 1)

    weeks = [w.week.isoformat() for w in board.nps_weeks]
    return {
        "scores": {"labels": weeks,
                   "nps": [num(w.nps) for w in board.nps_weeks],
                   "csat": [num(w.csat) for w in board.csat_weeks]},
        "cases": {"labels": [row.name for row in board.team_cases],
                  "open": [row.open for row in board.team_cases],
                  "overdue": [row.overdue for row in board.team_cases]},
        "loop": {"labels": [m.key.isoformat() for m in board.loop_weeks],
                 "reply_share": [num(m.reply_share) for m in board.loop_weeks],
                 "first_response": [num(m.median_first_response_hours)
                                    for m in board.loop_weeks],
                 "close": [num(m.median_close_hours) for m in board.loop_weeks]},
    }


# --- cases ------------------------------------------------------------------------------


def _case_list(template_title: str, mine: bool = False):
    args = request.args.to_dict()
    if mine:
        args["assignee"] = str(current_user.id)
    try:
        filters = service.parse_case_filters(args)
        page, per_page = parse_paging(request.args, default_per_page=25)
    except Invalid as error:
        flash(error.message, "error")
        filters, page, per_page = service.CaseFilters(state="open"), 1, 25
        status = 400
    else:
        status = 200
    listing = service.list_cases(filters, page, per_page)
    return render_template(
        "admin/cases.html", listing=listing, filters=filters, title=template_title, mine=mine,
        teams=service.all_teams(), states=STATE_LABELS, sources=SOURCE_TYPE_LABELS,
        now=utcnow()), status


@bp.route("/cases")
@staff_required
def cases():
    return _case_list("Team inbox")


@bp.route("/cases/mine")
@staff_required
def my_cases():
    return _case_list("My cases", mine=True)


def _case_form(detail: service.CaseDetail, form: CaseForm | None = None) -> CaseForm:
    form = form or CaseForm()
    form.assignee_id.choices = choices([("", "Nobody")] + [(str(u.id), u.display_name)
                                                          for u in detail.staff])
    form.team_id.choices = choices((str(t.id), t.name) for t in detail.teams)
    if request.method == "GET":
        form.assignee_id.data = str(detail.case.assignee_id or "")
        form.team_id.data = str(detail.case.team_id)
    return form


@bp.route("/cases/<int:case_id>", methods=["GET", "POST"])
@staff_required
def case(case_id: int):
    detail = service.case_detail(case_id)
    form = _case_form(detail)
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                assignee = form.assignee_id.data
                service.change_case(
                    _me(), case_id, state=form.state.data or None,
                    assignee_id=_int_or_none(assignee),
                    team_id=_int_or_none(form.team_id.data),
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
                           states=STATE_LABELS), status


# --- teams ------------------------------------------------------------------------------


@bp.route("/teams", methods=["GET", "POST"])
@admin_required
def teams():
    form = NewTeamForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                team = service.create_team(_me(), form.name.data, form.description.data or "")
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash(f"Team {team.name} created.", "success")
                return redirect(url_for("admin.team", team_id=team.id))
        status = 400
    return render_template("admin/teams.html", teams=service.teams_overview(),
                           form=form), status


@bp.route("/teams/<int:team_id>", methods=["GET", "POST"])
@admin_required
def team(team_id: int):
    view = service.team_detail(team_id)
    form = TeamForm(obj=view.team) if request.method == "GET" else TeamForm()
    if request.method == "GET":
        form.webhook_secret.data = ""
    owner_form = OwnerForm(prefix="owner")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.update_team(_me(), team_id, name=form.name.data,
                                    description=form.description.data or "",
                                    webhook_url=form.webhook_url.data or "",
                                    webhook_secret=form.webhook_secret.data or "")
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash("Team saved.", "success")
                return redirect(url_for("admin.team", team_id=team_id))
        status = 400
    return render_template("admin/team.html", view=view, form=form, owner_form=owner_form,
                           deliveries=webhooks.recent_deliveries(team_id)), status


@bp.post("/teams/<int:team_id>/owners")
@admin_required
def add_owner(team_id: int):
    form = OwnerForm(prefix="owner")
    if form.validate_on_submit():
        try:
            service.add_owner(_me(), team_id, form.email.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"{form.email.data} now owns this team.", "success")
            return redirect(url_for("admin.team", team_id=team_id))
    view = service.team_detail(team_id)
    team_form = TeamForm(obj=view.team, formdata=None)
    team_form.webhook_secret.data = ""
    return render_template("admin/team.html", view=view, form=team_form, owner_form=form,
                           deliveries=webhooks.recent_deliveries(team_id)), 400


@bp.post("/teams/<int:team_id>/owners/<int:user_id>/remove")
@admin_required
def remove_owner(team_id: int, user_id: int):
    _check_csrf()
    service.remove_owner(_me(), team_id, user_id)
    flash("Owner removed.", "success")
    return redirect(url_for("admin.team", team_id=team_id))


def _check_csrf() -> None:
    """Plain forms without a WTForms class (buttons) still carry and check the token."""
    from flask_wtf.csrf import validate_csrf
    from wtforms import ValidationError

    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        from flask_wtf.csrf import CSRFError

        raise CSRFError("The CSRF token is missing or invalid.") from None


# --- areas ------------------------------------------------------------------------------


def _area_form(form: AreaForm | None = None) -> AreaForm:
    form = form or AreaForm()
    form.team_id.choices = choices([("", "No team")] + [(str(t.id), t.name)
                                                        for t in service.all_teams()])
    return form


@bp.route("/areas", methods=["GET", "POST"])
@admin_required
def areas():
    form = _area_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                area = service.create_area(_me(), form.name.data, form.description.data or "",
                                           _int_or_none(form.team_id.data))
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash(f"Area {area.name} created.", "success")
                return redirect(url_for("admin.areas"))
        status = 400
    return render_template("admin/areas.html", areas=service.areas_overview(), form=form,
                           teams=service.all_teams()), status


@bp.post("/areas/<int:area_id>/team")
@admin_required
def area_team(area_id: int):
    _check_csrf()
    service.assign_area(_me(), area_id, _int_or_none(request.form.get("team_id")))
    flash("Area saved.", "success")
    return redirect(url_for("admin.areas"))


# --- rules ------------------------------------------------------------------------------


def _rule_form(form: RuleForm | None = None) -> RuleForm:
    from voice.areas.service import all_areas

    form = form or RuleForm()
    form.team_id.choices = choices(
        [(AREA_TEAM, "The team of the signal's area (else triage)")]
        + [(str(t.id), t.name) for t in service.all_teams()])
    form.area_id.choices = choices(
        [("", "Any area")] + [(str(a.id), a.name) for a in all_areas()])
    form.survey_id.choices = choices(
        [("", "Any survey")] + [(str(s.id), s.title) for s in service.survey_choices()])
    return form


@bp.route("/rules")
@admin_required
def rules():
    rows = service.rules_overview()
    team_names = {t.id: t.name for t in service.all_teams()}
    return render_template("admin/rules.html", rules=rows, team_names=team_names,
                           sources=SOURCE_LABELS)


def _rule_page(rule_id: int | None):
    row = service.get_rule(rule_id) if rule_id else None
    form = _rule_form()
    if request.method == "GET" and row is not None:
        form.load(row)
    preview_rows, status = None, 200
    action = request.form.get("action", "save")
    if request.method == "GET" and row is not None:
        preview_rows = service.preview_rule(_values_of(row), rule_id=row.id)
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                if action == "preview":
                    preview_rows = service.preview_rule(form.values(), rule_id=rule_id or 0)
                elif row is None:
                    created = service.create_rule(_me(), form.values())
                    flash("Rule created.", "success")
                    return redirect(url_for("admin.rule", rule_id=created.id))
                else:
                    service.update_rule(_me(), row.id, form.values())
                    flash("Rule saved.", "success")
                    return redirect(url_for("admin.rule", rule_id=row.id))
            except ServiceError as error:
                show_service_error(form, error)
                status = 400
        else:
            status = 400
    rule_names = {r.id: (r.name or f"Rule #{r.id}") for r in service.ordered_rules()}
    return render_template("admin/rule.html", form=form, row=row, preview=preview_rows,
                           rule_names=rule_names, scored=SCORED_KINDS), status


def _values_of(row) -> dict:
    form = RuleForm(formdata=None)
    form.load(row)
    values = form.values()
    values["enabled"] = row.enabled
    return values


@bp.route("/rules/new", methods=["GET", "POST"])
@admin_required
def new_rule():
    return _rule_page(None)


@bp.route("/rules/<int:rule_id>", methods=["GET", "POST"])
@admin_required
def rule(rule_id: int):
    return _rule_page(rule_id)


@bp.post("/rules/<int:rule_id>/move")
@admin_required
def move_rule(rule_id: int):
    _check_csrf()
    service.move_rule(_me(), rule_id, request.form.get("direction", ""))
    return redirect(url_for("admin.rules"))


@bp.post("/rules/<int:rule_id>/delete")
@admin_required
def delete_rule(rule_id: int):
    _check_csrf()
    service.delete_rule(_me(), rule_id)
    flash("Rule deleted. Its cases stay.", "success")
    return redirect(url_for("admin.rules"))


# --- users ------------------------------------------------------------------------------


@bp.route("/users")
@admin_required
def users():
    form = UserSearchForm(request.args)
    page, per_page = parse_paging(request.args)
    try:
        listing = service.search_users(form.q.data or "", form.role.data or "", page, per_page)
    except ServiceError as error:
        flash(error.message, "error")
        listing = service.search_users("", "", 1, per_page)
    return render_template("admin/users.html", form=form, listing=listing)


@bp.post("/users/<int:user_id>/role")
@admin_required
def user_role(user_id: int):
    _check_csrf()
    try:
        user = service.change_role(_me(), user_id, request.form.get("role", ""))
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
    else:
        flash(f"{user.email} is now {user.role}.", "success")
    return redirect(request.form.get("back") or url_for("admin.users"))


@bp.post("/users/<int:user_id>/active")
@admin_required
def user_active(user_id: int):
    _check_csrf()
    active = request.form.get("active") == "1"
    try:
        user = service.set_user_active(_me(), user_id, active)
    except ServiceError as error:
        if error.status in (403, 404):
            raise
        flash(error.message, "error")
    else:
        flash(f"{user.email} is {'active' if user.active else 'deactivated'}.", "success")
    return redirect(url_for("admin.users"))


# --- audit log -------------------------------------------------------------------------


@bp.route("/audit")
@staff_required
def audit_log():
    page, per_page = parse_paging(request.args, default_per_page=50)
    args = request.args

    def day(key: str) -> datetime | None:
        value = (args.get(key) or "").strip()
        try:
            return datetime.fromisoformat(value) if value else None
        except ValueError:
            abort(400, f"{key} must be a date (YYYY-MM-DD).")

    until = day("until")
    listing = audit.entries(
        action=(args.get("action") or "").strip()[:40],
        actor_id=_int_or_none(args.get("actor")),
        target_type=(args.get("target_type") or "").strip()[:30],
        target_id=_int_or_none(args.get("target_id")),
        since=day("since"), until=until + timedelta(days=1) if until else None,
        page=page, per_page=per_page)
    return render_template("admin/audit.html", listing=listing, actions=audit.action_names(),
                           staff=service.staff_members())


# --- the lists behind the survey figures --------------------------------------------------


@bp.route("/scores")
@staff_required
def scores():
    kind = request.args.get("kind", "nps")
    if kind not in SCORED_KINDS:
        abort(400, f"kind is one of {', '.join(SCORED_KINDS)}.")
    page, per_page = parse_paging(request.args, default_per_page=50)
    since = until = None
    week = (request.args.get("week") or "").strip()
    if week:
        try:
            since = datetime.fromisoformat(week)
        except ValueError:
            abort(400, "week must be a date (YYYY-MM-DD).")
        until = since + timedelta(days=7)
    low, high = _int_or_none(request.args.get("min")), _int_or_none(request.args.get("max"))
    listing = dashboard.score_answers(kind, since=since, until=until, low=low, high=high,
                                      page=page, per_page=per_page)
    return render_template("admin/scores.html", listing=listing, kind=kind, week=week,
                           low=low, high=high)


# --- updates (staff side) ------------------------------------------------------------------


@bp.route("/updates", methods=["GET", "POST"])
@staff_required
def staff_updates():
    form = UpdateForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                ids = updates.parse_idea_ids(form.idea_ids.data)
                update = updates.publish_update(_me(), form.title.data, form.body.data or "",
                                                ids)
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash(f"Published. {update.notified_count} customers were told.", "success")
                return redirect(url_for("updates.show", update_id=update.id))
        status = 400
    elif request.args.get("ideas"):
        form.idea_ids.data = request.args["ideas"]
    page, _ = parse_paging(request.args)
    listing, views = updates.list_updates(page, 20)
    return render_template("admin/updates.html", form=form, listing=listing,
                           views=views), status


# --- public: "You asked, we did" -------------------------------------------------------


@public.route("/updates")
def index():
    page, _ = parse_paging(request.args)
    listing, views = updates.list_updates(page, 10)
    return render_template("admin/public_updates.html", listing=listing, views=views)


@public.route("/updates/<int:update_id>")
def show(update_id: int):
    return render_template("admin/public_update.html", view=updates.get_update(update_id))
