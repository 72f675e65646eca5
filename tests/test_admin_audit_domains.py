"""Staff actions on surveys and markets reach the audit log, in their own transaction."""

from __future__ import annotations

from sqlalchemy import select

from voice.admin.models import AuditEntry
from voice.extensions import db
from voice.markets import service as markets
from voice.surveys import service as surveys


def audit_actions(app) -> list[tuple[str, str, int]]:
    with app.app_context():
        rows = db.session.execute(
            select(AuditEntry.action, AuditEntry.target_type, AuditEntry.target_id)
            .order_by(AuditEntry.id)
        )
        return [tuple(row) for row in rows]


def test_survey_actions_are_audited(app, staff):
    with app.app_context():
        survey = surveys.create_survey(staff, "Quarterly NPS", questions=[
            {"kind": "nps", "prompt": "How likely are you to recommend us?"}])
        survey_id = survey.id
        surveys.publish_survey(staff, survey_id)
        surveys.close_survey(staff, survey_id)
        copy_id = surveys.duplicate_survey(staff, survey_id).id
    assert audit_actions(app) == [
        ("survey.create", "survey", survey_id),
        ("survey.publish", "survey", survey_id),
        ("survey.close", "survey", survey_id),
        ("survey.duplicate", "survey", copy_id),
    ]


def test_market_creation_and_edit_are_audited(app, staff):
    with app.app_context():
        market = markets.create_market(staff, "Will offline mode ship by March?",
                                       ["Yes", "No"], liquidity=100)
        market_id = market.id
        markets.edit_market(staff, market_id, question="Will offline mode ship by April?",
                            outcomes=["Yes", "No"])
    assert audit_actions(app) == [("market.create", "market", market_id),
                                  ("market.edit", "market", market_id)]


def test_a_refused_action_leaves_no_audit_row(app, staff):
    with app.app_context():
        survey = surveys.create_survey(staff, "Draft survey")
        try:
            surveys.publish_survey(staff, survey.id)  # no questions: refused
        except Exception as error:  # noqa: BLE001
            assert getattr(error, "code", "") == "no_questions"
    assert [a for a, _, _ in audit_actions(app)] == ["survey.create"]
