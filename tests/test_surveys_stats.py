"""Survey statistics against values computed by hand; the scales and the answer checks
(the pure cores voice.surveys.scales and voice.surveys.answers), exhaustively."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voice.surveys import answers, scales, stats


def test_nps_of_a_hundred_answers_with_its_margin_of_error():
    # 50 promoters, 30 passives, 20 detractors: NPS = 50% - 20% = 30.
    # var = p + d - (p - d)^2 = 0.5 + 0.2 - 0.09 = 0.61
    # MoE = 1.96 * sqrt(0.61 / 100) * 100 = 1.96 * 0.0781025 * 100 = 15.308
    counts = [0] * 11
    counts[10], counts[9] = 30, 20
    counts[8], counts[7] = 20, 10
    counts[6], counts[0] = 15, 5
    result = stats.nps(counts)
    assert (result.n, result.promoters, result.passives, result.detractors) == (100, 50, 30, 20)
    assert result.score == pytest.approx(30.0)
    assert result.margin_of_error == pytest.approx(15.308, abs=0.001)


def test_nps_of_six_answers_from_raw_scores():
    # 10, 9 promote; 8, 7 are passive; 6, 0 detract: NPS 0.
    # var = 1/3 + 1/3 - 0 = 2/3; MoE = 1.96 * sqrt((2/3) / 6) * 100 = 1.96 / 3 * 100 = 65.33
    counts = stats.counts_of([10, 9, 8, 7, 6, 0], 0, 10)
    assert counts.tolist() == [1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    result = stats.nps(counts)
    assert result.score == pytest.approx(0.0)
    assert result.margin_of_error == pytest.approx(65.333, abs=0.001)


def test_nps_extremes_have_no_spread():
    everyone_promotes = stats.nps([0] * 9 + [3, 4])
    assert everyone_promotes.score == 100.0
    assert everyone_promotes.margin_of_error == 0.0
    everyone_detracts = stats.nps([2, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0])
    assert everyone_detracts.score == -100.0
    assert everyone_detracts.margin_of_error == 0.0


def test_nps_without_answers_has_no_score():
    result = stats.nps(np.zeros(11))
    assert result.n == 0 and result.score is None and result.margin_of_error is None


def test_margin_of_error_matches_the_variance_of_plus_one_zero_minus_one():
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
