"""The admins' pages: teams, areas, routing rules, users. Parse the request, call the
facade, render.

They belong to the staff blueprint (endpoints ``admin.<function>``, under /admin):
voice/admin/views.py adds them with :func:`register`, from the table :data:`PAGES`.
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for

from voice.accounts.service import get_user
from voice.admin import service, template_views
from voice.admin.forms import AreaForm, NewTeamForm, OwnerForm, RuleForm, TeamForm, UserSearchForm
from voice.admin.page_helpers import check_csrf, current_actor
from voice.admin.query_args import whole_number
from voice.admin.rules import SCORED_KINDS, SOURCE_LABELS
from voice.areas.service import all_areas
from voice.auth import admin_required, safe_next_url
from voice.confirmation import Ask, confirmation
from voice.errors import ServiceError
from voice.forms import show_service_error
from voice.paging import parse_paging
from voice.permissions import ROLES
from voice.query_args import QueryArgs

#: What the user list's query may hold (voice.query_args): an unknown role is a sentence.
USER_ARGS = QueryArgs(choices={"role": ROLES}, texts=("q",))
#: What deactivating asks first (voice/confirmation.py); reactivating does not ask.
DEACTIVATE_ASK = Ask("Deactivate {name} ({email})?",
                     "They are signed out everywhere, their API tokens stop working and they "
                     "cannot sign in until an admin reactivates them.", "Deactivate")

# --- teams ------------------------------------------------------------------------------


@admin_required
def teams():
    form = NewTeamForm()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                team = service.create_team(current_actor(), form.name.data,
                                           form.description.data or "")
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash(f"Team {team.name} created.", "success")
                return redirect(url_for("admin.team", team_id=team.id))
        status = 400
    return render_template("admin/teams.html", teams=service.teams_overview(),
                           form=form), status


@admin_required
def team(team_id: int):
    view = service.team_detail(team_id)
    form = TeamForm(obj=view.team) if request.method == "GET" else TeamForm()
    form.team_id = team_id
    if request.method == "GET":
        form.webhook_secret.data = ""
    owner_form = OwnerForm(prefix="owner")
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.update_team(current_actor(), team_id, name=form.name.data,
                                    description=form.description.data or "",
                                    webhook_url=form.webhook_url.data or "",
                                    webhook_secret=form.webhook_secret.data or "")
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash("Team saved.", "success")
                return redirect(url_for("admin.team", team_id=team_id))
        status = 400
    return _team_page(view, form, owner_form), status


def _team_page(view: service.TeamView, form: TeamForm, owner_form: OwnerForm) -> str:
    return render_template("admin/team.html", view=view, form=form, owner_form=owner_form,
                           deliveries=service.recent_deliveries(view.team.id),
                           **template_views.template_section(view.team))


@admin_required
def add_owner(team_id: int):
    form = OwnerForm(prefix="owner")
    if form.validate_on_submit():
        try:
            service.add_owner(current_actor(), team_id, form.email.data)
        except ServiceError as error:
            show_service_error(form, error)
        else:
            flash(f"{form.email.data} now owns this team.", "success")
            return redirect(url_for("admin.team", team_id=team_id))
    view = service.team_detail(team_id)
    team_form = TeamForm(obj=view.team, formdata=None)
    team_form.webhook_secret.data = ""
    return _team_page(view, team_form, form), 400


@admin_required
def remove_owner(team_id: int, user_id: int):
    check_csrf()
    service.remove_owner(current_actor(), team_id, user_id)
    flash("Owner removed.", "success")
    return redirect(url_for("admin.team", team_id=team_id))


# --- areas ------------------------------------------------------------------------------


@admin_required
def areas():
    form = AreaForm().fill(service.all_teams())
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                area = service.create_area(current_actor(), form.name.data,
                                           form.description.data or "",
                                           whole_number(form.team_id.data))
            except ServiceError as error:
                show_service_error(form, error)
            else:
                flash(f"Area {area.name} created.", "success")
                return redirect(url_for("admin.areas"))
        status = 400
    return render_template("admin/areas.html", areas=service.areas_overview(), form=form,
                           teams=service.all_teams()), status


@admin_required
def area_team(area_id: int):
    check_csrf()
    service.assign_area(current_actor(), area_id, whole_number(request.form.get("team_id")))
    flash("Area saved.", "success")
    return redirect(url_for("admin.areas"))


# --- rules ------------------------------------------------------------------------------


@admin_required
def rules():
    rows = service.rules_overview()
    team_names = {t.id: t.name for t in service.all_teams()}
    return render_template("admin/rules.html", rules=rows, team_names=team_names,
                           sources=SOURCE_LABELS)


def _rule_page(rule_id: int | None):
    """A rule's page (a new one's when ``rule_id`` is None): the form and the preview of
    what it would have matched; a POST saves it or, with ``action=preview``, previews."""
    row = service.get_rule(rule_id) if rule_id else None
    form = RuleForm().fill(service.all_teams(), all_areas(), service.survey_choices())
    preview_rows, status = None, 200
    if request.method == "GET":
        if row is not None:
            form.load(row)
            preview_rows = service.preview_rule(RuleForm.values_of(row), rule_id=row.id)
    elif not form.validate_on_submit():
        status = 400
    else:
        try:
            if request.form.get("action", "save") != "preview":
                return _save_rule(row, form)
            preview_rows = service.preview_rule(form.values(), rule_id=rule_id or 0)
        except ServiceError as error:
            show_service_error(form, error)
            status = 400
    rule_names = {r.id: (r.name or f"Rule #{r.id}") for r in service.ordered_rules()}
    return render_template("admin/rule.html", form=form, row=row, preview=preview_rows,
                           rule_names=rule_names, scored=SCORED_KINDS), status


def _save_rule(row, form: RuleForm):
    if row is None:
        row = service.create_rule(current_actor(), form.values())
        flash("Rule created.", "success")
    else:
        service.update_rule(current_actor(), row.id, form.values())
        flash("Rule saved.", "success")
    return redirect(url_for("admin.rule", rule_id=row.id))


@admin_required
def new_rule():
    return _rule_page(None)


@admin_required
def rule(rule_id: int):
    return _rule_page(rule_id)


@admin_required
def move_rule(rule_id: int):
    check_csrf()
    service.move_rule(current_actor(), rule_id, request.form.get("direction", ""))
    return redirect(url_for("admin.rules"))


@admin_required
def delete_rule(rule_id: int):
    check_csrf()
    service.delete_rule(current_actor(), rule_id)
    flash("Rule deleted. Its cases stay.", "success")
    return redirect(url_for("admin.rules"))


# --- users ------------------------------------------------------------------------------


@admin_required
def users():
    form = UserSearchForm(request.args)
    page, per_page = parse_paging(request.args)
    status = 200
    try:
        USER_ARGS.check(request.args)
        listing = service.search_users(form.q.data or "", form.role.data or "", page, per_page)
    except ServiceError as error:
        flash(error.message, "error")
        listing, status = service.search_users("", "", 1, per_page), 400
    return render_template("admin/users.html", form=form, listing=listing,
                           deactivate_ask=DEACTIVATE_ASK), status


def _flash_refusal(error: ServiceError) -> None:
    """A refused change to a user is told on the list; a forbidden or missing one is not."""
    if error.status in (403, 404):
        raise error
    flash(error.message, "error")


@admin_required
def user_role(user_id: int):
    check_csrf()
    try:
        user = service.change_role(current_actor(), user_id, request.form.get("role", ""))
        flash(f"{user.email} is now {user.role}.", "success")
    except ServiceError as error:
        _flash_refusal(error)
    return redirect(safe_next_url(request.form.get("back")) or url_for("admin.users"))


@admin_required
def user_active(user_id: int):
    check_csrf()
    if request.form.get("active") != "1":
        user = get_user(user_id)
        asked = confirmation(DEACTIVATE_ASK.named(name=user.display_name, email=user.email),
                             cancel_url=url_for("admin.users"))
        if asked is not None:
            return asked
    try:
        user = service.set_user_active(current_actor(), user_id,
                                       request.form.get("active") == "1")
        flash(f"{user.email} is {'active' if user.active else 'deactivated'}.", "success")
    except ServiceError as error:
        _flash_refusal(error)
    return redirect(url_for("admin.users"))


# --- wiring ------------------------------------------------------------------------------

GET_POST = ("GET", "POST")
POST = ("POST",)

#: (rule under /admin, view, methods) of every page above.
PAGES = (
    ("/teams", teams, GET_POST),
    ("/teams/<int:team_id>", team, GET_POST),
    ("/teams/<int:team_id>/owners", add_owner, POST),
    ("/teams/<int:team_id>/owners/<int:user_id>/remove", remove_owner, POST),
    ("/areas", areas, GET_POST),
    ("/areas/<int:area_id>/team", area_team, POST),
    ("/rules", rules, ("GET",)),
    ("/rules/new", new_rule, GET_POST),
    ("/rules/<int:rule_id>", rule, GET_POST),
    ("/rules/<int:rule_id>/move", move_rule, POST),
    ("/rules/<int:rule_id>/delete", delete_rule, POST),
    ("/users", users, ("GET",)),
    ("/users/<int:user_id>/role", user_role, POST),
    ("/users/<int:user_id>/active", user_active, POST),
)


def register(bp: Blueprint) -> None:
    """Add the pages above to the staff blueprint (endpoint: the view's name)."""
    for rule_path, view, methods in PAGES:
        bp.add_url_rule(rule_path, view_func=view, methods=list(methods))
    template_views.register(bp)  # the teams' reply templates, for owners as well
