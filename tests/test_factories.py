"""The test factories (tests/factories.py) make what they say, through the services."""

from __future__ import annotations

from sqlalchemy import inspect, select

from tests import factories
from voice.accounts.models import User
from voice.admin.models import Case, RoutingRule, TeamArea, TeamOwner
from voice.extensions import db
from voice.ideas.models import Comment, Idea
from voice.markets.models import Position


def test_outside_a_context_they_return_readable_detached_rows(app, staff, customer):
    area = factories.area("Mobile app")
    assert (area.slug, area.name) == ("mobile-app", "Mobile app")
    survey = factories.survey(staff, ["nps", "text"], anonymous=True)
    assert inspect(survey).detached and survey.anonymous and survey.status == "open"
    assert [(q.kind, q.required) for q in survey.questions] == [("nps", False), ("text", False)]
    response = factories.nps_response(staff, customer, score=9)
    assert inspect(response).detached and response.user_id == customer.id


def test_inside_a_context_they_use_the_callers_session(app, staff):
    with app.app_context():
        survey = factories.survey(staff)
        assert survey in db.session
        assert [q.kind for q in survey.questions] == [q["kind"] for q in factories.EVERY_KIND]
        factories.response(survey.id, factories.user(), factories.good_answers(survey))
        assert db.session.get(type(survey), survey.id, populate_existing=True).response_count == 1


def test_users_are_numbered_per_test(app):
    first, second = factories.user(), factories.user("staff", name="Sam")
    assert (first.email, first.display_name) == ("customer1@example.com", "Customer 1")
    assert (second.email, second.display_name, second.role) == ("staff2@example.com", "Sam",
                                                               "staff")
    with app.app_context():
        assert db.session.get(User, first.id).balance == 100_000  # the starting grant


def test_an_idea_with_votes_and_comments(app, customer, make_user):
    voters = [make_user(), make_user()]
    idea_id = factories.idea(customer, "Dark mode", area=factories.area().slug, voters=voters,
                             comments=[(voters[0], "Yes please"), (customer, "Thanks")])
    with app.app_context():
        idea = db.session.get(Idea, idea_id)
        assert (idea.title, idea.vote_count, idea.comment_count) == ("Dark mode", 2, 2)
        assert idea.area_id is not None
        assert [c.body for c in db.session.scalars(select(Comment).order_by(Comment.id))] == [
            "Yes please", "Thanks"]


def test_a_traded_market(app, staff, customer):
    market_id, (yes, no) = factories.market(staff, trades=[(customer, 0, 2_000_000),
                                                           (customer, 0, -500_000)])
    with app.app_context():
        position = db.session.scalar(select(Position).where(Position.user_id == customer.id))
        assert (position.market_id, position.outcome_id, position.shares) == (
            market_id, yes, 1_500_000)
        assert no != yes


def test_a_team_a_rule_and_a_case(app, admin, staff, customer):
    area = factories.area()
    team_id = factories.team(admin, "Billing", areas=[area.id], owners=[staff.email])
    rule_id = factories.rule(admin, name="Refunds", source="comment", team_id=team_id,
                             keywords="refund")
    case_id = factories.case(customer_id=customer.id, team_id=team_id)
    with app.app_context():
        assert db.session.scalar(select(TeamArea.team_id).where(TeamArea.area_id == area.id)) \
            == team_id
        assert db.session.scalar(select(TeamOwner.user_id)) == staff.id
        rule = db.session.get(RoutingRule, rule_id)
        assert (rule.priority, rule.sla_hours, rule.enabled) == ("normal", 24, True)
        case = db.session.get(Case, case_id)
        assert (case.team_id, case.customer_id, case.state) == (team_id, customer.id, "new")
