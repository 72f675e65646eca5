"""Teams: creating and changing them, their webhook, their owners. Admins only."""

from __future__ import annotations

import secrets
from urllib.parse import urlparse

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from voice.accounts import service as accounts
from voice.accounts.models import User
from voice.admin import audit
from voice.admin.models import Team, TeamOwner
from voice.admin.service.queries import get_team
from voice.database import write_transaction
from voice.errors import Conflict, Invalid, NotFound
from voice.extensions import db
from voice.permissions import STAFF_ROLES, require_admin


def _clean_name(name: str) -> str:
    name = " ".join((name or "").split())
    if not 2 <= len(name) <= 80:
        raise Invalid("A team's name has 2 to 80 characters.", field="name")
    return name


def _check_webhook_url(url: str) -> str:
    url = (url or "").strip()
    if not url:
        return ""
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 500:
        raise Invalid("A webhook URL is an http:// or https:// address.", field="webhook_url",
                      code="invalid_webhook_url")
    return url


def _check_webhook_secret(secret: str | None) -> str:
    secret = (secret or "").strip()
    if secret and not 16 <= len(secret) <= 200:
        raise Invalid("A webhook secret has 16 to 200 characters.", field="webhook_secret")
    return secret


def check_team_name_free(name: str, team_id: int | None = None) -> None:
    """Conflict ``team_exists`` when another team (than ``team_id``) has this name, in any
    case (the service's check under its lock, and the team forms' check, so a taken name
    shows with the other errors)."""
    name = " ".join((name or "").split())
    stmt = select(Team.id).where(func.lower(Team.name) == name.lower())
    if team_id is not None:
        stmt = stmt.where(Team.id != team_id)
    if db.session.scalar(stmt):
        raise Conflict("A team with that name exists already.", code="team_exists",
                       field="name")


def create_team(actor: User, name: str, description: str = "") -> Team:
    require_admin(actor)
    name = _clean_name(name)
    with write_transaction():
        check_team_name_free(name)
        team = Team(name=name, description=(description or "").strip()[:500])
        db.session.add(team)
        db.session.flush()
        audit.record(actor, "team.create", "team", team.id, name)
    return team


def update_team(actor: User, team_id: int, *, name: str, description: str = "",
                webhook_url: str = "", webhook_secret: str | None = None) -> Team:
    """Rename, describe, set the webhook. An empty ``webhook_secret`` keeps the old one
    (a new one is generated when a URL is first set without a secret)."""
    require_admin(actor)
    name = _clean_name(name)
    url = _check_webhook_url(webhook_url)
    secret = _check_webhook_secret(webhook_secret)
    with write_transaction():
        team = db.session.scalar(select(Team).where(Team.id == team_id).with_for_update())
        if team is None:
            raise NotFound("No such team.", code="unknown_team")
        check_team_name_free(name, team.id)
        changes = []
        if team.name != name:
            changes.append(f"name {team.name!r} → {name!r}")
        if team.webhook_url != url:
            changes.append(f"webhook {url or 'removed'}")
        team.name, team.description = name, (description or "").strip()[:500]
        team.webhook_url = url
        changes += _set_secret(team, secret)
        audit.record(actor, "team.update", "team", team.id, "; ".join(changes) or "details")
    return team


def _set_secret(team: Team, secret: str) -> list[str]:
    """Keep, replace or generate the team's webhook secret; what changed, for the log."""
    if secret:
        team.webhook_secret = secret
        return ["new webhook secret"]
    if team.webhook_url and not team.webhook_secret:
        team.webhook_secret = secrets.token_hex(24)
        return ["webhook secret generated"]
    return []


def add_owner(actor: User, team_id: int, email: str) -> TeamOwner:
    require_admin(actor)
    email = (email or "").strip().lower()
    with write_transaction():
        team = get_team(team_id)
        user = accounts.user_by_email(email)
        if user is None:
            raise NotFound("No user with that email.", code="unknown_user", field="email")
        if user.role not in STAFF_ROLES:
            raise Invalid("Only staff can own a team: change the user's role first.",
                          code="not_staff", field="email")
        owner = db.session.scalar(select(TeamOwner).where(
            TeamOwner.team_id == team.id, TeamOwner.user_id == user.id))
        if owner is None:
            owner = TeamOwner(team_id=team.id, user_id=user.id)
            db.session.add(owner)
            db.session.flush()
            audit.record(actor, "team.owner_add", "team", team.id, user.email)
    return owner


def remove_owner(actor: User, team_id: int, user_id: int) -> None:
    require_admin(actor)
    with write_transaction():
        owner = db.session.scalar(select(TeamOwner).options(joinedload(TeamOwner.user)).where(
            TeamOwner.team_id == team_id, TeamOwner.user_id == user_id))
        if owner is None:
            raise NotFound("That person does not own this team.")
        audit.record(actor, "team.owner_remove", "team", team_id, owner.user.email)
        db.session.delete(owner)
