"""A case as JSON (../shared/API.md), shared by the API and the webhooks."""

from __future__ import annotations

from typing import Any

from voice.admin.models import Case
from voice.clock import isoformat


def case_json(case: Case, team=None, assignee=None) -> dict[str, Any]:
    """``team`` and ``assignee`` may be passed when the relationships are not loaded."""
    team = team if team is not None else case.__dict__.get("team")
    assignee = assignee if assignee is not None else case.__dict__.get("assignee")
    return {
        "id": case.id,
        "source": {"type": case.source_type, "id": case.source_id},
        "team": {"id": case.team_id, "name": team.name if team is not None else None},
        "assignee": (None if case.assignee_id is None else {
            "id": case.assignee_id,
            "display_name": assignee.display_name if assignee is not None else None,
        }),
        "state": case.state,
        "priority": case.priority,
        "title": case.title,
        "rule": {"id": case.rule_id, "name": case.rule_name, "reason": case.reason},
        "due_at": isoformat(case.due_at),
        "created_at": isoformat(case.created_at),
        "first_response_at": isoformat(case.first_response_at),
        "closed_at": isoformat(case.closed_at),
        "replied": case.replied_at is not None,
        "link": case.link,
    }
