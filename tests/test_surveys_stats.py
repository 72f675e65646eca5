"""Survey statistics against values computed by hand."""

from __future__ import annotations

import math

import numpy as np
import pytest

from voice.surveys import stats


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
