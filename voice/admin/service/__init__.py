"""The staff side's operations: the facade over its reads and its groups of writes.

Callers import from here (``from voice.admin import service``; ``service.change_case``)
and never from the modules behind it, which are:

- ``defaults``: the triage team and the rules of a fresh installation;
- ``queries``: teams, areas, rules, users, surveys to route, updates ("You asked, we did");
- ``case_queries``: the case inbox's filters, the list, one case; ``bulk``: assigning
  or closing many cases at once; ``customers``: a customer's summary and timeline;
- ``teams``, ``area_teams``, ``routing_rules``, ``cases``, ``users``, ``updates``: one
  group of writes each;
- ``reply_templates``: a team's saved replies; ``escalation``: overdue cases told to their
  team's owners once; ``following``: cases closing as their idea or market ends (its
  subscribers are connected by voice/admin/hooks.py, not offered here).

The facade also offers the pages the staff home, the audit log and a team's webhook
deliveries (voice/admin/dashboard.py, audit.py, webhooks.py), so the views call nothing
else. Every function that writes does it inside ``write_transaction`` (joining the
caller's when there is one: routing runs inside the domain's transaction) and writes its
audit entry in the same transaction. The routing subscribers are voice/admin/routing.py's.
"""

from __future__ import annotations

from voice.accounts.service import search_users, staff_members
from voice.admin.audit import AuditFilters
from voice.admin.audit import action_names as audit_actions
from voice.admin.audit import entries_matching as audit_entries
from voice.admin.audit import parse_filters as parse_audit_filters
from voice.admin.dashboard import (
    Dashboard,
    ScoreFilters,
    chart_data,
    list_score_answers,
    parse_score_filters,
)
from voice.admin.dashboard import build as build_dashboard
from voice.admin.service.area_teams import assign_area, create_area
from voice.admin.service.bulk import (
    BULK_ACTIONS,
    MAX_BULK,
    MAX_BULK_REPLY,
    BulkResult,
    bulk_assign,
    bulk_close,
    parse_case_ids,
)
from voice.admin.service.case_queries import (
    FLAG_VALUES,
    STATE_FILTERS,
    CaseDetail,
    CaseFilters,
    case_detail,
    get_case,
    list_cases,
    parse_case_filters,
)
from voice.admin.service.cases import (
    MAX_NOTE,
    MAX_REPLY,
    TRANSITIONS,
    add_note,
    change_case,
    open_case,
)
from voice.admin.service.conversation import (
    CUSTOMER_STATE_LABELS,
    Conversation,
    StaffThread,
    case_thread,
    my_case,
    my_cases,
    post_customer_message,
    post_staff_message,
)
from voice.admin.service.customers import (
    TIMELINE_DEPTH,
    CustomerView,
    Summary,
    Timeline,
    check_timeline_page,
    customer_view,
)
from voice.admin.service.defaults import (
    DEFAULT_RULES,
    TRIAGE_NAME,
    ensure_defaults,
    triage_team,
)
from voice.admin.service.escalation import escalate_overdue
from voice.admin.service.inbound_mail import (
    KeptAside,
    attach_inbound,
    dismiss_inbound,
    forget_kept_aside_count,
    kept_aside_badge,
    kept_aside_count,
    kept_aside_mails,
)
from voice.admin.service.queries import (
    AreaView,
    TeamView,
    UpdateView,
    all_teams,
    areas_overview,
    get_rule,
    get_team,
    get_update,
    list_updates,
    ordered_rules,
    routing_map,
    rule_value,
    rules_overview,
    survey_choices,
    team_detail,
    teams_overview,
)
from voice.admin.service.reply_templates import (
    can_edit_templates,
    create_reply_template,
    delete_reply_template,
    fill_reply_template,
    get_reply_template,
    reply_templates,
    require_template_editor,
    template_counts,
    update_reply_template,
)
from voice.admin.service.routing_rules import (
    RULE_FIELDS,
    InvalidRule,
    create_rule,
    delete_rule,
    move_rule,
    preview_rule,
    rule_from_fields,
    update_rule,
)
from voice.admin.service.teams import (
    add_owner,
    check_team_name_free,
    create_team,
    remove_owner,
    update_team,
)
from voice.admin.service.thread import MAX_MESSAGE
from voice.admin.service.updates import parse_idea_ids, publish_update
from voice.admin.service.users import change_role, set_user_active
from voice.admin.webhooks import recent_deliveries
from voice.permissions import require_admin, require_staff

__all__ = [
    "KeptAside",
    "attach_inbound",
    "dismiss_inbound",
    "forget_kept_aside_count",
    "kept_aside_badge",
    "kept_aside_count",
    "kept_aside_mails",
    "BULK_ACTIONS",
    "FLAG_VALUES",
    "MAX_BULK",
    "MAX_BULK_REPLY",
    "TIMELINE_DEPTH",
    "BulkResult",
    "CustomerView",
    "Summary",
    "Timeline",
    "bulk_assign",
    "bulk_close",
    "check_timeline_page",
    "customer_view",
    "parse_case_ids",
    "CUSTOMER_STATE_LABELS",
    "MAX_MESSAGE",
    "Conversation",
    "StaffThread",
    "case_thread",
    "my_case",
    "my_cases",
    "post_customer_message",
    "post_staff_message",
    "DEFAULT_RULES",
    "MAX_NOTE",
    "MAX_REPLY",
    "RULE_FIELDS",
    "STATE_FILTERS",
    "TRANSITIONS",
    "TRIAGE_NAME",
    "AreaView",
    "AuditFilters",
    "CaseDetail",
    "CaseFilters",
    "InvalidRule",
    "Dashboard",
    "ScoreFilters",
    "TeamView",
    "UpdateView",
    "add_note",
    "add_owner",
    "all_teams",
    "areas_overview",
    "audit_actions",
    "audit_entries",
    "assign_area",
    "build_dashboard",
    "can_edit_templates",
    "create_reply_template",
    "delete_reply_template",
    "escalate_overdue",
    "fill_reply_template",
    "get_reply_template",
    "reply_templates",
    "require_template_editor",
    "template_counts",
    "update_reply_template",
    "case_detail",
    "change_case",
    "chart_data",
    "change_role",
    "create_area",
    "create_rule",
    "check_team_name_free",
    "create_team",
    "delete_rule",
    "ensure_defaults",
    "get_case",
    "get_rule",
    "get_team",
    "get_update",
    "list_cases",
    "list_score_answers",
    "list_updates",
    "move_rule",
    "open_case",
    "ordered_rules",
    "parse_audit_filters",
    "parse_case_filters",
    "parse_idea_ids",
    "parse_score_filters",
    "preview_rule",
    "publish_update",
    "recent_deliveries",
    "remove_owner",
    "require_admin",
    "require_staff",
    "routing_map",
    "rule_from_fields",
    "rule_value",
    "rules_overview",
    "search_users",
    "set_user_active",
    "staff_members",
    "survey_choices",
    "team_detail",
    "teams_overview",
    "triage_team",
    "update_rule",
    "update_team",
]
