"""The pure routing engine on its own: no app, no database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice.admin.rules import (
    Routing,
    Rule,
    Score,
    Signal,
    decide,
    match,
    parse_keywords,
    preview,
    target_team,
    validate,
)

T0 = datetime(2026, 3, 2, 9, 30)
TRIAGE, BILLING, MOBILE = 1, 2, 3
ROUTING = Routing(fallback_team_id=TRIAGE, area_teams={10: BILLING, 11: MOBILE})

# The defaults a fresh installation ships (voice.admin.service.DEFAULT_RULES).
NPS = Rule(id=1, source="survey_response", team_id=TRIAGE, question_kind="nps", score_max=6,
           sla_hours=48, priority="high")
CSAT = Rule(id=2, source="survey_response", team_id=TRIAGE, question_kind="csat", score_max=2,
            sla_hours=48, priority="high")
CES = Rule(id=3, source="survey_response", team_id=TRIAGE, question_kind="ces", score_min=6,
           sla_hours=48, priority="high")
IDEAS = Rule(id=4, source="idea_created", to_area_team=True, sla_hours=120)
DEFAULTS = [NPS, CSAT, CES, IDEAS]


def response(*scores: tuple[str, float], text: str = "", survey_id: int = 5,
             area_id: int | None = None) -> Signal:
    return Signal(source="survey_response", source_id=99, occurred_at=T0, survey_id=survey_id,
                  area_id=area_id, text=text,
                  scores=tuple(Score(kind, value) for kind, value in scores))


@pytest.mark.parametrize("value", range(0, 11))
def test_nps_detractors_are_0_to_6(value):
    decision = decide(DEFAULTS, response(("nps", value)), ROUTING)
    if value <= 6:
        assert decision is not None
        assert (decision.rule_id, decision.team_id) == (1, TRIAGE)
        assert decision.due_at == datetime(2026, 3, 4, 9, 30)  # 48 hours later
        assert decision.reason == f"NPS {value}"
    else:
        assert decision is None


@pytest.mark.parametrize("value", range(1, 6))
def test_csat_1_and_2_only(value):
    decision = decide(DEFAULTS, response(("csat", value)), ROUTING)
    assert (decision is not None) == (value <= 2)
    if decision:
        assert decision.rule_id == 2


@pytest.mark.parametrize("value", range(1, 8))
def test_ces_6_and_7_only(value):
    decision = decide(DEFAULTS, response(("ces", value)), ROUTING)
    assert (decision is not None) == (value >= 6)
    if decision:
        assert decision.rule_id == 3


def test_a_response_matching_two_rules_goes_to_the_first():
    decision = decide(DEFAULTS, response(("csat", 1), ("nps", 2)), ROUTING)
    assert decision.rule_id == 1
    later_first = decide([CSAT, NPS], response(("csat", 1), ("nps", 2)), ROUTING)
    assert later_first.rule_id == 2


def test_any_answer_of_the_kind_may_match():
    # Two NPS questions: the second is a detractor.
    assert decide(DEFAULTS, response(("nps", 9), ("nps", 4)), ROUTING).rule_id == 1


def test_a_score_of_another_kind_does_not_match():
    assert decide(DEFAULTS, response(("rating", 1), ("csat", 4)), ROUTING) is None


def test_a_response_without_scores_matches_no_score_rule():
    assert decide(DEFAULTS, response(text="it is all broken"), ROUTING) is None


def test_score_between_bounds_inclusive():
    passives = Rule(id=7, source="survey_response", team_id=BILLING, question_kind="nps",
                    score_min=7, score_max=8)
    assert [value for value in range(11) if match(passives, response(("nps", value)))] == [7, 8]


def idea(area_id: int | None, text: str = "Dark mode please") -> Signal:
    return Signal(source="idea_created", source_id=3, occurred_at=T0, area_id=area_id, text=text)


@pytest.mark.parametrize(("area_id", "team"), [(10, BILLING), (11, MOBILE), (12, TRIAGE),
                                               (None, TRIAGE)])
def test_new_ideas_go_to_the_team_of_their_area_else_triage(area_id, team):
    decision = decide(DEFAULTS, idea(area_id), ROUTING)
    assert decision.team_id == team
    assert decision.due_at == T0 + timedelta(days=5)
    assert decision.priority == "normal"


def test_disabled_rules_are_skipped():
    off = Rule(id=9, source="idea_created", team_id=MOBILE, enabled=False)
    assert decide([off, IDEAS], idea(10), ROUTING).rule_id == 4
    assert decide([off], idea(10), ROUTING) is None


def test_area_condition():
    billing_only = Rule(id=8, source="idea_created", team_id=BILLING, area_id=10)
    assert match(billing_only, idea(10)) is not None
    assert match(billing_only, idea(11)) is None
    assert match(billing_only, idea(None)) is None


def test_survey_condition():
    one_survey = Rule(id=8, source="survey_response", team_id=BILLING, survey_id=5)
    assert match(one_survey, response(survey_id=5)) is not None
    assert match(one_survey, response(survey_id=6)) is None


@pytest.mark.parametrize(
    ("text", "hit"),
    [
        ("My BILL is wrong", True),
        ("billing page crashes", True),
        ("please rebill me", False),
        ("refund-now", True),
        ("nothing to see", False),
        ("", False),
    ],
)
def test_keywords_match_case_insensitively_at_a_word_start(text, hit):
    rule = Rule(id=8, source="comment", team_id=BILLING, keywords=("bill", "refund"))
    signal = Signal(source="comment", source_id=1, occurred_at=T0, text=text)
    assert (match(rule, signal) is not None) == hit


def test_keyword_and_score_must_both_hold():
    rule = Rule(id=8, source="survey_response", team_id=BILLING, question_kind="nps",
                score_max=6, keywords=("invoice",))
    assert match(rule, response(("nps", 3), text="the invoice was late")) == (
        "NPS 3, mentions 'invoice'")
    assert match(rule, response(("nps", 3), text="slow app")) is None
    assert match(rule, response(("nps", 9), text="the invoice was late")) is None


def test_a_rule_of_another_source_never_matches():
    assert match(IDEAS, response(("nps", 0))) is None
    assert match(NPS, idea(10)) is None


def votes(count: int, previous: int | None = None) -> Signal:
    return Signal(source="idea_votes", source_id=3, occurred_at=T0, area_id=10,
                  vote_count=count, previous_vote_count=previous)


def test_vote_threshold_fires_once_when_crossed():
    rule = Rule(id=5, source="idea_votes", to_area_team=True, vote_threshold=10, sla_hours=72)
    fired = [count for count in range(1, 20) if match(rule, votes(count)) is not None]
    assert fired == [10]
    decision = decide([rule], votes(10), ROUTING)
    assert decision.team_id == BILLING
    assert decision.reason == "passed 10 votes"
    assert decision.due_at == T0 + timedelta(hours=72)


def test_vote_threshold_with_a_jump_and_after_an_unvote():
    rule = Rule(id=5, source="idea_votes", team_id=BILLING, vote_threshold=10)
    assert match(rule, votes(12, previous=8)) is not None  # a merge moved 4 votes at once
    assert match(rule, votes(10, previous=10)) is None  # no crossing
    assert match(rule, votes(9, previous=10)) is None  # going down never fires


def trade(before: tuple[float, ...], after: tuple[float, ...]) -> Signal:
    return Signal(source="market_move", source_id=4, occurred_at=T0, prices_before=before,
                  prices_after=after)


@pytest.mark.parametrize(
    ("before", "after", "hit"),
    [
        ((0.5, 0.5), (0.69, 0.31), False),
        ((0.5, 0.5), (0.70, 0.30), True),  # reaching the threshold counts
        ((0.69, 0.31), (0.71, 0.29), True),
        ((0.71, 0.29), (0.80, 0.20), False),  # already above: no crossing
        ((0.50, 0.50), (0.25, 0.75), True),  # No became likely
        ((0.80, 0.20), (0.60, 0.40), False),  # falling through does not fire
    ],
)
def test_market_probability_crossing(before, after, hit):
    rule = Rule(id=6, source="market_move", team_id=MOBILE, probability_threshold=0.7)
    assert (match(rule, trade(before, after)) is not None) == hit


@pytest.mark.parametrize(
    ("before", "after", "hit"),
    [
        ((0.5, 0.5), (0.59, 0.41), False),
        ((0.5, 0.5), (0.6, 0.4), True),  # exactly 10 points, despite floating error
        ((0.3, 0.7), (0.2, 0.8), True),
        ((0.2, 0.3, 0.5), (0.45, 0.25, 0.30), True),  # 25 points on a three-way market
        ((0.5, 0.5), (0.5, 0.5), False),
    ],
)
def test_market_move_in_points(before, after, hit):
    rule = Rule(id=6, source="market_move", team_id=MOBILE, move_points=10)
    assert (match(rule, trade(before, after)) is not None) == hit


def test_market_rule_with_both_conditions_fires_on_either():
    rule = Rule(id=6, source="market_move", team_id=MOBILE, probability_threshold=0.9,
                move_points=20)
    assert match(rule, trade((0.88, 0.12), (0.91, 0.09))) == "outcome 1 rose past 90 % (91 %)"
    assert match(rule, trade((0.3, 0.7), (0.55, 0.45))) == "moved 25 points in one trade"
    assert match(rule, trade((0.3, 0.7), (0.35, 0.65))) is None


def test_a_market_signal_without_prices_never_matches():
    rule = Rule(id=6, source="market_move", team_id=MOBILE, move_points=1)
    assert match(rule, trade((), ())) is None
    assert match(rule, trade((0.5, 0.5), (1.0,))) is None


def test_target_team_of_a_fixed_rule_ignores_the_area():
    rule = Rule(id=8, source="idea_created", team_id=MOBILE)
    assert target_team(rule, idea(10), ROUTING) == MOBILE


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"team_id": None}, "team_id"),
        ({"team_id": 77}, "team_id"),
        ({"to_area_team": True}, "team_id"),  # both a team and the area's team
        ({"source": "tweets"}, "source"),
        ({"priority": "asap"}, "priority"),
        ({"sla_hours": 0}, "sla_hours"),
        ({"sla_hours": 24 * 366}, "sla_hours"),
        ({"question_kind": "text"}, "question_kind"),
        ({"score_max": 11}, "score_max"),
        ({"score_min": -1}, "score_min"),
        ({"score_min": 5, "score_max": 3}, "score_max"),
        ({"question_kind": None, "score_max": 3}, "question_kind"),
        ({"vote_threshold": 5}, "vote_threshold"),
        ({"probability_threshold": 0.5}, "probability_threshold"),
        ({"keywords": tuple(f"w{i}" for i in range(21))}, "keywords"),
        ({"area_id": 404}, "area_id"),
    ],
)
def test_validation_names_the_field(changes, field):
    base = {"id": 1, "source": "survey_response", "team_id": TRIAGE, "question_kind": "nps",
            "score_max": 6}
    rule = Rule(**{**base, **changes})
    problems = validate(rule, team_ids=[TRIAGE, BILLING], area_ids=[10, 11])
    assert field in [problem.field for problem in problems]


def test_valid_rules_have_no_problems():
    for rule in [*DEFAULTS, Rule(id=5, source="idea_votes", team_id=1, vote_threshold=25),
                 Rule(id=6, source="market_move", team_id=1, probability_threshold=0.75),
                 Rule(id=7, source="comment", team_id=1, keywords=("crash",), area_id=10)]:
        assert validate(rule, team_ids=[TRIAGE], area_ids=[10]) == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"source": "idea_votes"}, "vote_threshold"),
        ({"source": "idea_votes", "vote_threshold": 0}, "vote_threshold"),
        ({"source": "market_move"}, "probability_threshold"),
        ({"source": "market_move", "probability_threshold": 1.0}, "probability_threshold"),
        ({"source": "market_move", "probability_threshold": 0.0}, "probability_threshold"),
        ({"source": "market_move", "move_points": 0}, "move_points"),
        ({"source": "market_move", "move_points": 101}, "move_points"),
        ({"source": "comment", "survey_id": 3}, "question_kind"),
    ],
)
def test_source_specific_conditions(changes, field):
    rule = Rule(**{"id": 1, "team_id": TRIAGE, **changes})
    assert field in [problem.field for problem in validate(rule, team_ids=[TRIAGE])]


def test_parse_keywords():
    assert parse_keywords(" Bill, refund\nRefund ,,  late   fee ") == ("bill", "refund",
                                                                       "late fee")
    assert parse_keywords("") == ()


def test_preview_lists_matches_and_who_wins_them():
    catch_all = Rule(id=20, source="survey_response", team_id=BILLING, enabled=False)
    signals = [response(("nps", 2)), response(("nps", 9)), idea(10)]
    rows = preview(catch_all, [*DEFAULTS, catch_all], signals)
    assert [(row.signal.scores[0].value, row.won_by) for row in rows] == [(2, 1), (9, 20)]
    # A new rule (not yet in the list) is previewed as if it came last.
    rows = preview(Rule(id=0, source="idea_created", team_id=BILLING), DEFAULTS, signals)
    assert [(row.signal.source, row.won_by) for row in rows] == [("idea_created", 4)]


rules_strategy = st.lists(
    st.builds(
        Rule,
        id=st.integers(1, 1000),
        source=st.just("survey_response"),
        team_id=st.sampled_from([TRIAGE, BILLING, MOBILE]),
        enabled=st.booleans(),
        question_kind=st.sampled_from(["nps", "csat"]),
        score_min=st.one_of(st.none(), st.integers(0, 10)),
        score_max=st.one_of(st.none(), st.integers(0, 10)),
    ),
    max_size=8,
)


@given(rules_strategy, st.integers(0, 10), st.sampled_from(["nps", "csat"]))
def test_decide_is_the_first_enabled_match(rules, value, kind):
    signal = response((kind, value))
    decision = decide(rules, signal, ROUTING)
    expected = next(
        (rule for rule in rules if rule.enabled and rule.question_kind == kind
         and (rule.score_min is None or value >= rule.score_min)
         and (rule.score_max is None or value <= rule.score_max)),
        None,
    )
    if expected is None:
        assert decision is None
    else:
        assert decision.rule_id == expected.id and decision.team_id == expected.team_id
