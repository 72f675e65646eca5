"""The routing configuration each worker keeps, and how every worker learns of a change.

Every vote, trade, comment and survey response is routed inside its sender's write
transaction. Reading the enabled rules, the triage team and the area -> team map for
each of them cost two or three statements and ORM loading per write. Instead each
process keeps a :class:`RoutingSnapshot`, tagged with the token of the single
``routing_version`` row. Any flush that adds, changes or deletes a rule, a team, a
team's area or an area writes a new random token into that row, in the same
transaction as the change. A snapshot is used only while its token is the one the
database holds, so each signal costs one primary-key read, in every gunicorn worker and
on every server, and a change is seen by the next signal after it commits (no stale
window, nothing to expire).

Without the row (an empty database before its first rule) nothing is cached. The two
Session listeners that write the token are attached by voice/admin/hooks.py
(:func:`listen`), called by the app factory.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from itertools import chain
from typing import Any

from sqlalchemy import Connection, event, select
from sqlalchemy.orm import ORMExecuteState, Session, UOWTransaction

from voice.admin import rules, sql
from voice.admin.models import RoutingRule, RoutingVersion, Team, TeamArea
from voice.areas.models import Area
from voice.extensions import db

#: Changing any of these can change where a signal goes.
WATCHED = (RoutingRule, Team, TeamArea, Area)
_snapshots: dict[str, RoutingSnapshot] = {}  # database URL -> the last snapshot read


@dataclass(frozen=True)
class RoutingSnapshot:
    token: str | None
    rules_by_source: Mapping[str, tuple[rules.Rule, ...]] = field(default_factory=dict)
    has_team: bool = False
    routing: rules.Routing | None = None  # None while there is no triage team

    def rules_for(self, source: str) -> tuple[rules.Rule, ...]:
        return self.rules_by_source.get(source, ())

    def rule_name(self, rule_id: int) -> str:
        for rule in chain.from_iterable(self.rules_by_source.values()):
            if rule.id == rule_id:
                return rule.name
        return ""


def current() -> RoutingSnapshot:
    """The routing configuration as this transaction sees it; one statement when cached."""
    token = db.session.scalar(select(RoutingVersion.token).where(RoutingVersion.id == 1))
    key = db.engine.url.render_as_string(hide_password=False)
    cached = _snapshots.get(key)
    if token is not None and cached is not None and cached.token == token:
        return cached
    snapshot = _load(token)
    if token is not None:
        _snapshots[key] = snapshot
    return snapshot


def _load(token: str | None) -> RoutingSnapshot:
    by_source: dict[str, list[rules.Rule]] = defaultdict(list)
    for row in db.session.scalars(select(RoutingRule).where(RoutingRule.enabled)
                                  .order_by(RoutingRule.position, RoutingRule.id)):
        by_source[row.source].append(row.as_rule())
    triage_id = db.session.scalar(
        select(Team.id).where(Team.is_triage).order_by(Team.id).limit(1))
    has_team = triage_id is not None or db.session.scalar(select(Team.id).limit(1)) is not None
    routing = None
    if triage_id is not None:
        area_teams = dict(db.session.execute(select(TeamArea.area_id, TeamArea.team_id)).all())
        routing = rules.Routing(fallback_team_id=triage_id, area_teams=area_teams)
    return RoutingSnapshot(token=token, has_team=has_team, routing=routing,
                           rules_by_source={k: tuple(v) for k, v in by_source.items()})


# --- telling every worker ---------------------------------------------------------------------


def write_new_token(connection: Connection) -> None:
    """Give the version row a new token (creating the row if it is missing); the
    statement is built once per dialect (voice/admin/sql.py)."""
    connection.execute(sql.write_version_token(connection.dialect.name),
                       {"new_token": uuid.uuid4().hex})


def new_token_on_change(session: Session, _flush_context: UOWTransaction) -> None:
    """After a flush: a new token when it wrote a rule, a team, a team's area or an area."""
    # In after_flush, new/dirty/deleted still list what this flush wrote.
    if any(isinstance(obj, WATCHED)
           for obj in chain(session.new, session.dirty, session.deleted)):
        write_new_token(session.connection())


def new_token_on_bulk_change(state: ORMExecuteState) -> None:
    """An ORM ``update(...)``/``delete(...)`` of a watched table bypasses the flush."""
    if (state.is_update or state.is_delete) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in WATCHED:
        write_new_token(state.session.connection())


_LISTENERS: tuple[tuple[str, Any], ...] = (
    ("after_flush", new_token_on_change),
    ("do_orm_execute", new_token_on_bulk_change),
)


def listen() -> None:
    """Attach the token writers to every Session; idempotent (SQLAlchemy's ``listen`` is
    not: the same function attached twice runs twice)."""
    for name, listener in _LISTENERS:
        if not event.contains(Session, name, listener):
            event.listen(Session, name, listener)
