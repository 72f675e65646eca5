"""Reply templates: a team's saved replies, with the customer's name and the case's title
filled in when used (issue 14).

Any staff member may list and use any team's templates; the team's owners and the admins
create, change and delete them. A name is unique within its team (409
``template_exists``), the body is required and at most :data:`MAX_BODY` characters (a
reply's limit). ``{customer}`` becomes the customer's display name ("there" when the case
has no identified customer, so "Hi {customer}" reads "Hi there"), ``{title}`` the case's
title (for an idea's case, the idea's title). Other braces are left as they are.
"""

from __future__ import annotations

import re
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from voice.accounts.models import User
from voice.admin import audit
from voice.admin.models import Case, ReplyTemplate, TeamOwner
from voice.admin.service.cases import MAX_REPLY
from voice.admin.service.queries import get_team
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Forbidden, Invalid, NotFound
from voice.extensions import db
from voice.permissions import is_admin, require_staff
from voice.text import one_line

MAX_NAME = 80
MAX_BODY = MAX_REPLY
#: What ``{customer}`` becomes when nobody identified is behind the case.
NOBODY = "there"
_PLACEHOLDER = re.compile(r"\{(customer|title)\}")


# --- reading --------------------------------------------------------------------------------


def reply_templates(team_id: int) -> list[ReplyTemplate]:
    """The team's templates, by name (an unknown team has none)."""
    return list(db.session.scalars(
        select(ReplyTemplate).where(ReplyTemplate.team_id == team_id)
        .order_by(func.lower(ReplyTemplate.name), ReplyTemplate.id)))


def template_counts() -> dict[int, int]:
    """How many templates each team has (teams without any are missing)."""
    return dict(db.session.execute(
        select(ReplyTemplate.team_id, func.count(ReplyTemplate.id))
        .group_by(ReplyTemplate.team_id)).all())


def get_reply_template(template_id: int, team_id: int | None = None) -> ReplyTemplate:
    """The template (of ``team_id`` when given); 404 ``not_found`` otherwise."""
    template = db.session.get(ReplyTemplate, template_id)
    if template is None or (team_id is not None and template.team_id != team_id):
        raise NotFound("No such reply template.", code="not_found")
    return template


def can_edit_templates(user: object, team_id: int) -> bool:
    """Admins and the team's owners edit its templates."""
    if is_admin(user):
        return True
    user_id = getattr(user, "id", None)
    return user_id is not None and db.session.scalar(select(TeamOwner.id).where(
        TeamOwner.team_id == team_id, TeamOwner.user_id == user_id)) is not None


def fill(body: str, customer: str, title: str) -> str:
    """``body`` with ``{customer}`` and ``{title}`` replaced in one pass (a name that
    itself holds "{title}" stays as typed)."""
    values = {"customer": customer, "title": title}
    return _PLACEHOLDER.sub(lambda match: values[match[1]], body)


def fill_reply_template(template_id: int, case_id: int) -> str:
    """The template's body for one case, its placeholders filled (404 for either)."""
    template = get_reply_template(template_id)
    case = db.session.get(Case, case_id)
    if case is None:
        raise NotFound("No such case.", code="not_found")
    customer = db.session.get(User, case.customer_id) if case.customer_id else None
    name = one_line(customer.display_name) if customer is not None else ""
    return fill(template.body, name or NOBODY, one_line(case.title))


# --- writing --------------------------------------------------------------------------------


def require_template_editor(actor: User, team_id: int) -> None:
    """403 unless ``actor`` is an admin or an owner of the team."""
    require_staff(actor)
    if not can_edit_templates(actor, team_id):
        raise Forbidden("Only the team's owners and admins change its reply templates.")


def _clean(name: str, body: str) -> tuple[str, str]:
    name = " ".join((name or "").split())
    body = (body or "").strip()
    if not name:
        raise Invalid("Give the template a name.", code="invalid_name", field="name")
    if len(name) > MAX_NAME:
        raise Invalid(f"A template's name has at most {MAX_NAME} characters.",
                      code="invalid_name", field="name")
    if not body:
        raise Invalid("Write the reply the template holds.", code="invalid_body", field="body")
    if len(body) > MAX_BODY:
        raise Invalid(f"A template has at most {MAX_BODY} characters.", code="invalid_body",
                      field="body")
    return name, body


def _check_name_free(team_id: int, name: str, template_id: int | None = None) -> None:
    stmt = select(ReplyTemplate.id).where(ReplyTemplate.team_id == team_id,
                                          func.lower(ReplyTemplate.name) == name.lower())
    if template_id is not None:
        stmt = stmt.where(ReplyTemplate.id != template_id)
    if db.session.scalar(stmt) is not None:
        raise _taken()


def _taken() -> Conflict:
    return Conflict("This team has a template of that name already.",
                    code="template_exists", field="name")


def _flush(template: ReplyTemplate) -> None:
    """Write now, so a concurrent twin of the name is a 409, not a 500 at the commit."""
    try:
        with db.session.begin_nested():
            db.session.add(template)
            db.session.flush()
    except IntegrityError:
        raise _taken() from None


def create_reply_template(actor: User, team_id: int, name: str, body: str, *,
                          now: datetime | None = None) -> ReplyTemplate:
    """A new template of the team. Errors: 403, 404 ``unknown_team``, 400
    ``invalid_name``/``invalid_body``, 409 ``template_exists``."""
    name, body = _clean(name, body)
    now = now or utcnow()
    with write_transaction():
        team = get_team(team_id)
        require_template_editor(actor, team.id)
        _check_name_free(team.id, name)
        template = ReplyTemplate(team_id=team.id, name=name, body=body, created_by_id=actor.id,
                                 created_at=now, updated_at=now)
        _flush(template)
        audit.record(actor, "template.create", "team", team.id, f"{name} (#{template.id})")
    return template


def _locked(template_id: int, team_id: int | None) -> ReplyTemplate:
    template = db.session.scalar(
        select(ReplyTemplate).where(ReplyTemplate.id == template_id).with_for_update())
    if template is None or (team_id is not None and template.team_id != team_id):
        raise NotFound("No such reply template.", code="not_found")
    return template


def update_reply_template(actor: User, template_id: int, name: str, body: str, *,
                          team_id: int | None = None,
                          now: datetime | None = None) -> ReplyTemplate:
    """Rename and rewrite a template (of ``team_id`` when given). Errors as creating."""
    name, body = _clean(name, body)
    with write_transaction():
        template = _locked(template_id, team_id)
        require_template_editor(actor, template.team_id)
        _check_name_free(template.team_id, name, template.id)
        renamed = f"{template.name} → {name}" if template.name != name else name
        template.name, template.body, template.updated_at = name, body, now or utcnow()
        _flush(template)
        audit.record(actor, "template.update", "team", template.team_id,
                     f"{renamed} (#{template.id})")
    return template


def delete_reply_template(actor: User, template_id: int, *, team_id: int | None = None) -> None:
    """Delete a template (of ``team_id`` when given): 403, 404."""
    with write_transaction():
        template = _locked(template_id, team_id)
        require_template_editor(actor, template.team_id)
        audit.record(actor, "template.delete", "team", template.team_id,
                     f"{template.name} (#{template.id})")
        db.session.delete(template)
