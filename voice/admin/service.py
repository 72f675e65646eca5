"""The staff side's operations: teams, rules, cases, users, areas.

Every function that writes does it inside ``write_transaction`` (joining the caller's
when there is one: routing runs inside the domain's transaction) and writes its
audit entry in the same transaction. Updates ("You asked, we did") live in
voice/admin/updates.py, dashboards in voice/admin/dashboard.py, webhooks in
voice/admin/webhooks.py.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from voice.accounts.models import ROLES, STAFF_ROLES, User
from voice.admin import audit, rules
from voice.admin.models import (
    CASE_STATES,
    CLOSED_STATES,
    OPEN_STATES,
    SOURCE_TYPES,
    Case,
    CaseNote,
    RoutingRule,
    Team,
    TeamArea,
    TeamOwner,
)
from voice.areas.models import Area
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Conflict, Forbidden, Invalid, NotFound
from voice.extensions import db
from voice.paging import Page, paginate
from voice.surveys.models import Survey

TRIAGE_NAME = "Triage"
MAX_REPLY = 5000
MAX_NOTE = 5000

#: The rules a fresh installation ships (created by :func:`ensure_defaults`).
DEFAULT_RULES: list[dict[str, Any]] = [
    {"name": "Detractor NPS (0–6)", "source": "survey_response", "question_kind": "nps",
     "score_max": 6, "sla_hours": 48, "priority": "high"},
    {"name": "Low CSAT (1–2)", "source": "survey_response", "question_kind": "csat",
     "score_max": 2, "sla_hours": 48, "priority": "high"},
    {"name": "High effort CES (6–7)", "source": "survey_response", "question_kind": "ces",
     "score_min": 6, "sla_hours": 48, "priority": "high"},
    {"name": "New ideas to the team of their area", "source": "idea_created",
     "to_area_team": True, "sla_hours": 120, "priority": "normal"},
]

#: Which state may follow which. Closed and won't-do are final.
TRANSITIONS = {
    "new": {"acknowledged", "in_progress", "closed", "wont_do"},
    "acknowledged": {"in_progress", "closed", "wont_do"},
    "in_progress": {"closed", "wont_do"},
    "closed": set(),
    "wont_do": set(),
}


def require_staff(actor: User) -> None:
    if actor is None or getattr(actor, "role", None) not in STAFF_ROLES:
        raise Forbidden("Only staff may do this.")


def require_admin(actor: User) -> None:
    if actor is None or getattr(actor, "role", None) != "admin":
        raise Forbidden("Only admins may do this.")


# --- defaults ---------------------------------------------------------------------------


def ensure_defaults() -> Team:
    """The triage team, creating it and the default rules on a fresh installation.

    Idempotent: when any team exists, nothing is created. Called by routing when no
    team exists (so the first signal of a new installation is routed), by the admin
    pages, and by the demo. Two first signals at once: the loser of the race on the
    unique team name rolls back its savepoint only and reads the winner's team.
    """
    with write_transaction():
        triage = _triage()
        if triage is not None:
            return triage
        if db.session.scalar(select(Team.id).limit(1)) is not None:
            # Teams exist but none is the triage team (an old installation): make one.
            team = Team(name=_free_team_name(TRIAGE_NAME), is_triage=True,
                        description="Catches what no other team owns.")
            db.session.add(team)
            db.session.flush()
            return team
        try:
            with db.session.begin_nested():
                triage = Team(name=TRIAGE_NAME, is_triage=True,
                              description="Catches what no other team owns.")
                db.session.add(triage)
                db.session.flush()
                if db.session.scalar(select(RoutingRule.id).limit(1)) is None:
                    for position, spec in enumerate(DEFAULT_RULES, start=1):
                        fields = dict(spec)
                        if not fields.get("to_area_team"):
                            fields["team_id"] = triage.id
                        db.session.add(RoutingRule(position=position, **fields))
                    db.session.flush()
        except IntegrityError:
            triage = _triage()
            if triage is None:
                raise
        return triage


def _triage() -> Team | None:
    return db.session.scalar(select(Team).where(Team.is_triage).order_by(Team.id).limit(1))


def _free_team_name(name: str) -> str:
    candidate, number = name, 1
    while db.session.scalar(select(Team.id).where(Team.name == candidate)) is not None:
        number += 1
        candidate = f"{name} {number}"
    return candidate


def triage_team() -> Team:
    return _triage() or ensure_defaults()


# --- teams ------------------------------------------------------------------------------


@dataclass
class TeamView:
    team: Team
    owners: list[User] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    open_cases: int = 0
    overdue_cases: int = 0


def teams_overview(now: datetime | None = None) -> list[TeamView]:
    """Every team with its owners, areas and open/overdue case counts (4 queries)."""
    ensure_defaults()
    now = now or utcnow()
    teams = list(db.session.scalars(select(Team).order_by(Team.is_triage.desc(), Team.name)))
    views = {team.id: TeamView(team=team) for team in teams}
    for team_id, user in db.session.execute(
        select(TeamOwner.team_id, User).join(User, User.id == TeamOwner.user_id)
        .order_by(User.display_name)
    ):
        views[team_id].owners.append(user)
    for team_id, area in db.session.execute(
        select(TeamArea.team_id, Area).join(Area, Area.id == TeamArea.area_id).order_by(Area.name)
    ):
        views[team_id].areas.append(area)
    counts = db.session.execute(
        select(Case.team_id, func.count(Case.id),
               func.count(Case.id).filter(Case.due_at < now))
        .where(Case.state.in_(OPEN_STATES)).group_by(Case.team_id)
    )
    for team_id, open_count, overdue in counts:
        if team_id in views:
            views[team_id].open_cases, views[team_id].overdue_cases = open_count, overdue
    return list(views.values())


def all_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.is_triage.desc(), Team.name)))


def get_team(team_id: int) -> Team:
    team = db.session.get(Team, team_id)
    if team is None:
        raise NotFound("No such team.", code="unknown_team")
    return team


def team_detail(team_id: int) -> TeamView:
    team = get_team(team_id)
    for view in teams_overview():
        if view.team.id == team.id:
            return view
    raise NotFound("No such team.", code="unknown_team")


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


def create_team(actor: User, name: str, description: str = "") -> Team:
    require_admin(actor)
    name = _clean_name(name)
    with write_transaction():
        if db.session.scalar(select(Team.id).where(func.lower(Team.name) == name.lower())):
            raise Conflict("A team with that name exists already.", code="team_exists",
                           field="name")
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
    secret = (webhook_secret or "").strip()
    if secret and not 16 <= len(secret) <= 200:
        raise Invalid("A webhook secret has 16 to 200 characters.", field="webhook_secret")
    with write_transaction():
        team = db.session.scalar(select(Team).where(Team.id == team_id).with_for_update())
        if team is None:
            raise NotFound("No such team.", code="unknown_team")
        clash = db.session.scalar(select(Team.id).where(
            func.lower(Team.name) == name.lower(), Team.id != team.id))
        if clash:
            raise Conflict("A team with that name exists already.", code="team_exists",
                           field="name")
        changes = []
        if team.name != name:
            changes.append(f"name {team.name!r} → {name!r}")
        if team.webhook_url != url:
            changes.append(f"webhook {url or 'removed'}")
        team.name, team.description = name, (description or "").strip()[:500]
        team.webhook_url = url
        if secret:
            team.webhook_secret = secret
            changes.append("new webhook secret")
        elif url and not team.webhook_secret:
            team.webhook_secret = secrets.token_hex(24)
            changes.append("webhook secret generated")
        audit.record(actor, "team.update", "team", team.id, "; ".join(changes) or "details")
    return team


def add_owner(actor: User, team_id: int, email: str) -> TeamOwner:
    require_admin(actor)
    email = (email or "").strip().lower()
    with write_transaction():
        team = get_team(team_id)
        user = db.session.scalar(select(User).where(func.lower(User.email) == email))
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


def assign_area(actor: User, area_id: int, team_id: int | None) -> None:
    """Give an area to a team (taking it from its former team), or to none."""
    require_admin(actor)
    with write_transaction():
        area = db.session.get(Area, area_id)
        if area is None:
            raise NotFound("No such area.", code="unknown_area")
        if team_id is not None:
            get_team(team_id)
        link = db.session.scalar(
            select(TeamArea).where(TeamArea.area_id == area_id).with_for_update())
        if team_id is None:
            if link is not None:
                db.session.delete(link)
        elif link is None:
            db.session.add(TeamArea(area_id=area_id, team_id=team_id))
        else:
            link.team_id = team_id
        audit.record(actor, "area.assign", "area", area_id,
                     f"{area.name} → team #{team_id}" if team_id else f"{area.name} → no team")


@dataclass
class AreaView:
    area: Area
    team: Team | None


def areas_overview() -> list[AreaView]:
    rows = db.session.execute(
        select(Area, Team).outerjoin(TeamArea, TeamArea.area_id == Area.id)
        .outerjoin(Team, Team.id == TeamArea.team_id).order_by(Area.name)
    )
    return [AreaView(area=area, team=team) for area, team in rows]


def create_area(actor: User, name: str, description: str = "",
                team_id: int | None = None) -> Area:
    require_admin(actor)
    from voice.areas import service as areas

    with write_transaction():
        area = areas.create_area(name, description)
        db.session.flush()
        audit.record(actor, "area.create", "area", area.id, area.name)
        if team_id:
            assign_area(actor, area.id, team_id)
    return area


# --- rules ------------------------------------------------------------------------------

RULE_FIELDS = ("name", "source", "team_id", "to_area_team", "priority", "sla_hours", "enabled",
               "area_id", "survey_id", "question_kind", "score_min", "score_max", "keywords",
               "vote_threshold", "probability_threshold", "move_points")


def rule_value(row: RoutingRule) -> rules.Rule:
    """The pure engine's view of a stored rule."""
    return rules.Rule(
        id=row.id, source=row.source, team_id=row.team_id, to_area_team=row.to_area_team,
        priority=row.priority, sla_hours=row.sla_hours, enabled=row.enabled,
        area_id=row.area_id, survey_id=row.survey_id, question_kind=row.question_kind,
        score_min=row.score_min, score_max=row.score_max,
        keywords=rules.parse_keywords(row.keywords), vote_threshold=row.vote_threshold,
        probability_threshold=row.probability_threshold, move_points=row.move_points,
        name=row.name,
    )


def ordered_rules() -> list[RoutingRule]:
    return list(db.session.scalars(
        select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id)))


def rules_overview() -> list[RoutingRule]:
    ensure_defaults()
    return ordered_rules()


def get_rule(rule_id: int) -> RoutingRule:
    row = db.session.get(RoutingRule, rule_id)
    if row is None:
        raise NotFound("No such rule.", code="unknown_rule")
    return row


def rule_from_fields(data: Mapping[str, Any], rule_id: int = 0) -> rules.Rule:
    """Parse and validate submitted fields into a pure Rule; Invalid names the field.

    ``data`` holds typed values (the form and the tests give ints and floats; None
    for an empty condition). ``probability_threshold`` is given in percent (0..100).
    """
    def number(key: str, kind=float):
        value = data.get(key)
        if value in (None, ""):
            return None
        try:
            return kind(value)
        except (TypeError, ValueError):
            raise Invalid("Enter a number.", field=key, code="invalid_rule") from None

    probability = number("probability_threshold")
    keywords = data.get("keywords") or ""
    if not isinstance(keywords, str):
        keywords = ", ".join(keywords)
    team_id = number("team_id", int)
    to_area_team = bool(data.get("to_area_team"))
    rule = rules.Rule(
        id=rule_id,
        name=" ".join(str(data.get("name") or "").split())[:120],
        source=str(data.get("source") or ""),
        team_id=None if to_area_team else team_id,
        to_area_team=to_area_team,
        priority=str(data.get("priority") or "normal"),
        sla_hours=number("sla_hours", int) or 0,
        enabled=bool(data.get("enabled", True)),
        area_id=number("area_id", int),
        survey_id=number("survey_id", int),
        question_kind=data.get("question_kind") or None,
        score_min=number("score_min"),
        score_max=number("score_max"),
        keywords=rules.parse_keywords(keywords),
        vote_threshold=number("vote_threshold", int),
        probability_threshold=None if probability is None else probability / 100,
        move_points=number("move_points"),
    )
    team_ids = set(db.session.scalars(select(Team.id)))
    area_ids = set(db.session.scalars(select(Area.id)))
    problems = rules.validate(rule, team_ids=team_ids, area_ids=area_ids)
    if rule.survey_id is not None and not problems:
        from voice.surveys.models import Survey

        if db.session.get(Survey, rule.survey_id) is None:
            problems.append(rules.Problem("survey_id", "That survey does not exist."))
    if problems:
        first = problems[0]
        code = "unknown_team" if (first.field == "team_id" and rule.team_id is not None
                                  and "exist" in first.message) else "invalid_rule"
        error = Invalid(first.message, field=first.field, code=code)
        error.problems = problems
        raise error
    return rule


def _store(row: RoutingRule, rule: rules.Rule) -> None:
    for name in RULE_FIELDS:
        value = getattr(rule, name)
        if name == "keywords":
            value = ", ".join(value)
        setattr(row, name, value)
    row.updated_at = utcnow()


def _describe(rule: rules.Rule) -> str:
    parts = [rule.name or rules.SOURCE_LABELS.get(rule.source, rule.source),
             f"source={rule.source}",
             "team=area's team" if rule.to_area_team else f"team=#{rule.team_id}",
             f"sla={rule.sla_hours}h", f"priority={rule.priority}",
             "enabled" if rule.enabled else "disabled"]
    for name in ("area_id", "survey_id", "question_kind", "score_min", "score_max",
                 "vote_threshold", "probability_threshold", "move_points"):
        value = getattr(rule, name)
        if value is not None:
            parts.append(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}")
    if rule.keywords:
        parts.append("keywords=" + "|".join(rule.keywords))
    return ", ".join(parts)


def create_rule(actor: User, data: Mapping[str, Any]) -> RoutingRule:
    require_admin(actor)
    with write_transaction():
        ensure_defaults()
        rule = rule_from_fields(data)
        last = db.session.scalar(select(func.max(RoutingRule.position))) or 0
        row = RoutingRule(position=last + 1)
        _store(row, rule)
        db.session.add(row)
        db.session.flush()
        audit.record(actor, "rule.create", "rule", row.id, _describe(rule))
    return row


def update_rule(actor: User, rule_id: int, data: Mapping[str, Any]) -> RoutingRule:
    require_admin(actor)
    with write_transaction():
        row = db.session.scalar(
            select(RoutingRule).where(RoutingRule.id == rule_id).with_for_update())
        if row is None:
            raise NotFound("No such rule.", code="unknown_rule")
        before = _describe(rule_value(row))
        rule = rule_from_fields(data, rule_id=row.id)
        _store(row, rule)
        audit.record(actor, "rule.update", "rule", row.id, f"{before} ⇒ {_describe(rule)}")
    return row


def move_rule(actor: User, rule_id: int, direction: str) -> None:
    """Swap a rule with its neighbour above ('up') or below ('down')."""
    require_admin(actor)
    if direction not in ("up", "down"):
        raise Invalid("Move a rule up or down.", code="invalid_direction")
    with write_transaction():
        rows = list(db.session.scalars(
            select(RoutingRule).order_by(RoutingRule.position, RoutingRule.id).with_for_update()))
        index = next((i for i, row in enumerate(rows) if row.id == rule_id), None)
        if index is None:
            raise NotFound("No such rule.", code="unknown_rule")
        other = index - 1 if direction == "up" else index + 1
        if 0 <= other < len(rows):
            rows[index], rows[other] = rows[other], rows[index]
        for position, row in enumerate(rows, start=1):
            row.position = position
        audit.record(actor, "rule.move", "rule", rule_id, direction)


def delete_rule(actor: User, rule_id: int) -> None:
    require_admin(actor)
    with write_transaction():
        row = db.session.scalar(
            select(RoutingRule).where(RoutingRule.id == rule_id).with_for_update())
        if row is None:
            raise NotFound("No such rule.", code="unknown_rule")
        audit.record(actor, "rule.delete", "rule", row.id, _describe(rule_value(row)))
        db.session.delete(row)


def preview_rule(data: Mapping[str, Any], rule_id: int = 0, days: int = 30,
                 now: datetime | None = None) -> list[rules.PreviewRow]:
    """The last ``days`` days' signals the (possibly unsaved) rule would have matched."""
    from voice.admin import history

    rule = rule_from_fields(data, rule_id=rule_id)
    ordered = [rule_value(row) for row in ordered_rules()]
    return rules.preview(rule, ordered, history.recent_signals(days=days, now=now))


def routing_map() -> rules.Routing:
    triage = triage_team()
    area_teams = dict(db.session.execute(select(TeamArea.area_id, TeamArea.team_id)).all())
    return rules.Routing(fallback_team_id=triage.id, area_teams=area_teams)


# --- cases: opening ----------------------------------------------------------------------


def open_case(signal: rules.Signal, decision: rules.Decision, rule_name: str = "",
              *, title: str = "", link: str = "") -> Case | None:
    """Open the case of a routing decision, in the caller's transaction.

    None when this source already has a case of this rule (an event is routed once).
    """
    source_type = signal.source_type
    exists = db.session.scalar(select(Case.id).where(
        Case.source_type == source_type, Case.source_id == signal.source_id,
        Case.rule_id == decision.rule_id))
    if exists is not None:
        return None
    case = Case(
        source_type=source_type,
        source_id=signal.source_id,
        rule_id=decision.rule_id,
        rule_name=rule_name[:120],
        reason=decision.reason[:200],
        team_id=decision.team_id,
        customer_id=signal.customer_id,
        state="new",
        priority=decision.priority,
        title=(title or signal.title or f"{source_type} #{signal.source_id}")[:200],
        excerpt=(signal.text or "")[:2000],
        link=link[:300],
        area_id=signal.area_id,
        due_at=decision.due_at,
        created_at=signal.occurred_at,
        updated_at=signal.occurred_at,
    )
    try:
        with db.session.begin_nested():
            db.session.add(case)
            db.session.flush()
    except IntegrityError:
        return None  # a concurrent transaction opened it first
    from voice.admin import webhooks

    webhooks.enqueue_case(case)
    return case


# --- cases: lists ----------------------------------------------------------------------


@dataclass
class CaseFilters:
    state: str = ""  # a state, "open" (any open state), "done" (closed or won't do), "" all
    team_id: int | None = None
    source_type: str = ""
    overdue: bool = False
    assignee_id: int | None = None
    replied: bool | None = None
    q: str = ""
    created_since: datetime | None = None
    created_until: datetime | None = None


STATE_FILTERS = ("", "open", "done", *CASE_STATES)


def parse_case_filters(args: Mapping[str, str]) -> CaseFilters:
    """Read filters from query arguments; Invalid on unknown values."""
    state = (args.get("state") or "").strip()
    if state not in STATE_FILTERS:
        raise Invalid(f"A state is one of {', '.join(s for s in STATE_FILTERS if s)}.",
                      code="invalid_state", field="state")
    source = (args.get("source") or "").strip()
    if source and source not in SOURCE_TYPES:
        raise Invalid(f"A source is one of {', '.join(SOURCE_TYPES)}.", code="invalid_source",
                      field="source")

    def integer(key: str) -> int | None:
        value = (args.get(key) or "").strip()
        if not value:
            return None
        if not value.isdigit():
            raise Invalid(f"{key} must be a number.", code="invalid_filter", field=key)
        return int(value)

    def moment(key: str) -> datetime | None:
        value = (args.get(key) or "").strip()
        if not value:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            raise Invalid(f"{key} must be a date (YYYY-MM-DD).", code="invalid_filter",
                          field=key) from None

    replied = args.get("replied")
    return CaseFilters(
        state=state,
        team_id=integer("team"),
        source_type=source,
        overdue=(args.get("overdue") or "") in ("1", "true", "yes", "on"),
        assignee_id=integer("assignee"),
        replied=None if replied in (None, "") else replied in ("1", "true", "yes"),
        q=(args.get("q") or "").strip()[:100],
        created_since=moment("since"),
        created_until=moment("until"),
    )


def list_cases(filters: CaseFilters, page: int = 1, per_page: int = 20,
               now: datetime | None = None) -> Page:
    """Cases matching the filters: overdue open cases first, then by due time."""
    now = now or utcnow()
    stmt = select(Case).options(joinedload(Case.team), joinedload(Case.assignee))
    if filters.state == "open":
        stmt = stmt.where(Case.state.in_(OPEN_STATES))
    elif filters.state == "done":
        stmt = stmt.where(Case.state.in_(CLOSED_STATES))
    elif filters.state:
        stmt = stmt.where(Case.state == filters.state)
    if filters.team_id is not None:
        stmt = stmt.where(Case.team_id == filters.team_id)
    if filters.source_type:
        stmt = stmt.where(Case.source_type == filters.source_type)
    if filters.overdue:
        stmt = stmt.where(Case.state.in_(OPEN_STATES), Case.due_at < now)
    if filters.assignee_id is not None:
        stmt = stmt.where(Case.assignee_id == filters.assignee_id)
    if filters.replied is True:
        stmt = stmt.where(Case.replied_at.is_not(None))
    elif filters.replied is False:
        stmt = stmt.where(Case.replied_at.is_(None))
    if filters.q:
        pattern = f"%{filters.q.lower()}%"
        stmt = stmt.where(or_(func.lower(Case.title).like(pattern),
                              func.lower(Case.excerpt).like(pattern)))
    if filters.created_since is not None:
        stmt = stmt.where(Case.created_at >= filters.created_since)
    if filters.created_until is not None:
        stmt = stmt.where(Case.created_at < filters.created_until)
    open_first = Case.state.in_(OPEN_STATES).desc()
    stmt = stmt.order_by(open_first, Case.due_at, Case.id)
    return paginate(stmt, page, per_page)


def get_case(case_id: int) -> Case:
    case = db.session.scalar(select(Case).options(
        joinedload(Case.team), joinedload(Case.assignee), joinedload(Case.customer),
    ).where(Case.id == case_id))
    if case is None:
        raise NotFound("No such case.", code="not_found")
    return case


@dataclass
class CaseDetail:
    case: Case
    notes: list[CaseNote]
    source: dict[str, Any]
    staff: list[User]
    teams: list[Team]


def case_detail(case_id: int) -> CaseDetail:
    from voice.admin import sources

    case = get_case(case_id)
    notes = list(db.session.scalars(
        select(CaseNote).options(joinedload(CaseNote.author))
        .where(CaseNote.case_id == case.id).order_by(CaseNote.created_at, CaseNote.id)))
    return CaseDetail(case=case, notes=notes, source=sources.describe(case),
                      staff=staff_members(), teams=all_teams())


def staff_members() -> list[User]:
    return list(db.session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES), User.active).order_by(User.display_name)))


# --- cases: working them -------------------------------------------------------------------

_UNSET: Any = object()


def change_case(actor: User, case_id: int, *, state: str | None = None,
                assignee_id: Any = _UNSET, reply: str | None = None, note: str | None = None,
                team_id: int | None = None, due_at: datetime | None = None,
                now: datetime | None = None) -> Case:
    """Change a case: state, assignee (None unassigns), team, due time; send a reply;
    add an internal note. All or nothing, one audit entry per change.

    Errors: 400 ``invalid_state`` (not a state), 409 ``invalid_transition`` (closed
    cases stay closed; no way back to "new"), 409 ``reply_required`` (closing a case of
    an identified customer who never got a reply), 400 ``no_customer`` (a reply on a
    case nobody can receive), 400 ``invalid_assignee``, 404 ``unknown_team``.
    """
    require_staff(actor)
    now = now or utcnow()
    if state is not None and state not in CASE_STATES:
        raise Invalid(f"A state is one of {', '.join(CASE_STATES)}.", code="invalid_state",
                      field="state")
    reply = (reply or "").strip() or None
    note = (note or "").strip() or None
    if reply is not None and len(reply) > MAX_REPLY:
        raise Invalid(f"A reply has at most {MAX_REPLY} characters.", code="invalid_reply",
                      field="reply")
    if note is not None and len(note) > MAX_NOTE:
        raise Invalid(f"A note has at most {MAX_NOTE} characters.", code="invalid_note",
                      field="note")
    with write_transaction():
        case = db.session.scalar(select(Case).where(Case.id == case_id).with_for_update())
        if case is None:
            raise NotFound("No such case.", code="not_found")
        target_state = state if state is not None and state != case.state else None
        if target_state is not None and target_state not in TRANSITIONS[case.state]:
            raise Conflict(
                f"A case that is {case.state_label.lower()} cannot become "
                f"{target_state.replace('_', ' ')}.", code="invalid_transition", field="state")
        if reply is not None and case.customer_id is None:
            raise Invalid("This case has no identified customer to reply to (an anonymous "
                          "response or a market move): add an internal note instead.",
                          code="no_customer", field="reply")
        if (target_state in CLOSED_STATES and case.customer_id is not None
                and reply is None and case.replied_at is None):
            raise Conflict("Write the reply the customer will get before closing this case.",
                           code="reply_required", field="reply")
        if assignee_id is not _UNSET and assignee_id != case.assignee_id:
            if assignee_id is not None:
                assignee = db.session.get(User, assignee_id)
                if assignee is None or assignee.role not in STAFF_ROLES or not assignee.active:
                    raise Invalid("Assign the case to an active staff member.",
                                  code="invalid_assignee", field="assignee_id")
            case.assignee_id = assignee_id
            audit.record(actor, "case.assign", "case", case.id,
                         f"assignee #{assignee_id}" if assignee_id else "unassigned")
        if team_id is not None and team_id != case.team_id:
            team = get_team(team_id)
            audit.record(actor, "case.team", "case", case.id,
                         f"team #{case.team_id} → #{team.id} ({team.name})")
            case.team_id = team.id
        if due_at is not None and due_at != case.due_at:
            audit.record(actor, "case.due", "case", case.id,
                         f"due {case.due_at:%Y-%m-%d %H:%M} → {due_at:%Y-%m-%d %H:%M}")
            case.due_at = due_at
        if note is not None:
            db.session.add(CaseNote(case_id=case.id, author_id=actor.id, kind="note", body=note,
                                    created_at=now))
            audit.record(actor, "case.note", "case", case.id, note[:200])
        if reply is not None:
            _send_reply(actor, case, reply, now)
        if target_state is not None:
            audit.record(actor, "case.state", "case", case.id, f"{case.state} → {target_state}")
            case.state = target_state
            if case.first_response_at is None:
                case.first_response_at = now
            if target_state in CLOSED_STATES:
                case.closed_at = now
        case.updated_at = now
    return case


def _send_reply(actor: User, case: Case, reply: str, now: datetime) -> None:
    from voice.loop.service import notify

    customer = db.session.get(User, case.customer_id)
    db.session.add(CaseNote(case_id=case.id, author_id=actor.id, kind="reply", body=reply,
                            created_at=now))
    case.reply = reply
    case.replied_at = now
    case.replied_by_id = actor.id
    if case.first_response_at is None:
        case.first_response_at = now
    audit.record(actor, "case.reply", "case", case.id, reply[:200])
    subject = f"A reply about {_about(case)}"
    notify([customer], kind="case_reply", subject=subject[:200], body=reply,
           link=case.link or "/notifications")


def _about(case: Case) -> str:
    what = {"idea": "your idea", "comment": "your comment",
            "survey_response": "your survey answer", "market": "the market"}
    base = what.get(case.source_type, "your feedback")
    title = re.sub(r"\s+", " ", case.title or "").strip()
    return f"{base} “{title[:80]}”" if title else base


def add_note(actor: User, case_id: int, body: str) -> Case:
    if not (body or "").strip():
        raise Invalid("Write the note first.", code="invalid_note", field="note")
    return change_case(actor, case_id, note=body)


# --- users ------------------------------------------------------------------------------


def search_users(q: str = "", role: str = "", page: int = 1, per_page: int = 20) -> Page:
    stmt = select(User)
    q = (q or "").strip().lower()[:100]
    if q:
        pattern = f"%{q}%"
        stmt = stmt.where(or_(func.lower(User.email).like(pattern),
                              func.lower(User.display_name).like(pattern)))
    if role:
        if role not in ROLES:
            raise Invalid(f"A role is one of {', '.join(ROLES)}.", field="role")
        stmt = stmt.where(User.role == role)
    return paginate(stmt.order_by(User.email), page, per_page)


def change_role(actor: User, user_id: int, role: str) -> User:
    require_admin(actor)
    from voice.accounts import service as accounts

    if role not in ROLES:
        raise Invalid(f"A role is one of {', '.join(ROLES)}.", field="role", code="invalid_role")
    if user_id == actor.id:
        raise Invalid("You cannot change your own role; ask another admin.", field="role",
                      code="own_account")
    with write_transaction():
        user = accounts.get_user(user_id)
        old = user.role
        if old == role:
            return user
        user = accounts.set_role(user.email, role)
        if role not in STAFF_ROLES:
            # A customer owns no team and works no case any more.
            db.session.execute(TeamOwner.__table__.delete().where(TeamOwner.user_id == user.id))
        audit.record(actor, "user.role", "user", user.id, f"{user.email}: {old} → {role}")
    return user


def set_user_active(actor: User, user_id: int, active: bool) -> User:
    require_admin(actor)
    from voice.accounts import service as accounts

    if user_id == actor.id and not active:
        raise Invalid("You cannot deactivate your own account.", code="own_account")
    with write_transaction():
        user = accounts.get_user(user_id)
        if user.active == active:
            return user
        user = accounts.set_active(user_id, active)
        audit.record(actor, "user.activate" if active else "user.deactivate", "user", user.id,
                     user.email)
    return user


def survey_choices(limit: int = 500) -> list[Survey]:
    """The surveys a routing rule may name, by title."""
    return list(db.session.scalars(select(Survey).order_by(Survey.title).limit(limit)))
