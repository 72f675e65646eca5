"""The triage team and the rules a fresh installation ships.

Routing calls :func:`ensure_defaults` when no team exists (so the first signal of a new
installation is routed), and so do the staff pages, the ``flask admin ensure-defaults``
command and the demo.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from voice.admin.models import RoutingRule, Team
from voice.database import write_transaction
from voice.extensions import db
from voice.surveys.scales import CSAT_DISSATISFIED, NPS_DETRACTORS

TRIAGE_NAME = "Triage"
TRIAGE_DESCRIPTION = "Catches what no other team owns."

#: The rules a fresh installation ships (created by :func:`ensure_defaults`).
DEFAULT_RULES: list[dict[str, Any]] = [
    {"name": f"Detractor NPS ({NPS_DETRACTORS.low}–{NPS_DETRACTORS.high})",
     "source": "survey_response", "question_kind": "nps",
     "score_max": NPS_DETRACTORS.high, "sla_hours": 48, "priority": "high"},
    {"name": f"Low CSAT ({CSAT_DISSATISFIED.low}–{CSAT_DISSATISFIED.high})",
     "source": "survey_response", "question_kind": "csat",
     "score_max": CSAT_DISSATISFIED.high, "sla_hours": 48, "priority": "high"},
    {"name": "High effort CES (6–7)", "source": "survey_response", "question_kind": "ces",
     "score_min": 6, "sla_hours": 48, "priority": "high"},
    {"name": "New ideas to the team of their area", "source": "idea_created",
     "to_area_team": True, "sla_hours": 120, "priority": "normal"},
]


def find_triage() -> Team | None:
    """The triage team, if there is one (the oldest, should an old installation have two)."""
    return db.session.scalar(select(Team).where(Team.is_triage).order_by(Team.id).limit(1))


def ensure_defaults() -> Team:
    """The triage team, creating it and the default rules on a fresh installation.

    Idempotent: when any team exists, nothing is created. Two first signals at once: the
    loser of the race on the unique team name rolls back its savepoint only and reads
    the winner's team.
    """
    with write_transaction():
        triage = find_triage()
        if triage is not None:
            return triage
        if db.session.scalar(select(Team.id).limit(1)) is not None:
            # Teams exist but none is the triage team (an old installation): make one.
            return _add_triage(_free_team_name(TRIAGE_NAME))
        try:
            with db.session.begin_nested():
                triage = _add_triage(TRIAGE_NAME)
                if db.session.scalar(select(RoutingRule.id).limit(1)) is None:
                    _add_default_rules(triage)
        except IntegrityError:
            triage = find_triage()
            if triage is None:
                raise
        return triage


def triage_team() -> Team:
    return find_triage() or ensure_defaults()


def _add_triage(name: str) -> Team:
    team = Team(name=name, is_triage=True, description=TRIAGE_DESCRIPTION)
    db.session.add(team)
    db.session.flush()
    return team


def _add_default_rules(triage: Team) -> None:
    for position, spec in enumerate(DEFAULT_RULES, start=1):
        fields = dict(spec)
        if not fields.get("to_area_team"):
            fields["team_id"] = triage.id
        db.session.add(RoutingRule(position=position, **fields))
    db.session.flush()


def _free_team_name(name: str) -> str:
    candidate, number = name, 1
    while db.session.scalar(select(Team.id).where(Team.name == candidate)) is not None:
        number += 1
        candidate = f"{name} {number}"
    return candidate
