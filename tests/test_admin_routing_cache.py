"""The routing configuration each worker keeps (voice/admin/routing_cache.py): reused while
the version token stands, read again after any change, in this process or another."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest
from sqlalchemy import select

from tests.conftest import counting_statements
from voice.admin import routing, routing_cache, service
from voice.admin.models import Case, RoutingVersion
from voice.admin.rules import Signal
from voice.clock import utcnow
from voice.extensions import db


def token(app) -> str | None:
    with app.app_context():
        return db.session.scalar(select(RoutingVersion.token))


def route_new_idea(app, source_id: int):
    with app.app_context():
        case = routing.route(Signal(source="idea_created", source_id=source_id,
                                    occurred_at=utcnow(), area_id=None, title="By hand"))
        db.session.commit()
        return None if case is None else case.id


def idea_rule(app):
    with app.app_context():
        return next(row for row in service.ordered_rules() if row.source == "idea_created")


def set_enabled(app, admin, rule, enabled: bool) -> None:
    with app.app_context():
        values = {name: getattr(rule, name) for name in service.RULE_FIELDS}
        values["enabled"] = enabled
        service.update_rule(admin, rule.id, values)


@pytest.fixture
def defaults(app, admin):
    with app.app_context():
        service.ensure_defaults()
    assert token(app) is not None  # creating the rules wrote the version row
    return admin


def cached_in_this_process(app) -> bool:
    with app.app_context(), counting_statements(app) as statements:
        routing_cache.current()
    return len(statements) == 1


def test_a_cached_configuration_costs_one_statement(app, defaults):
    route_new_idea(app, 1)  # reads and keeps the configuration
    with app.app_context(), counting_statements(app) as statements:
        routing_cache.current()
    assert len(statements) == 1 and "routing_version" in statements[0]
    assert cached_in_this_process(app)


def test_every_change_that_can_move_a_signal_gives_a_new_token(app, defaults):
    from voice.areas.service import create_area

    admin = defaults
    seen = {token(app)}
    assert None not in seen

    def changed() -> None:
        now = token(app)
        assert now not in seen
        seen.add(now)

    with app.app_context():
        team_id = service.create_team(admin, "Billing").id
    changed()
    with app.app_context():
        area_id = create_area("Invoices").id
    changed()
    with app.app_context():
        service.assign_area(admin, area_id, team_id)
    changed()
    set_enabled(app, admin, idea_rule(app), False)
    changed()
    with app.app_context():
        service.delete_rule(admin, idea_rule(app).id)
    changed()


def test_a_disabled_rule_stops_routing_at_once(app, defaults):
    assert route_new_idea(app, 1) is not None
    set_enabled(app, defaults, idea_rule(app), False)
    assert route_new_idea(app, 2) is None
    set_enabled(app, defaults, idea_rule(app), True)
    assert route_new_idea(app, 3) is not None


def test_a_change_made_by_another_process_is_seen_by_the_next_signal(app, defaults, backend):
    """Another gunicorn worker (here: another Python process) disables the rule; this
    process, holding the configuration from before, routes the next signal by the new one."""
    assert route_new_idea(app, 1) is not None
    assert cached_in_this_process(app)
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    script = textwrap.dedent(f"""
        from voice import create_app
        from voice.accounts.models import User
        from voice.admin import service
        from voice.extensions import db
        app = create_app({{"SQLALCHEMY_DATABASE_URI": {url!r}, "SECRET_KEY": "x"}})
        with app.app_context():
            admin = db.session.get(User, {defaults.id})
            rule = next(r for r in service.ordered_rules() if r.source == "idea_created")
            values = {{name: getattr(rule, name) for name in service.RULE_FIELDS}}
            values["enabled"] = False
            service.update_rule(admin, rule.id, values)
    """)
    subprocess.run([sys.executable, "-c", script], check=True, capture_output=True,
                   timeout=120)
    assert route_new_idea(app, 2) is None
    with app.app_context():
        assert db.session.scalar(select(Case.source_id).where(Case.source_id == 2)) is None


def test_without_the_version_row_nothing_is_kept_and_routing_still_works(app, defaults):
    with app.app_context():
        db.session.execute(RoutingVersion.__table__.delete())
        db.session.commit()
    assert token(app) is None
    assert route_new_idea(app, 1) is not None
    assert not cached_in_this_process(app)  # read in full each time
    set_enabled(app, defaults, idea_rule(app), False)  # a change writes the row again
    assert token(app) is not None
    assert route_new_idea(app, 2) is None


def test_a_rolled_back_change_leaves_the_token(app, defaults):
    from voice.database import write_transaction

    before = token(app)
    rule = idea_rule(app)
    with app.app_context(), pytest.raises(RuntimeError), write_transaction():
        values = {name: getattr(rule, name) for name in service.RULE_FIELDS}
        values["enabled"] = False
        service.update_rule(defaults, rule.id, values)
        raise RuntimeError("the request failed after the edit")
    assert token(app) == before
    assert route_new_idea(app, 1) is not None
