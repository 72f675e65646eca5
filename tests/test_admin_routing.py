"""End to end: each source, caused through the domain services, opens a case in the right
team with the right due time, in the same transaction as the event."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from voice.admin import routing, service
from voice.admin.models import Case, RoutingRule, Team
from voice.admin.rules import Signal
from voice.clock import utcnow
from voice.extensions import db


def cases(app) -> list[Case]:
    with app.app_context():
        rows = list(db.session.scalars(select(Case).order_by(Case.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


@pytest.fixture
def world(app, make_user):
    """Areas billing and mobile; teams Billing (owns billing) and Mobile (owns mobile)."""
    admin = make_user("admin")
    with app.app_context():
        service.ensure_defaults()
        billing_area = factories.area("Billing")
        mobile_area = factories.area("Mobile app")
        factories.area("Docs")
        billing = factories.team(admin, "Billing", areas=[billing_area.id])
        mobile = factories.team(admin, "Mobile", areas=[mobile_area.id])
        platform = factories.team(admin, "Platform")
        triage = service.triage_team()
        return {"admin": admin, "billing": billing, "mobile": mobile,
                "platform": platform, "triage": triage.id}


def test_defaults_are_created_once(app, admin):
    with app.app_context():
        first = service.ensure_defaults()
        again = service.ensure_defaults()
        assert first.id == again.id and first.name == "Triage" and first.is_triage
        rules = service.ordered_rules()
        assert [(r.source, r.question_kind, r.score_min, r.score_max, r.sla_hours,
                 r.to_area_team, r.team_id) for r in rules] == [
            ("survey_response", "nps", None, 6, 48, False, first.id),
            ("survey_response", "csat", None, 2, 48, False, first.id),
            ("survey_response", "ces", 6, None, 48, False, first.id),
            ("idea_created", None, None, None, 120, True, None),
        ]
        assert db.session.scalar(select(func.count(Team.id))) == 1


def test_the_first_signal_of_a_fresh_installation_creates_the_defaults(app, customer):
    from voice.ideas import service as ideas

    with app.app_context():
        idea_id = ideas.submit_idea(customer, "Export to CSV", "Please add an export.").id
    [case] = cases(app)
    with app.app_context():
        triage = service.triage_team()
        assert db.session.scalar(select(func.count(RoutingRule.id))) == 4
    assert (case.source_type, case.source_id, case.team_id) == ("idea", idea_id, triage.id)


def test_new_idea_goes_to_the_team_of_its_area_with_a_five_day_sla(app, world, customer):
    from voice.ideas import service as ideas

    with app.app_context():
        idea = ideas.submit_idea(customer, "Pay by invoice", "Monthly invoices please.",
                                 area_slug="billing")
        created_at, idea_id = idea.created_at, idea.id
    [case] = cases(app)
    assert case.source_type == "idea" and case.source_id == idea_id
    assert case.team_id == world["billing"]
    assert case.due_at == created_at + timedelta(days=5)
    assert case.customer_id == customer.id
    assert case.state == "new" and case.title == "Pay by invoice"
    assert case.link == f"/ideas/{idea_id}"


@pytest.mark.parametrize("area", [None, "docs"])
def test_new_idea_without_a_team_goes_to_triage(app, world, customer, area):
    from voice.ideas import service as ideas

    with app.app_context():
        ideas.submit_idea(customer, "Better docs search", "Search is weak.", area_slug=area)
    [case] = cases(app)
    assert case.team_id == world["triage"]


def test_an_idea_crossing_its_vote_threshold_opens_one_case(app, world, make_user):
    from voice.ideas import service as ideas

    rule_id = factories.rule(world["admin"], name="Popular ideas", source="idea_votes",
                             vote_threshold=3, to_area_team=True, sla_hours=72, priority="high")
    author = make_user()
    with app.app_context():
        idea_id = ideas.submit_idea(author, "Offline mode", "Works on the train.",
                                    area_slug="mobile-app").id
    voters = [make_user() for _ in range(4)]
    moments = []
    for voter in voters:
        with app.app_context():
            before = utcnow()
            ideas.cast_vote(voter, idea_id)
            moments.append((before, utcnow()))
    popular = [c for c in cases(app) if c.rule_id == rule_id]
    assert len(popular) == 1
    case = popular[0]
    assert case.team_id == world["mobile"] and case.priority == "high"
    assert case.reason == "passed 3 votes"
    low, high = moments[2]  # the third vote crossed it
    assert low + timedelta(hours=72) <= case.due_at <= high + timedelta(hours=72)


def test_a_comment_with_a_keyword_goes_to_billing(app, world, customer, staff):
    from voice.ideas import service as ideas

    rule_id = factories.rule(world["admin"], name="Refunds", source="comment",
                             team_id=world["billing"], keywords="refund, charged twice",
                             sla_hours=24)
    with app.app_context():
        idea_id = ideas.submit_idea(customer, "Cheaper plans", "", area_slug="docs").id
        ideas.add_comment(customer, idea_id, "Nice idea, +1")
        loud = ideas.add_comment(customer, idea_id, "I was CHARGED TWICE, I want a refund")
        loud_id, loud_at = loud.id, loud.created_at
        ideas.add_comment(staff, idea_id, "We will look at refunds.")  # staff: not routed
    comment_cases = [c for c in cases(app) if c.source_type == "comment"]
    assert [(c.source_id, c.team_id, c.rule_id) for c in comment_cases] == [
        (loud_id, world["billing"], rule_id)]
    assert comment_cases[0].due_at == loud_at + timedelta(hours=24)


@pytest.mark.parametrize(
    ("kind", "value", "routed"),
    [("nps", 3, True), ("nps", 6, True), ("nps", 7, False), ("nps", 10, False),
     ("csat", 1, True), ("csat", 2, True), ("csat", 3, False),
     ("ces", 6, True), ("ces", 7, True), ("ces", 5, False)],
)
def test_survey_scores_route_to_triage_with_48_hours(app, world, staff, make_user, kind, value,
                                                     routed):
    survey = factories.survey(staff, [kind, "text"])
    survey_id, [score_q, text_q] = survey.id, [q.id for q in survey.questions]
    customer = make_user()
    response = factories.response(survey_id, customer,
                                  {score_q: value, text_q: "Support never answered."})
    response_id, created_at = response.id, response.created_at
    found = [c for c in cases(app) if c.source_type == "survey_response"]
    if not routed:
        assert found == []
        return
    [case] = found
    assert (case.source_id, case.team_id, case.priority) == (response_id, world["triage"],
                                                             "high")
    assert case.due_at == created_at + timedelta(hours=48)
    assert case.customer_id == customer.id
    assert case.reason == f"{kind.upper()} {value}"
    assert case.excerpt == "Support never answered."


def test_an_anonymous_detractor_has_no_customer(app, world, staff, customer):
    from voice.surveys import service as surveys

    survey = factories.survey(staff, ["nps"], anonymous=True)
    survey_id, [nps_q] = survey.id, [q.id for q in survey.questions]
    with app.app_context():
        token = surveys.response_token(survey_id)
    factories.response(survey_id, None, {nps_q: 0}, anonymous_token=token)
    [case] = cases(app)
    assert case.customer_id is None and case.team_id == world["triage"]


def test_a_market_moving_sharply_opens_a_case(app, world, staff, make_user):
    from voice.ideas import service as ideas
    from voice.markets import service as markets

    rule_id = factories.rule(world["admin"], name="Sharp moves", source="market_move",
                             move_points=10, to_area_team=True, sla_hours=24, priority="urgent")
    trader = make_user()
    with app.app_context():
        idea = ideas.submit_idea(trader, "Dark mode", "", area_slug="mobile-app")
        market_id = markets.create_market(staff, "Will dark mode ship by June?", ["Yes", "No"],
                                          liquidity=100, idea_id=idea.id).id
        yes = markets.get_market(market_id).outcomes[0].id
        markets.trade(trader.id, market_id, yes, spend=100)  # 1 point: a nudge
    assert [c for c in cases(app) if c.source_type == "market"] == []
    with app.app_context():
        before = utcnow()
        markets.trade(trader.id, market_id, yes, spend=5000)  # 50 points: a jump
        after = utcnow()
    [case] = [c for c in cases(app) if c.source_type == "market"]
    assert (case.source_id, case.team_id, case.rule_id) == (market_id, world["mobile"], rule_id)
    assert case.customer_id is None and case.priority == "urgent"
    assert before + timedelta(hours=24) <= case.due_at <= after + timedelta(hours=24)
    assert case.reason.startswith("moved ")


def test_the_same_event_never_opens_two_cases(app, world, customer):
    from voice.ideas import service as ideas

    with app.app_context():
        idea_id = ideas.submit_idea(customer, "Single sign-on", "", area_slug="billing").id
    with app.app_context():
        from voice.ideas.models import Idea

        again = routing.route(routing.idea_signal(db.session.get(Idea, idea_id)))
        db.session.commit()
        assert again is None
    assert len(cases(app)) == 1


def test_a_disabled_rule_routes_nothing(app, world, customer):
    from voice.ideas import service as ideas

    with app.app_context():
        for row in service.ordered_rules():
            if row.source == "idea_created":
                values = {name: getattr(row, name) for name in service.RULE_FIELDS}
                values["enabled"] = False
                service.update_rule(world["admin"], row.id, values)
        ideas.submit_idea(customer, "Nothing routes this", "")
    assert cases(app) == []


def test_routing_rolls_back_with_the_event(app, world, customer):
    """The case is written in the sender's transaction: no event, no case."""
    from voice.database import write_transaction
    from voice.ideas import service as ideas

    with app.app_context(), pytest.raises(RuntimeError), write_transaction():
        ideas.submit_idea(customer, "Rolled back idea", "")
        raise RuntimeError("the request failed after the idea")
    assert cases(app) == []


def test_first_matching_rule_wins_in_order(app, world, staff, customer):
    """A catch-all for survey responses placed first takes detractors from triage."""
    rule_id = factories.rule(world["admin"], name="All responses to Platform",
                             source="survey_response", team_id=world["platform"], sla_hours=10)
    with app.app_context():
        for _ in range(6):
            service.move_rule(world["admin"], rule_id, "up")
        assert service.ordered_rules()[0].id == rule_id
    survey = factories.survey(staff, ["nps"])
    factories.response(survey.id, customer, {survey.questions[0].id: 2})
    [case] = cases(app)
    assert (case.team_id, case.rule_id) == (world["platform"], rule_id)


def test_routing_a_plain_signal_directly(app, world):
    """The engine behind the subscribers, driven with a hand-made signal."""
    now = utcnow()
    with app.app_context():
        case = routing.route(Signal(source="idea_created", source_id=999, occurred_at=now,
                                    area_id=None, title="Made by hand"))
        db.session.commit()
        assert case.team_id == world["triage"]
        assert case.due_at == now + timedelta(hours=120)
