"""Survey statistics against values computed by hand; the scales and the answer checks
(the pure cores voice.surveys.scales and voice.surveys.answers), exhaustively."""

from __future__ import annotations

import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from voice.surveys import answers, scales, stats


def test_nps_of_a_hundred_answers_with_its_adjusted_wald_interval():
    # 50 promoters, 30 passives, 20 detractors: NPS = 50% - 20% = 30.
    # Adjusted Wald (MeasuringU, after Rocks 2016): n + 3 = 103 answers, promoters and
    # detractors + 3/4 each: p = 50.75 / 103 = 0.492718, d = 20.75 / 103 = 0.201456;
    # centre p - d = 0.291262; var = p + d - (p - d)^2 = 0.694175 - 0.084834 = 0.609341
    # MoE = 1.96 * sqrt(0.609341 / 103) = 1.96 * 0.076915 = 0.150754
    # interval 29.126 -/+ 15.075 = 14.051 .. 44.202 (the plain Wald said +/- 15.308)
    counts = [0] * 11
    counts[10], counts[9] = 30, 20
    counts[8], counts[7] = 20, 10
    counts[6], counts[0] = 15, 5
    result = stats.nps(counts)
    assert (result.n, result.promoters, result.passives, result.detractors) == (100, 50, 30, 20)
    assert result.score == pytest.approx(30.0)
    assert result.low == pytest.approx(14.051, abs=0.001)
    assert result.high == pytest.approx(44.202, abs=0.001)
    assert result.margin_of_error == pytest.approx(15.075, abs=0.001)


def test_nps_of_six_answers_from_raw_scores():
    # 10, 9 promote; 8, 7 are passive; 6, 0 detract: NPS 0.
    # n + 3 = 9; p = d = 2.75 / 9 = 0.305556; var = 0.611111; 1.96 * sqrt(0.611111 / 9)
    # = 1.96 * 0.260577 = 0.510731: the interval is -51.073 .. 51.073
    counts = stats.counts_of([10, 9, 8, 7, 6, 0], 0, 10)
    assert counts.tolist() == [1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    result = stats.nps(counts)
    assert result.score == pytest.approx(0.0)
    assert (result.low, result.high) == (pytest.approx(-51.073, abs=0.001),
                                         pytest.approx(51.073, abs=0.001))
    assert result.margin_of_error == pytest.approx(51.073, abs=0.001)


def test_two_answers_no_longer_claim_more_than_the_scale():
    # The "NPS 0.0 +/- 138.6": one promoter, one detractor. n + 3 = 5;
    # p = d = 1.75 / 5 = 0.35; var = 0.7; 1.96 * sqrt(0.7 / 5) = 1.96 * 0.374166 = 0.733365
    result = stats.nps([1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
    assert result.score == 0.0
    assert result.low == pytest.approx(-73.336, abs=0.001)
    assert result.high == pytest.approx(73.336, abs=0.001)
    assert result.margin_of_error == pytest.approx(73.336, abs=0.001)


def test_one_answer_and_unanimous_answers_keep_a_spread_inside_the_scale():
    # One promoter: n + 3 = 4; p = 1.75 / 4 = 0.4375, d = 0.75 / 4 = 0.1875; centre 0.25;
    # var = 0.625 - 0.0625 = 0.5625; 1.96 * sqrt(0.5625 / 4) = 1.96 * 0.375 = 0.735
    one = stats.nps([0] * 10 + [1])
    assert one.score == 100.0
    assert (one.low, one.high) == (pytest.approx(-48.5), pytest.approx(98.5))
    assert one.margin_of_error == pytest.approx(73.5)
    # Seven promoters: n + 3 = 10; p = 0.775, d = 0.075; centre 0.7; var = 0.85 - 0.49
    # = 0.36; 1.96 * sqrt(0.036) = 0.371884: 32.812 .. 107.188, cut at 100; half width
    # (100 - 32.812) / 2 = 33.594
    everyone_promotes = stats.nps([0] * 9 + [3, 4])
    assert everyone_promotes.score == 100.0
    assert everyone_promotes.low == pytest.approx(32.812, abs=0.001)
    assert everyone_promotes.high == 100.0
    assert everyone_promotes.margin_of_error == pytest.approx(33.594, abs=0.001)
    # Three detractors: n + 3 = 6; p = 0.125, d = 0.625; centre -0.5; var = 0.75 - 0.25
    # = 0.5; 1.96 * sqrt(0.5 / 6) = 0.565803: -106.580 .. 6.580, cut at -100
    everyone_detracts = stats.nps([2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
    assert everyone_detracts.score == -100.0
    assert everyone_detracts.low == -100.0
    assert everyone_detracts.high == pytest.approx(6.580, abs=0.001)


@given(st.lists(st.integers(min_value=0, max_value=400), min_size=11, max_size=11))
def test_the_interval_stays_on_the_scale_and_is_never_zero_width(counts):
    result = stats.nps(counts)
    if sum(counts) == 0:
        assert result.low is None and result.high is None and result.margin_of_error is None
        return
    assert -100.0 <= result.low < result.high <= 100.0
    assert result.margin_of_error == pytest.approx((result.high - result.low) / 2)
    assert result.margin_of_error > 0


def test_fewer_than_thirty_answers_read_with_care():
    assert stats.FEW_ANSWERS == 30
    assert [stats.read_with_care(n) for n in (0, 1, 29, 30, 31)] == [
        False, True, True, False, False]


def test_display_rounding_takes_exact_halves_up_as_formbricks_and_surveyjs_do():
    # Python's round() gives 12.2 for 12.25 (the float is exactly 12.25: ties to even)
    assert stats.round_half_up(12.25, 1) == 12.3
    assert stats.round_half_up(0.125, 2) == 0.13
    assert stats.round_half_up(2.5, 0) == 3.0
    assert stats.round_half_up(-12.25, 1) == -12.3  # halves away from zero, symmetric
    assert stats.round_half_up(1.005, 2) == 1.01  # as printed, not 1.00499999...
    assert stats.round_half_up(33.33333, 1) == 33.3
    assert stats.round_half_up(None, 1) is None


def test_nps_without_answers_has_no_score():
    result = stats.nps(np.zeros(11))
    assert result.n == 0 and result.score is None and result.margin_of_error is None


def test_margin_of_error_matches_the_variance_of_plus_one_zero_minus_one():
    # the plain Wald margin: the adjusted interval applies it to the adjusted shares
    # The per-respondent value +1/0/-1 of 7 promoters, 2 passives, 1 detractor:
    values = np.array([1] * 7 + [0] * 2 + [-1])
    direct = 1.96 * math.sqrt(values.var() / values.size) * 100  # population variance
    assert stats.nps_margin_of_error(0.7, 0.1, 10) == pytest.approx(direct)
    # by hand: var = 0.8 - 0.36 = 0.44; 1.96 * sqrt(0.044) * 100 = 41.113
    assert stats.nps_margin_of_error(0.7, 0.1, 10) == pytest.approx(41.113, abs=0.001)


def test_csat_is_the_share_of_fours_and_fives():
    assert stats.csat([1, 1, 2, 3, 3]) == pytest.approx(60.0)  # 6 of 10
    assert stats.csat([0, 0, 0, 0, 0]) is None
    assert stats.csat([0, 0, 0, 0, 7]) == 100.0


def test_mean_is_weighted_by_the_counts():
    # CES answers: 1 x1, 2 x3, 7 x1 -> (1 + 6 + 7) / 5 = 2.8
    assert stats.mean(range(1, 8), [1, 3, 0, 0, 0, 0, 1]) == pytest.approx(2.8)
    assert stats.mean([1, 2], [0, 0]) is None


def test_shares_and_series():
    assert stats.shares([1, 3]).tolist() == [25.0, 75.0]
    assert stats.shares([0, 0]).tolist() == [0.0, 0.0]
    weeks = [[0] * 10 + [2], [1] + [0] * 10]
    assert [point.score for point in stats.nps_series(weeks)] == [100.0, -100.0]


def test_bad_inputs_are_refused():
    with pytest.raises(ValueError):
        stats.nps([1, 2, 3])
    with pytest.raises(ValueError):
        stats.csat([1] * 7)
    with pytest.raises(ValueError):
        stats.counts_of([11], 0, 10)


# --- scales: the one home of the ranges and bands ------------------------------------------


def test_scales_and_their_bands():
    assert scales.SCALES == {"nps": (0, 10), "csat": (1, 5), "ces": (1, 7), "rating": (1, 5)}
    assert [scales.band_of("nps", s).name for s in range(11)] == (
        ["detractor"] * 7 + ["passive"] * 2 + ["promoter"] * 2)
    assert [scales.band_of("csat", s).name for s in range(1, 6)] == [
        "dissatisfied", "dissatisfied", "neutral", "satisfied", "satisfied"]
    assert scales.band_of("nps", 11) is None and scales.band_of("ces", 7) is None
    for kind, bands in scales.BANDS.items():  # the bands tile their scale exactly
        covered = sorted(s for band in bands for s in range(band.low, band.high + 1))
        assert covered == list(scales.scale_values(kind)), kind
    assert [band.label for band in scales.NPS_BANDS] == [
        "Promoters (9–10)", "Passives (7–8)", "Detractors (0–6)"]
    assert scales.KIND_LABELS["nps"] == "Net Promoter Score (0–10)"
    assert scales.KIND_LABELS["rating"] == "Rating (1–5 stars)"
    assert len(scales.CSAT_WORDS) == len(scales.scale_values("csat"))
    assert set(scales.KINDS) == {*scales.SCALE_KINDS, *scales.CHOICE_KINDS, scales.TEXT_KIND}
    assert scales.scale_of("text") is None and not scales.is_scale("single_choice")


def test_stats_follow_the_bands():
    # one answer per score: detractors 0-6 (7), passives 7-8 (2), promoters 9-10 (2)
    result = stats.nps([1] * 11)
    assert (result.detractors, result.passives, result.promoters) == (7, 2, 2)
    assert stats.csat([1] * 5) == pytest.approx(40.0)  # 4 and 5 of 1..5


# --- answers: what each kind accepts --------------------------------------------------------


OFFERED = ["Free", "Pro", "Team"]


@pytest.mark.parametrize("kind", ["nps", "csat", "ces", "rating"])
def test_a_scale_takes_every_whole_number_on_it_and_nothing_else(kind):
    low, high = scales.SCALES[kind]
    for score in range(low - 3, high + 4):
        if low <= score <= high:
            assert answers.accept(kind, [], score) == answers.Accepted(number=score)
        else:
            with pytest.raises(answers.Refused) as refused:
                answers.accept(kind, [], score)
            assert str(refused.value) == f"Choose a whole number from {low} to {high}."
    for bad in (True, False, float(low), str(low), [low], None):
        with pytest.raises(answers.Refused):
            answers.accept(kind, [], bad)


def test_choices_and_text():
    assert answers.accept("single_choice", OFFERED, "Pro") == answers.Accepted(text="Pro")
    assert answers.accept("multi_choice", OFFERED, ["Team", "Free"]).choices == ["Free", "Team"]
    for kind, bad, message in [
        ("single_choice", "Enterprise", "Choose one of the offered answers."),
        ("single_choice", ["Pro"], "Choose one of the offered answers."),
        ("multi_choice", "Pro", "Choose from the offered answers."),
        ("multi_choice", [1], "Choose from the offered answers."),
        ("multi_choice", ["Nope"], "Choose only from the offered answers."),
        ("multi_choice", ["Pro", "Pro"], "Choose each answer at most once."),
        ("text", 42, "Write your answer as text."),
        ("text", "x" * 5001, "Keep your answer under 5,000 characters (it has 5,001)."),
    ]:
        with pytest.raises(answers.Refused) as refused:
            answers.accept(kind, OFFERED, bad)
        assert str(refused.value) == message, (kind, bad)
    assert answers.accept("text", [], " a\x00b ") == answers.Accepted(text="ab")
    assert answers.accept("text", [], "y" * 5000).text == "y" * 5000


def test_blank_answers_and_required_questions():
    for blank in (None, "", []):
        assert all(answers.is_blank(kind, blank) for kind in scales.KINDS)
    assert answers.is_blank("text", " \x00 \n") and not answers.is_blank("single_choice", " ")
    assert not answers.is_blank("nps", 0)

    class Asked:
        def __init__(self, id, kind, required, choices=None):
            self.id, self.kind, self.required, self.choices = id, kind, required, choices

    questions = [Asked(1, "nps", True), Asked(2, "text", False), Asked(3, "single_choice",
                                                                       True, OFFERED)]
    missing = answers.check_answers(questions, {2: "   "})
    assert missing.errors == {1: answers.MISSING, 3: answers.MISSING} and missing.missing_only
    mixed = answers.check_answers(questions, {1: 11, 3: "Pro"})
    assert list(mixed.errors) == [1] and not mixed.missing_only
    fine = answers.check_answers(questions, {1: 10, 2: "", 3: "Pro"})
    assert fine.errors == {} and [q.id for q, _ in fine.accepted] == [1, 3]
    assert [answers.question_id(k) for k in (7, "7", "x", 7.0, True, None)] == [
        7, 7, None, None, None, None]
