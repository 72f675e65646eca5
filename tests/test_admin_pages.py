"""Administration pages (users, teams, rules, areas) and the audit log of every staff action."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from voice import signals
from voice.accounts.models import User
from voice.admin import audit, service
from voice.admin.models import AuditEntry, RoutingRule, Team, TeamArea, TeamOwner
from voice.clock import utcnow
from voice.extensions import db


def log(app) -> list[tuple]:
    with app.app_context():
        return [(e.actor_id, e.action, e.target_type, e.target_id, e.detail)
                for e in db.session.scalars(select(AuditEntry).order_by(AuditEntry.id))]


# --- users ------------------------------------------------------------------------------


def test_admin_changes_a_role_and_it_is_logged(app, login, admin, customer):
    browser = login(admin)
    page = browser.get(f"/admin/users?q={customer.email[:6]}").get_data(as_text=True)
    assert customer.email in page
    response = browser.post(f"/admin/users/{customer.id}/role", data={"role": "staff"})
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(User, customer.id).role == "staff"
    assert log(app) == [(admin.id, "user.role", "user", customer.id,
                         f"{customer.email}: customer → staff")]


def test_admin_cannot_demote_or_deactivate_themselves(app, login, admin):
    browser = login(admin)
    browser.post(f"/admin/users/{admin.id}/role", data={"role": "customer"})
    browser.post(f"/admin/users/{admin.id}/active", data={"active": "0", "confirmed": "yes"})
    with app.app_context():
        me = db.session.get(User, admin.id)
        assert (me.role, me.active) == ("admin", True)
    assert log(app) == []


def test_deactivating_ends_the_users_session(app, login, admin, customer):
    victim = login(customer)
    assert victim.get("/me").status_code == 200
    login(admin).post(f"/admin/users/{customer.id}/active",
                      data={"active": "0", "confirmed": "yes"})
    assert victim.get("/me").status_code == 302
    assert log(app)[0][1:4] == ("user.deactivate", "user", customer.id)


def test_user_search_filters_by_role(app, login, admin, customer, staff):
    page = login(admin).get("/admin/users?role=staff").get_data(as_text=True)
    assert staff.email in page and customer.email not in page


def test_a_demoted_staff_member_stops_owning_teams(app, admin, staff):
    with app.app_context():
        team = service.create_team(admin, "Mobile")
        service.add_owner(admin, team.id, staff.email)
        service.change_role(admin, staff.id, "customer")
        assert db.session.scalar(select(TeamOwner.id)) is None


# --- teams and areas ----------------------------------------------------------------------


def test_teams_owners_areas_through_the_pages(app, login, admin, staff, customer):
    from voice.areas.service import create_area

    with app.app_context():
        area_id = create_area("Billing").id
    browser = login(admin)
    assert "Triage" in browser.get("/admin/teams").get_data(as_text=True)  # the defaults
    created = browser.post("/admin/teams", data={"name": "Billing team"})
    assert created.status_code == 302
    with app.app_context():
        team_id = db.session.scalar(select(Team.id).where(Team.name == "Billing team"))
    clash = browser.post("/admin/teams", data={"name": "billing TEAM"})
    assert clash.status_code == 400 and "exists already" in clash.get_data(as_text=True)
    refused = browser.post(f"/admin/teams/{team_id}/owners", data={"owner-email": customer.email})
    assert refused.status_code == 400
    assert "Only staff can own a team" in refused.get_data(as_text=True)
    browser.post(f"/admin/teams/{team_id}/owners", data={"owner-email": staff.email})
    browser.post(f"/admin/areas/{area_id}/team", data={"team_id": str(team_id)})
    page = browser.get(f"/admin/teams/{team_id}").get_data(as_text=True)
    assert staff.display_name in page and "Billing" in page
    with app.app_context():
        assert db.session.scalar(select(TeamArea.team_id).where(
            TeamArea.area_id == area_id)) == team_id
    actions = [entry[1] for entry in log(app)]
    assert actions == ["team.create", "team.owner_add", "area.assign"]


def test_an_area_moves_between_teams_and_belongs_to_one(app, admin):
    from voice.areas.service import create_area

    with app.app_context():
        area = create_area("Mobile app")
        first = service.create_team(admin, "Mobile")
        second = service.create_team(admin, "Apps")
        service.assign_area(admin, area.id, first.id)
        service.assign_area(admin, area.id, second.id)
        links = db.session.execute(select(TeamArea.area_id, TeamArea.team_id)).all()
        assert links == [(area.id, second.id)]
        service.assign_area(admin, area.id, None)
        assert db.session.scalar(select(TeamArea.id)) is None


def test_create_an_area_with_its_team(app, login, admin):
    with app.app_context():
        team_id = service.create_team(admin, "Platform").id
    browser = login(admin)
    done = browser.post("/admin/areas", data={"name": "API", "team_id": str(team_id)})
    assert done.status_code == 302
    assert "API" in browser.get("/admin/areas").get_data(as_text=True)
    bad = browser.post("/admin/areas", data={"name": "A"})
    assert bad.status_code == 400 and "2 to 80 characters" in bad.get_data(as_text=True)


def test_webhook_url_is_checked_and_a_secret_generated(app, login, admin):
    with app.app_context():
        team_id = service.create_team(admin, "Support").id
    browser = login(admin)
    bad = browser.post(f"/admin/teams/{team_id}", data={"name": "Support",
                                                        "webhook_url": "ftp://x"})
    assert bad.status_code == 400 and "http:// or https://" in bad.get_data(as_text=True)
    ok = browser.post(f"/admin/teams/{team_id}", data={
        "name": "Support", "webhook_url": "http://127.0.0.1:9/hook"})
    assert ok.status_code == 302
    with app.app_context():
        team = db.session.get(Team, team_id)
        assert team.webhook_url == "http://127.0.0.1:9/hook" and len(team.webhook_secret) == 48
        assert "secret" not in team.webhook_secret


# --- rules ------------------------------------------------------------------------------


def rule_form(**changes) -> dict:
    data = {"name": "Refunds", "source": "comment", "team_id": "", "priority": "high",
            "sla_hours": "24", "enabled": "y", "keywords": "refund", "action": "save"}
    data.update(changes)
    return data


def test_bad_rules_are_refused_with_a_clear_message(app, login, admin):
    browser = login(admin)
    with app.app_context():
        triage = service.ensure_defaults().id
        before = len(service.ordered_rules())
    cases = [
        (rule_form(team_id=""), "a rule needs a target"),
        (rule_form(team_id="9999"), "Not a valid choice"),
        (rule_form(team_id=str(triage), sla_hours="0"), "whole number of hours"),
        (rule_form(team_id=str(triage), source="survey_response", question_kind="nps",
                   score_max="11"), "NPS score is 0 to 10"),
        (rule_form(team_id=str(triage), source="market_move", probability_threshold="150"),
         "between 0 and 100"),
        (rule_form(team_id=str(triage), source="idea_votes"), "how many votes"),
    ]
    for data, message in cases:
        response = browser.post("/admin/rules/new", data=data)
        assert response.status_code == 400, data
        assert message in response.get_data(as_text=True), message
    with app.app_context():
        assert len(service.ordered_rules()) == before
    assert log(app) == []


def test_the_service_refuses_a_rule_without_a_target_or_with_an_unknown_team(app, admin):
    import pytest

    from voice.errors import Invalid

    with app.app_context():
        service.ensure_defaults()
        with pytest.raises(Invalid) as missing:
            service.create_rule(admin, {"source": "comment", "sla_hours": 5})
        assert (missing.value.field, missing.value.code) == ("team_id", "invalid_rule")
        with pytest.raises(Invalid) as unknown:
            service.create_rule(admin, {"source": "comment", "sla_hours": 5, "team_id": 999})
        assert unknown.value.code == "unknown_team"


def test_create_edit_move_delete_a_rule_all_logged(app, login, admin):
    browser = login(admin)
    with app.app_context():
        triage = service.ensure_defaults().id
    created = browser.post("/admin/rules/new", data=rule_form(team_id=str(triage)))
    assert created.status_code == 302
    with app.app_context():
        row = db.session.scalar(select(RoutingRule).where(RoutingRule.name == "Refunds"))
        rule_id, position = row.id, row.position
    assert position == 5  # after the four defaults
    assert "Refunds" in browser.get("/admin/rules").get_data(as_text=True)
    edited = browser.post(f"/admin/rules/{rule_id}", data=rule_form(
        team_id="area", keywords="refund, chargeback", sla_hours="12"))
    assert edited.status_code == 302
    with app.app_context():
        row = db.session.get(RoutingRule, rule_id)
        assert (row.to_area_team, row.team_id, row.keywords, row.sla_hours) == (
            True, None, "refund, chargeback", 12)
    browser.post(f"/admin/rules/{rule_id}/move", data={"direction": "up"})
    with app.app_context():
        assert [r.id for r in service.ordered_rules()].index(rule_id) == 3
    browser.post(f"/admin/rules/{rule_id}/delete")
    with app.app_context():
        assert db.session.get(RoutingRule, rule_id) is None
    actions = [entry[1] for entry in log(app)]
    assert actions == ["rule.create", "rule.update", "rule.move", "rule.delete"]
    assert "sla=24h" in log(app)[1][4] and "sla=12h" in log(app)[1][4]


def test_rule_preview_shows_the_last_30_days_matches(app, login, admin, make_user):
    from voice.ideas import service as ideas
    from voice.ideas.models import Comment

    customer = make_user()
    with app.app_context():
        triage = service.ensure_defaults().id
        idea_id = ideas.submit_idea(customer, "Refund button please", "").id
        ideas.add_comment(customer, idea_id, "I need a refund for March")
        ideas.add_comment(customer, idea_id, "Love it")
        old = ideas.add_comment(customer, idea_id, "Old refund story")
        old.created_at = utcnow() - timedelta(days=40)
        db.session.commit()
        assert db.session.scalar(select(Comment.id).where(Comment.id == old.id))
    browser = login(admin)
    page = browser.post("/admin/rules/new", data=rule_form(team_id=str(triage),
                                                           action="preview"))
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Preview: 1 signal of the last 30 days" in text
    assert "mentions &#39;refund&#39;" in text
    with app.app_context():
        assert db.session.scalar(select(RoutingRule.id).where(RoutingRule.name == "Refunds")) \
            is None  # a preview saves nothing
    # The saved default rule for new ideas previews on its own page.
    with app.app_context():
        ideas_rule = next(r.id for r in service.ordered_rules() if r.source == "idea_created")
    saved = browser.get(f"/admin/rules/{ideas_rule}").get_data(as_text=True)
    assert "Preview: 1 signal of the last 30 days" in saved and "Refund button please" in saved


# --- the audit log ----------------------------------------------------------------------


def test_domain_staff_actions_are_logged(app, admin, staff, make_user):
    from voice.ideas import service as ideas
    from voice.markets import service as markets

    author = make_user()
    with app.app_context():
        idea_id = ideas.submit_idea(author, "Calendar sync", "").id
        ideas.change_status(staff, idea_id, "planned", "Next quarter.")
        market_id = markets.create_market(staff, "Will calendar sync ship?", ["Yes", "No"],
                                          liquidity=100).id
        yes = markets.get_market(market_id).outcomes[0].id
        markets.resolve_market(admin, market_id, yes, note="Shipped.")
        other_market = markets.create_market(staff, "Will it rain on launch day?",
                                             ["Yes", "No"], liquidity=100).id
        markets.void_market(admin, other_market, note="Bad question.")
    entries = log(app)
    assert (staff.id, "idea.status", "idea", idea_id, "open → planned: Next quarter.") in entries
    assert (admin.id, "market.resolve", "market", market_id, "resolved as Yes: Shipped.") \
        in entries
    assert (admin.id, "market.void", "market", other_market, "voided: Bad question.") in entries


def test_merges_are_logged(app, staff, make_user):
    from voice.ideas import service as ideas

    author = make_user()
    with app.app_context():
        keep = ideas.submit_idea(author, "Export to Excel", "").id
        dupe = ideas.submit_idea(author, "Excel export please", "").id
        ideas.merge_ideas(staff, dupe, keep)
    assert (staff.id, "idea.merge", "idea", dupe, f"merged into idea #{keep}") in log(app)


def test_staff_acted_is_logged_once(app, staff):
    with app.app_context():
        actor = db.session.get(User, staff.id)
        signals.staff_acted.send(actor, action="comment.hide", target_type="comment",
                                 target_id=7, detail="spam")
        signals.staff_acted.send(actor, action="idea.status", target_type="idea",
                                 target_id=3, detail="covered by idea_status_changed")
        db.session.commit()
    assert log(app) == [(staff.id, "comment.hide", "comment", 7, "spam")]


def test_the_log_page_filters_and_pages(app, login, admin, staff):
    with app.app_context():
        for number in range(3):
            audit.record(staff, "case.state", "case", number + 1, f"new → acknowledged {number}")
        audit.record(admin, "rule.create", "rule", 9, "a rule")
        db.session.commit()
    browser = login(staff)
    page = browser.get("/admin/audit?action=case").get_data(as_text=True)
    assert "3 entries match" in page and "rule.create" not in page.split("<tbody>")[1]
    by_actor = browser.get(f"/admin/audit?actor={admin.id}").get_data(as_text=True)
    assert "1 entries match" in by_actor
    paged = browser.get("/admin/audit?per_page=2").get_data(as_text=True)
    assert "Page 1 of 2" in paged
    one_case = browser.get("/admin/audit?target_type=case&target_id=2").get_data(as_text=True)
    assert "1 entries match" in one_case and "acknowledged 1" in one_case
    today = utcnow().date().isoformat()
    assert "4 entries match" in browser.get(
        f"/admin/audit?since={today}&until={today}").get_data(as_text=True)
    assert browser.get("/admin/audit?since=yesterday").status_code == 400
