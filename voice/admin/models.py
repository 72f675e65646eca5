"""Models of the staff side: teams, routing rules, cases, updates, audit log, webhooks.

Cases point at their source by type and id (``source_type`` idea | comment |
survey_response | market), without a foreign key, so the staff side never
constrains the domains. ``(source_type, source_id, rule_id)`` is unique: one
source opens at most one case per rule (a new idea and the same idea passing 50
votes are two events of two rules, so two cases).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from voice.accounts.models import User
from voice.admin import rules
from voice.clock import utcnow
from voice.extensions import Model

CASE_STATES = ("new", "acknowledged", "in_progress", "waiting", "closed", "wont_do")
#: Open: work is still owed. ``waiting`` is open, but waits on the customer: its SLA clock
#: is stopped (``waiting_since``) and starts again when the customer answers (issue 14).
OPEN_STATES = ("new", "acknowledged", "in_progress", "waiting")
CLOSED_STATES = ("closed", "wont_do")
STATE_LABELS = {
    "new": "New",
    "acknowledged": "Acknowledged",
    "in_progress": "In progress",
    "waiting": "Waiting on customer",
    "closed": "Closed",
    "wont_do": "Won't do",
}
SOURCE_TYPES = ("idea", "comment", "survey_response", "market")
SOURCE_TYPE_LABELS = {
    "idea": "Idea",
    "comment": "Comment",
    "survey_response": "Survey response",
    "market": "Market",
}


class Team(Model):
    __tablename__ = "teams"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    # The fallback team: catches what the rules route to an area without a team.
    is_triage: Mapped[bool] = mapped_column(default=False)
    webhook_url: Mapped[str] = mapped_column(String(500), default="")
    webhook_secret: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class TeamOwner(Model):
    """A staff member who owns (works the inbox of) a team."""

    __tablename__ = "team_owners"
    __table_args__ = (UniqueConstraint("team_id", "user_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)

    user: Mapped[User] = relationship(lazy="raise")


class TeamArea(Model):
    """A product area belongs to at most one team (``area_id`` is unique)."""

    __tablename__ = "team_areas"

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    area_id: Mapped[int] = mapped_column(ForeignKey("areas.id", ondelete="CASCADE"), unique=True)


class RoutingRule(Model):
    """One row of the ordered rule list; see voice/admin/rules.py for the meaning."""

    __tablename__ = "routing_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    position: Mapped[int] = mapped_column(default=0, index=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    source: Mapped[str] = mapped_column(String(20))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="SET NULL"))
    to_area_team: Mapped[bool] = mapped_column(default=False)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    sla_hours: Mapped[int] = mapped_column(default=48)
    enabled: Mapped[bool] = mapped_column(default=True)
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id", ondelete="SET NULL"))
    question_kind: Mapped[str | None] = mapped_column(String(20))
    score_min: Mapped[float | None] = mapped_column(Float)
    score_max: Mapped[float | None] = mapped_column(Float)
    keywords: Mapped[str] = mapped_column(Text, default="")  # comma-separated, lower case
    vote_threshold: Mapped[int | None]
    probability_threshold: Mapped[float | None] = mapped_column(Float)  # 0..1
    move_points: Mapped[float | None] = mapped_column(Float)  # percentage points
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)

    def as_rule(self) -> rules.Rule:
        """The pure engine's view of this stored rule."""
        return rules.Rule(
            id=self.id, source=self.source, team_id=self.team_id,
            to_area_team=self.to_area_team, priority=self.priority, sla_hours=self.sla_hours,
            enabled=self.enabled, area_id=self.area_id, survey_id=self.survey_id,
            question_kind=self.question_kind, score_min=self.score_min,
            score_max=self.score_max, keywords=rules.parse_keywords(self.keywords),
            vote_threshold=self.vote_threshold,
            probability_threshold=self.probability_threshold, move_points=self.move_points,
            name=self.name,
        )


class RoutingVersion(Model):
    """One row (id 1) whose token changes with every change to rules, teams or their areas.

    Each worker keeps the routing configuration it last read, tagged with this token
    (voice/admin/routing_cache.py), and reads it again only when the token differs.
    """

    __tablename__ = "routing_version"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32))


class Case(Model):
    __tablename__ = "cases"
    __table_args__ = (
        UniqueConstraint("source_type", "source_id", "rule_id"),
        Index("ix_cases_team_state", "team_id", "state", "due_at"),
        Index("ix_cases_assignee_state", "assignee_id", "state"),
        Index("ix_cases_state_due", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    source_type: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int]
    # The rule that opened it (no foreign key: deleting a rule keeps its cases).
    rule_id: Mapped[int] = mapped_column(default=0)
    rule_name: Mapped[str] = mapped_column(String(120), default="")
    reason: Mapped[str] = mapped_column(String(200), default="")
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The customer who spoke (None: an anonymous response, or a market move).
    customer_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(16), default="new")
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    title: Mapped[str] = mapped_column(String(200), default="")
    excerpt: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str] = mapped_column(String(300), default="")
    area_id: Mapped[int | None] = mapped_column(ForeignKey("areas.id", ondelete="SET NULL"))
    due_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # First time staff answered: the first move out of "new" or the first reply.
    first_response_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    reply: Mapped[str | None] = mapped_column(Text)  # the last reply sent to the customer
    replied_at: Mapped[datetime | None]
    replied_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # The conversation (issue 14). While ``waiting`` the SLA clock is stopped since
    # ``waiting_since``; ``paused_seconds`` sums the stops already over, so working time is
    # wall time minus the pauses.
    waiting_since: Mapped[datetime | None]
    paused_seconds: Mapped[int] = mapped_column(default=0)
    # Set once, by the one escalation that wins (a conditional UPDATE), when the case is
    # overdue: the team's owners are told once.
    escalated_at: Mapped[datetime | None]
    # A merged idea's case that closed pointing at the survivor's case.
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("cases.id", ondelete="SET NULL"))
    # The last message of the thread, for the inbox's preview column.
    last_message_at: Mapped[datetime | None]
    last_message_preview: Mapped[str] = mapped_column(String(200), default="")
    last_message_by_customer: Mapped[bool] = mapped_column(default=False)

    team: Mapped[Team] = relationship(lazy="raise")
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id], lazy="raise")
    customer: Mapped[User | None] = relationship(foreign_keys=[customer_id], lazy="raise")

    @property
    def is_open(self) -> bool:
        return self.state in OPEN_STATES

    @property
    def state_label(self) -> str:
        return STATE_LABELS.get(self.state, self.state)

    @property
    def source_label(self) -> str:
        return SOURCE_TYPE_LABELS.get(self.source_type, self.source_type)


#: What a CaseNote is: an internal ``note`` (staff only), a ``reply`` staff sent to the
#: customer, a ``customer`` message (the customer answering), or an ``event`` of the
#: case's history (state moves, auto-closes, merges).
NOTE_KINDS = ("note", "reply", "customer", "event")
#: How a message arrived.
MESSAGE_CHANNELS = ("web", "api", "mail")


class CaseNote(Model):
    """One entry of a case's thread: an internal note, a message either way, an event."""

    __tablename__ = "case_notes"
    __table_args__ = (Index("ix_case_notes_case_created", "case_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(10), default="note")  # NOTE_KINDS
    body: Mapped[str] = mapped_column(Text)
    via: Mapped[str] = mapped_column(String(10), default="web")  # MESSAGE_CHANNELS
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship(lazy="raise")


class ReplyTemplate(Model):
    """A saved reply of a team; ``{customer}`` and ``{title}`` are filled in when used."""

    __tablename__ = "reply_templates"
    __table_args__ = (UniqueConstraint("team_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(80))
    body: Mapped[str] = mapped_column(Text)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


#: What became of an inbound mail: it landed on its case, or it is kept aside for staff
#: (unsigned, forged, from an address that does not own the case...), or staff dismissed
#: or attached it by hand.
INBOUND_STATUSES = ("matched", "kept_aside", "dismissed", "attached")


class InboundMail(Model):
    """One mail read from the IMAP mailbox; never lost: matched to its case or kept aside.

    ``message_id`` is unique, so a mail read twice (a retry after a crash between the
    commit and the IMAP flag) is stored once.
    """

    __tablename__ = "inbound_mails"
    __table_args__ = (Index("ix_inbound_mails_status_received", "status", "received_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(300), unique=True)
    from_address: Mapped[str] = mapped_column(String(320), default="")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")  # the new text, quoted history stripped
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(12), default="kept_aside")
    reason: Mapped[str] = mapped_column(String(200), default="")
    handled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    handled_at: Mapped[datetime | None]


class Update(Model):
    """A "You asked, we did" post."""

    __tablename__ = "updates"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    published_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    notified_count: Mapped[int] = mapped_column(default=0)


class UpdateIdea(Model):
    __tablename__ = "update_ideas"
    __table_args__ = (UniqueConstraint("update_id", "idea_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("updates.id", ondelete="CASCADE"))
    idea_id: Mapped[int] = mapped_column(ForeignKey("ideas.id", ondelete="CASCADE"), index=True)


class AuditEntry(Model):
    __tablename__ = "audit_log"
    __table_args__ = (
        Index("ix_audit_log_action_created", "action", "created_at"),
        Index("ix_audit_log_target", "target_type", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(30), default="")
    target_id: Mapped[int | None]
    detail: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    actor: Mapped[User | None] = relationship(lazy="raise")


class WebhookDelivery(Model):
    """One POST of one new case to one team's webhook; the outbox of webhooks."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id", ondelete="SET NULL"))
    event: Mapped[str] = mapped_column(String(40), default="case.created")
    url: Mapped[str] = mapped_column(String(500))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body that is signed and sent
    # pending -> sending (claimed until ``next_attempt_at``) -> delivered, or failed
    status: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_error: Mapped[str] = mapped_column(Text, default="")
    last_status: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    delivered_at: Mapped[datetime | None]
