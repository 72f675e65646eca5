"""Routing rules: parsing and checking a submitted rule, saving, ordering, deleting,
previewing it against the last days' signals. Admins only (the preview: any staff page
that shows it).

The rules' meaning and their checks are the pure engine's (voice/admin/rules.py); this
module adds what needs the database: which teams, areas and surveys exist.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import func, select

from voice.accounts.models import User
from voice.admin import audit, history, rules
from voice.admin.models import RoutingRule
from voice.admin.service.defaults import ensure_defaults
from voice.admin.service.queries import ordered_rules, rule_value, team_ids
from voice.areas.service import all_areas
from voice.clock import utcnow
from voice.database import write_transaction
from voice.errors import Invalid, NotFound
from voice.extensions import db
from voice.permissions import require_admin
from voice.surveys.service import staff_reads as survey_reads

RULE_FIELDS = ("name", "source", "team_id", "to_area_team", "priority", "sla_hours", "enabled",
               "area_id", "survey_id", "question_kind", "score_min", "score_max", "keywords",
               "vote_threshold", "probability_threshold", "move_points")
_DESCRIBED = ("area_id", "survey_id", "question_kind", "score_min", "score_max",
              "vote_threshold", "probability_threshold", "move_points")


class InvalidRule(Invalid):
    """A rule that cannot be saved. The message and field are the first problem's;
    ``problems`` lists them all. The code is ``unknown_team`` when the first is a named
    team that does not exist, else ``invalid_rule``."""

    def __init__(self, problems: list[rules.Problem], *, unknown_team: bool = False):
        first = problems[0]
        missing_team = unknown_team and first.field == "team_id" and "exist" in first.message
        super().__init__(first.message, field=first.field,
                         code="unknown_team" if missing_team else "invalid_rule")
        self.problems = problems


def _number(data: Mapping[str, Any], key: str, kind: Callable[[Any], Any] = float) -> Any:
    value = data.get(key)
    if value in (None, ""):
        return None
    try:
        return kind(value)
    except (TypeError, ValueError):
        raise Invalid("Enter a number.", field=key, code="invalid_rule") from None


def parse_rule(data: Mapping[str, Any], rule_id: int = 0) -> rules.Rule:
    """The submitted fields as a pure Rule, not yet checked; Invalid for a non-number.

    ``data`` holds typed values (the form and the tests give ints and floats; None
    for an empty condition). ``probability_threshold`` is given in percent (0..100).
    """
    probability = _number(data, "probability_threshold")
    keywords = data.get("keywords") or ""
    if not isinstance(keywords, str):
        keywords = ", ".join(keywords)
    to_area_team = bool(data.get("to_area_team"))
    team_id = _number(data, "team_id", int)
    return rules.Rule(
        id=rule_id,
        name=" ".join(str(data.get("name") or "").split())[:120],
        source=str(data.get("source") or ""),
        team_id=None if to_area_team else team_id,
        to_area_team=to_area_team,
        priority=str(data.get("priority") or "normal"),
        sla_hours=_number(data, "sla_hours", int) or 0,
        enabled=bool(data.get("enabled", True)),
        area_id=_number(data, "area_id", int),
        survey_id=_number(data, "survey_id", int),
        question_kind=data.get("question_kind") or None,
        score_min=_number(data, "score_min"),
        score_max=_number(data, "score_max"),
        keywords=rules.parse_keywords(keywords),
        vote_threshold=_number(data, "vote_threshold", int),
        probability_threshold=None if probability is None else probability / 100,
        move_points=_number(data, "move_points"),
    )


def rule_from_fields(data: Mapping[str, Any], rule_id: int = 0) -> rules.Rule:
    """Parse and validate submitted fields into a pure Rule; :class:`InvalidRule` (an
    Invalid) names the field and carries every problem."""
    rule = parse_rule(data, rule_id)
    problems = rules.validate(rule, team_ids=team_ids(),
                              area_ids={area.id for area in all_areas()})
    if rule.survey_id is not None and not problems \
            and not survey_reads.survey_exists(rule.survey_id):
        problems.append(rules.Problem("survey_id", "That survey does not exist."))
    if problems:
        raise InvalidRule(problems, unknown_team=rule.team_id is not None)
    return rule


def _store(row: RoutingRule, rule: rules.Rule) -> None:
    for name in RULE_FIELDS:
        value = getattr(rule, name)
        if name == "keywords":
            value = ", ".join(value)
        setattr(row, name, value)
    row.updated_at = utcnow()


def describe_rule(rule: rules.Rule) -> str:
    """One line of the rule's settings, for the audit log."""
    parts = [rule.name or rules.SOURCE_LABELS.get(rule.source, rule.source),
             f"source={rule.source}",
             "team=area's team" if rule.to_area_team else f"team=#{rule.team_id}",
             f"sla={rule.sla_hours}h", f"priority={rule.priority}",
             "enabled" if rule.enabled else "disabled"]
    for name in _DESCRIBED:
        value = getattr(rule, name)
        if value is not None:
            parts.append(f"{name}={value:g}" if isinstance(value, float) else f"{name}={value}")
    if rule.keywords:
        parts.append("keywords=" + "|".join(rule.keywords))
    return ", ".join(parts)


def _locked_rule(rule_id: int) -> RoutingRule:
    row = db.session.scalar(
        select(RoutingRule).where(RoutingRule.id == rule_id).with_for_update())
    if row is None:
        raise NotFound("No such rule.", code="unknown_rule")
    return row


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
        audit.record(actor, "rule.create", "rule", row.id, describe_rule(rule))
    return row


def update_rule(actor: User, rule_id: int, data: Mapping[str, Any]) -> RoutingRule:
    require_admin(actor)
    with write_transaction():
        row = _locked_rule(rule_id)
        before = describe_rule(rule_value(row))
        rule = rule_from_fields(data, rule_id=row.id)
        _store(row, rule)
        audit.record(actor, "rule.update", "rule", row.id, f"{before} ⇒ {describe_rule(rule)}")
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
        row = _locked_rule(rule_id)
        audit.record(actor, "rule.delete", "rule", row.id, describe_rule(rule_value(row)))
        db.session.delete(row)


def preview_rule(data: Mapping[str, Any], rule_id: int = 0, days: int = 30,
                 now: datetime | None = None) -> list[rules.PreviewRow]:
    """The last ``days`` days' signals the (possibly unsaved) rule would have matched."""
    rule = rule_from_fields(data, rule_id=rule_id)
    ordered = [rule_value(row) for row in ordered_rules()]
    return rules.preview(rule, ordered, history.recent_signals(days=days, now=now))
