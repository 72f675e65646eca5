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
    assert math.isclose(ranking.hot_score(99, 2, created), 2.0 + 2.0)  # log10(100) = 2
    assert math.isclose(ranking.hot_score(9, 3, created), 2.0 + 1.0 + math.log10(1.05))


def test_ten_times_the_votes_is_worth_tau_of_youth():
    old = ranking.hot_score(100, 0, NOW - timedelta(seconds=ranking.TAU))
    young = ranking.hot_score(10, 0, NOW)
    assert math.isclose(old, young)


def test_a_fresh_idea_overtakes_an_old_popular_one_on_a_fixed_clock():
    ideas = {
        "old_popular": (50, 4, NOW - timedelta(days=10)),
        "week_old": (12, 0, NOW - timedelta(days=7)),
        "fresh_few": (3, 2, NOW - timedelta(hours=2)),
        "fresh_none": (0, 0, NOW - timedelta(minutes=5)),
    }
    order = sorted(ideas, key=lambda name: -ranking.hot_score(*ideas[name]))
    # decayed: old 1.72 - 3.33 = -1.61; week 1.08 - 2.33 = -1.25;
    # fresh_few log10(4) - 0.028 = 0.574; fresh_none 0 - 0.001.
    assert order == ["fresh_few", "fresh_none", "week_old", "old_popular"]


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
