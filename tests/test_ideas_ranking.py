"""The pure cores of ideas: the trending formula and the search terms (no database)."""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from hypothesis import given
from hypothesis import strategies as st

from voice.ideas import ranking, terms

NOW = datetime(2026, 6, 1, 12, 0, 0)


def test_hot_score_by_hand():
    created = ranking.EPOCH + timedelta(days=6)  # two TAU after the epoch
    assert ranking.hot_score(0, 0, created) == 2.0
    assert math.isclose(ranking.hot_score(97, 4, created), 2.0 + 2.0)  # log10(1 + 97 + 2)
    assert math.isclose(ranking.hot_score(9, 3, created), 2.0 + 1.0 + math.log10(1.15))


def test_the_first_vote_counts():
    # log10(max(1, votes)) was 0 for 0 and for 1 vote; log10(1 + votes) is 0 and 0.301
    created = NOW - timedelta(hours=1)
    assert ranking.hot_score(1, 0, created) > ranking.hot_score(0, 0, created)
    assert math.isclose(ranking.support(1, 0), math.log10(2))
    # one vote an hour ago: 2 / (1 + 2)^1.4 = 2 / 4.6555 = 0.4296; none, ten minutes
    # ago: 1 / (0.1667 + 2)^1.4 = 1 / 2.9521 = 0.3387
    one_vote, none = ("one_vote", 1, 0, created), ("none", 0, 0, NOW - timedelta(minutes=10))
    assert math.isclose(ranking.trending_score(*one_vote[1:], NOW), 0.4296, abs_tol=1e-4)
    assert math.isclose(ranking.trending_score(*none[1:], NOW), 0.3387, abs_tol=1e-4)
    assert ranking.trending_order([none, one_vote], NOW) == ["one_vote", "none"]


def test_ten_times_the_support_is_worth_tau_of_youth_in_the_window():
    old = ranking.hot_score(99, 0, NOW - timedelta(seconds=ranking.TAU))
    young = ranking.hot_score(9, 0, NOW)
    assert math.isclose(old, young)
    # no votes: in the window for 30 days; 9 votes (support 10): 33 days
    assert ranking.in_window(0, 0, NOW - timedelta(days=30), NOW)
    assert not ranking.in_window(0, 0, NOW - timedelta(days=30, seconds=1), NOW)
    assert ranking.in_window(9, 0, NOW - timedelta(days=33), NOW)
    assert not ranking.in_window(9, 0, NOW - timedelta(days=33, seconds=1), NOW)


def test_trending_orders_by_gravity_on_a_fixed_clock():
    ideas = [
        ("popular_week", 40, 0, NOW - timedelta(days=7)),
        ("month_none", 0, 0, NOW - timedelta(days=29)),
        ("old_big", 1000, 0, NOW - timedelta(days=40)),
        ("none_fresh", 0, 0, NOW - timedelta(minutes=10)),
        ("one_vote_hour", 1, 0, NOW - timedelta(hours=1)),
        ("discussed", 2, 4, NOW - timedelta(hours=22)),
    ]
    # one_vote_hour 2 / 3^1.4 = 0.4296; none_fresh 1 / 2.1667^1.4 = 0.3387;
    # discussed (1 + 2 + 2) / 24^1.4 = 5 / 85.5 = 0.0585; popular_week 41 / 170^1.4
    # = 41 / 1326 = 0.0309; month_none 1 / 698^1.4 = 0.000104; old_big is out of the
    # window: log10(1001) = 3.0004 < 40 days / 3 days - 10 = 3.333
    assert ranking.trending_order(ideas, NOW) == [
        "one_vote_hour", "none_fresh", "discussed", "popular_week", "month_none"]


def test_trending_ages_with_time_alone():
    ideas = [("steady", 12, 0, NOW - timedelta(days=4)), ("young", 1, 0, NOW - timedelta(hours=2))]
    # now: steady 13 / 98^1.4 = 13 / 613 = 0.0212, young 2 / 4^1.4 = 2 / 6.96 = 0.287
    assert ranking.trending_order(ideas, NOW) == ["young", "steady"]
    # three days on, nobody voting: steady 13 / 170^1.4 = 0.0098, young 2 / 76^1.4
    # = 2 / 429.6 = 0.0047; the stored scores did not change, the order did
    later = NOW + timedelta(days=3)
    assert ranking.trending_order(ideas, later) == ["steady", "young"]
    # and a month after, both have left the window
    assert ranking.trending_order(ideas, NOW + timedelta(days=40)) == []


@given(
    st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 1_000),
                       st.integers(0, 400 * 86400)), min_size=2, max_size=8),
    st.integers(0, 400 * 86400),
)
def test_stored_score_orders_as_the_decayed_score_at_any_time(rows, later):
    """hot and decayed differ by the same constant for every idea at a given moment."""
    start = datetime(2025, 1, 1)
    now = start + timedelta(seconds=400 * 86400 + later)
    ideas = [(votes, comments, start + timedelta(seconds=offset))
             for votes, comments, offset in rows]
    differences = [ranking.hot_score(*idea) - ranking.decayed_score(*idea, now)
                   for idea in ideas]
    assert max(differences) - min(differences) < 1e-6


def test_stems_meet_and_stay_prefixes():
    assert {terms.stem(w) for w in ("export", "exports", "exported", "exporting")} == {"export"}
    assert terms.stem("companies") == terms.stem("company") == "compani"
    assert terms.stem("running") == "run"
    assert terms.stem("pdf") == "pdf"
    assert "invoices".startswith(terms.stem("invoices"))


def test_terms_drop_stop_words_and_fold_accents():
    assert terms.terms("Please let me export the invoices, café!") == ["export", "invoic", "caf"]
    assert terms.terms("the and of would like to") == []


def test_document_vector_has_unit_length_and_favours_the_title():
    vector = terms.document_terms("Dark mode", "The app is too bright at night in dark rooms")
    assert math.isclose(sum(w * w for w in vector.values()), 1.0)
    assert vector["dark"] > vector["bright"]


def test_query_words_split_stems_and_the_typed_prefix():
    assert terms.query_words("export invoi") == (["export"], "invoi")
    assert terms.query_words("export invoices ") == (["export", "invoic"], None)
    assert terms.query_words("invoices and the") == (["invoic"], None)  # a stop word: no prefix
    assert terms.query_words("") == ([], None)
    assert terms.prefix_upper_bound("inv") == "inw"


def test_idf_falls_as_a_term_gets_common():
    assert terms.idf(1000, 1) > terms.idf(1000, 100) > terms.idf(1000, 1000) > 0
