"""The pages of the teams' reply templates (issue 14): parse, call the facade, render.

Every staff member sees the templates (/admin/templates, /admin/teams/<id>/templates) and
may use them on a case; the team's owners and the admins add, change and delete them (the
service checks it: a 403 otherwise). The admins' team page (settings_views.team) shows
the same list and add form (templates/admin/_reply_templates.html). Deleting asks first
(voice/confirmation.py). They join the staff blueprint through :func:`register`.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue

from voice.admin import service
from voice.admin.models import Team
from voice.admin.page_helpers import check_csrf, current_actor
from voice.admin.template_forms import ReplyTemplateForm, template_form
from voice.auth import safe_next_url, staff_required
from voice.confirmation import Ask, confirmation
from voice.errors import ServiceError
from voice.forms import show_service_error

#: What deleting a template asks first.
DELETE_ASK = Ask("Delete the reply template “{name}”?",
                 "Staff can no longer pick it on a case; replies already sent with it stay. "
                 "This cannot be undone.", "Delete")


def _back(team_id: int) -> str:
    """Where to go after a change: the page the form came from, else the team's list."""
    return (safe_next_url(request.form.get("back"))
            or url_for("admin.team_templates", team_id=team_id))


def template_section(team: Team, form: ReplyTemplateForm | None = None) -> dict[str, Any]:
    """What templates/admin/_reply_templates.html needs, on any page that shows it; a
    change made there comes back to this page."""
    return {"team": team, "templates": service.reply_templates(team.id),
            "template_form": form or template_form(formdata=None),
            "can_edit_templates": service.can_edit_templates(current_actor(), team.id),
            "delete_template_ask": DELETE_ASK, "back": request.path}


@staff_required
def templates_index():
    counts = service.template_counts()
    return render_template("admin/reply_templates_index.html", teams=service.all_teams(),
                           counts=counts)


def _team_page(team_id: int, form: ReplyTemplateForm | None = None,
               status: int = 200) -> ResponseReturnValue:
    team = service.get_team(team_id)
    section = template_section(team, form)
    # An error re-renders here: the change still goes back where the form came from.
    section["back"] = _back(team.id) if request.method == "POST" else request.path
    return render_template("admin/reply_templates.html", **section), status


@staff_required
def team_templates(team_id: int):
    if request.method == "GET":
        return _team_page(team_id)
    form = template_form()
    if form.validate_on_submit():
        try:
            made = service.create_reply_template(current_actor(), team_id, form.name.data,
                                                 form.body.data)
        except ServiceError as error:
            if error.status in (403, 404):
                raise
            show_service_error(form, error)
        else:
            flash(f"Template “{made.name}” saved.", "success")
            return redirect(_back(team_id))
    return _team_page(team_id, form, 400)


@staff_required
def team_template(team_id: int, template_id: int):
    template = service.get_reply_template(template_id, team_id)
    team = service.get_team(team_id)
    form = template_form(obj=template) if request.method == "GET" else template_form()
    status = 200
    if request.method == "POST":
        if form.validate_on_submit():
            try:
                service.update_reply_template(current_actor(), template_id, form.name.data,
                                              form.body.data, team_id=team_id)
            except ServiceError as error:
                if error.status in (403, 404):
                    raise
                show_service_error(form, error)
            else:
                flash("Template saved.", "success")
                return redirect(_back(team_id))
        status = 400
    return render_template("admin/reply_template.html", team=team, template=template,
                           form=form, can_edit=service.can_edit_templates(current_actor(),
                                                                          team_id)), status


@staff_required
def delete_team_template(team_id: int, template_id: int):
    check_csrf()
    template = service.get_reply_template(template_id, team_id)
    service.require_template_editor(current_actor(), team_id)  # before asking anything
    asked = confirmation(DELETE_ASK.named(name=template.name),
                         cancel_url=url_for("admin.team_templates", team_id=team_id))
    if asked is not None:
        return asked
    name = template.name
    service.delete_reply_template(current_actor(), template_id, team_id=team_id)
    flash(f"Template “{name}” deleted.", "success")
    return redirect(_back(team_id))


#: (rule under /admin, view, methods) of every page above.
PAGES = (
    ("/templates", templates_index, ("GET",)),
    ("/teams/<int:team_id>/templates", team_templates, ("GET", "POST")),
    ("/teams/<int:team_id>/templates/<int:template_id>", team_template, ("GET", "POST")),
    ("/teams/<int:team_id>/templates/<int:template_id>/delete", delete_team_template,
     ("POST",)),
)


def register(bp: Blueprint) -> None:
    """Add the pages above to the staff blueprint (endpoint: the view's name)."""
    for rule_path, view, methods in PAGES:
        bp.add_url_rule(rule_path, view_func=view, methods=list(methods))
