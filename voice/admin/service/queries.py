"""The staff side's reads: teams, areas, rules, users, surveys to route, updates.

Cases have their own module (voice/admin/service/case_queries.py). Nothing here writes,
except that the overviews make sure the triage team and the default rules exist.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select

from voice.accounts.models import User
from voice.admin import rules
from voice.admin.clock import overdue_clause
from voice.admin.models import (
    OPEN_STATES,
    Case,
    RoutingRule,
    Team,
    TeamArea,
    TeamOwner,
    Update,
    UpdateIdea,
)
from voice.admin.service.defaults import ensure_defaults, triage_team
from voice.areas.models import Area
from voice.areas.service import all_areas
from voice.clock import utcnow
from voice.errors import NotFound
from voice.extensions import db
from voice.ideas.service import staff_reads as idea_reads
from voice.paging import Page, paginate
from voice.surveys.service import staff_reads as survey_reads

# --- teams ------------------------------------------------------------------------------


@dataclass
class TeamView:
    team: Team
    owners: list[User] = field(default_factory=list)
    areas: list[Area] = field(default_factory=list)
    open_cases: int = 0
    overdue_cases: int = 0


def teams_overview(now: datetime | None = None) -> list[TeamView]:
    """Every team with its owners, areas and open/overdue case counts (5 queries)."""
    ensure_defaults()
    now = now or utcnow()
    views = {team.id: TeamView(team=team) for team in all_teams()}
    for team_id, user in db.session.execute(
        select(TeamOwner.team_id, User).join(User, User.id == TeamOwner.user_id)
        .order_by(User.display_name)
    ):
        views[team_id].owners.append(user)
    team_of_area = area_teams()
    for area in all_areas():  # by name
        if area.id in team_of_area:
            views[team_of_area[area.id]].areas.append(area)
    counts = db.session.execute(
        select(Case.team_id, func.count(Case.id),
               func.count(Case.id).filter(overdue_clause(now)))
        .where(Case.state.in_(OPEN_STATES)).group_by(Case.team_id)
    )
    for team_id, open_count, overdue in counts:
        if team_id in views:
            views[team_id].open_cases, views[team_id].overdue_cases = open_count, overdue
    return list(views.values())


def all_teams() -> list[Team]:
    return list(db.session.scalars(select(Team).order_by(Team.is_triage.desc(), Team.name)))


def team_ids() -> set[int]:
    return set(db.session.scalars(select(Team.id)))


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


# --- areas ------------------------------------------------------------------------------


@dataclass
class AreaView:
    area: Area
    team: Team | None


def area_teams() -> dict[int, int]:
    """Area id -> the id of the team that owns it (areas without a team are missing)."""
    return dict(db.session.execute(select(TeamArea.area_id, TeamArea.team_id)).all())


def areas_overview() -> list[AreaView]:
    """Every area (by name) with the team that owns it, if any."""
    owners = dict(db.session.execute(
        select(TeamArea.area_id, Team).join(Team, Team.id == TeamArea.team_id)).all())
    return [AreaView(area=area, team=owners.get(area.id)) for area in all_areas()]


def find_area(area_id: int) -> Area | None:
    """The area with this id, from the areas facade (areas are few: a list of dozens)."""
    return next((area for area in all_areas() if area.id == area_id), None)


# --- rules ------------------------------------------------------------------------------


def rule_value(row: RoutingRule) -> rules.Rule:
    """The pure engine's view of a stored rule."""
    return row.as_rule()


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


def routing_map() -> rules.Routing:
    """The triage team and the area -> team map, as the engine takes them."""
    return rules.Routing(fallback_team_id=triage_team().id, area_teams=area_teams())


# --- users ------------------------------------------------------------------------------


# staff_members and search_users are the accounts facade's (the users table is theirs);
# the staff side's facade re-exports them.


# --- surveys a rule may name --------------------------------------------------------------


def survey_choices(limit: int = 500) -> list[survey_reads.SurveyTitle]:
    """The surveys a routing rule may name, by title."""
    return survey_reads.survey_titles(limit)


# --- updates ("You asked, we did") ----------------------------------------------------------


@dataclass
class UpdateView:
    update: Update
    ideas: list[idea_reads.IdeaRow]
    author: User | None = None


def _with_ideas(updates: list[Update]) -> list[UpdateView]:
    """The updates with the ideas each delivers (in the order they were linked) and
    their authors: three statements, however many updates."""
    if not updates:
        return []
    ids = [u.id for u in updates]
    links = db.session.execute(
        select(UpdateIdea.update_id, UpdateIdea.idea_id)
        .where(UpdateIdea.update_id.in_(ids)).order_by(UpdateIdea.id)).all()
    ideas = idea_reads.ideas_by_id(idea_id for _, idea_id in links)
    linked: dict[int, list[idea_reads.IdeaRow]] = {i: [] for i in ids}
    for update_id, idea_id in links:
        if idea_id in ideas:
            linked[update_id].append(ideas[idea_id])
    authors = {u.id: u for u in db.session.scalars(
        select(User).where(User.id.in_({u.author_id for u in updates if u.author_id})))}
    return [UpdateView(update=u, ideas=linked[u.id],
                       author=authors.get(u.author_id) if u.author_id else None)
            for u in updates]


def list_updates(page: int = 1, per_page: int = 10) -> tuple[Page, list[UpdateView]]:
    listing = paginate(select(Update).order_by(Update.published_at.desc(), Update.id.desc()),
                       page, per_page)
    return listing, _with_ideas(listing.items)


def get_update(update_id: int) -> UpdateView:
    update = db.session.get(Update, update_id)
    if update is None:
        raise NotFound("No such update.")
    return _with_ideas([update])[0]
