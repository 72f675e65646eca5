"""The staff side's subscribers, connected in one place; the app factory calls
:func:`connect` once per app (calling it again connects nothing twice).

- routing (voice/admin/routing.py): a new idea, a vote, a public comment, a survey
  response and a trade are routed by the rules and may open a case;
- the audit log (voice/admin/audit.py): the domains' staff actions are written to it;
- the personal-data collectors (voice/admin/personal_data.py): what the staff side
  holds of a person, and closing an account;
- the routing cache (voice/admin/routing_cache.py): a flush that changes a rule, a team,
  a team's area or an area writes a new version token, so every worker reloads;
- cases follow their signals (voice/admin/service/following.py): an idea done or declined,
  an idea merged, a market resolved or voided closes its open cases, in the sender's
  transaction (after the audit entry of the domain's action);
- escalation (voice/admin/service/escalation.py): a case whose due time moves later may
  escalate again (``escalated_at`` cleared);
- "Shipped in" (voice/admin/shipped_in.py): the updates that delivered an idea, for its page.
"""

from __future__ import annotations

from voice import signals
from voice.admin import audit, personal_data, routing, routing_cache, shipped_in
from voice.admin.service import escalation, following


def connect() -> None:
    """Connect the staff side's receivers and listeners (idempotent)."""
    # weak=False: the receivers live as long as the process; blinker connects the same
    # function to the same signal once, however often this runs.
    signals.idea_created.connect(routing.on_idea_created, weak=False)
    signals.idea_voted.connect(routing.on_idea_voted, weak=False)
    signals.comment_created.connect(routing.on_comment_created, weak=False)
    signals.survey_response_submitted.connect(routing.on_response_submitted, weak=False)
    signals.market_traded.connect(routing.on_market_traded, weak=False)

    signals.staff_acted.connect(audit.on_staff_acted, weak=False)
    signals.idea_status_changed.connect(audit.on_status_changed, weak=False)
    signals.idea_merged.connect(audit.on_merged, weak=False)
    signals.market_resolved.connect(audit.on_market_resolved, weak=False)
    signals.market_voided.connect(audit.on_market_voided, weak=False)

    signals.idea_status_changed.connect(following.on_status_changed, weak=False)
    signals.idea_merged.connect(following.on_merged, weak=False)
    signals.market_resolved.connect(following.on_market_resolved, weak=False)
    signals.market_voided.connect(following.on_market_voided, weak=False)

    signals.idea_updates_requested.connect(shipped_in.updates_for_ideas, weak=False)

    signals.personal_data_requested.connect(personal_data.export, weak=False)
    signals.personal_data_erasing.connect(personal_data.erase, weak=False)

    routing_cache.listen()
    escalation.listen()
