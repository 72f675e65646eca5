"""Input no person types is refused at the edge with a sentence, never a 500 (issue 13).

Deeply nested JSON, a lone surrogate in text, numbers past what a column or a date can
hold in query arguments, filters that name nothing: each is a 400 with a sentence (a page)
or the contract's JSON error (the API).
"""

from __future__ import annotations

import pytest

# --- deeply nested JSON -------------------------------------------------------------------


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [500, 5_000, 200_000])
def test_deeply_nested_json_is_invalid_json_even_signed_out(app, client, depth):
    body = '{"email": "a@example.com", "password": ' + nested(depth) + "}"
    response = client.post("/api/v1/tokens", data=body, content_type="application/json")
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["error"]["code"] == "invalid_json"
    assert "nest" in response.json["error"]["message"]


@pytest.mark.parametrize("depth", [500, 5_000])
def test_deeply_nested_json_is_refused_on_a_signed_in_call(app, client, customer, token_for,
                                                           depth):
    body = '{"title": "A title long enough", "description": ' + nested(depth) + "}"
    response = client.post("/api/v1/ideas", data=body, content_type="application/json",
                           headers=token_for(customer))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_ordinary_nesting_still_passes_the_edge(app, client, customer, token_for):
    """A survey answer is two levels deep; the bound is far above any real body."""
    response = client.post("/api/v1/surveys/1/responses", json={"answers": {"1": [[[1]]]}},
                           headers=token_for(customer))
    assert response.status_code != 400 or response.json["error"]["code"] != "invalid_json"


# --- a lone surrogate ----------------------------------------------------------------------

LONE_SURROGATE_BODIES = [
    ("/api/v1/ideas", '{"title": "A title \\ud800 here", "description": "x"}'),
    ("/api/v1/ideas", '{"title": "A fine title", "description": "low \\udfff half"}'),
    ("/api/v1/ideas", '{"title": "A fine title", "description": "x", "\\udc00": 1}'),
]


@pytest.mark.parametrize(("path", "body"), LONE_SURROGATE_BODIES)
def test_a_lone_surrogate_in_json_is_invalid_text(app, client, customer, token_for, path,
                                                  body):
    response = client.post(path, data=body, content_type="application/json",
                           headers=token_for(customer))
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert response.json["error"]["code"] == "invalid_text"
    assert "surrogate" in response.json["error"]["message"]


def test_a_lone_surrogate_when_signing_up_anonymously(app, client):
    body = ('{"email": "new@example.com", "password": "long-enough-1", '
            '"display_name": "Ann \\ud800"}')
    response = client.post("/api/v1/accounts", data=body, content_type="application/json")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_text"


def test_a_surrogate_pair_is_an_ordinary_character(app, client, customer, token_for):
    """An escaped pair is one character (an emoji) and is stored."""
    body = '{"title": "Dark mode please \\ud83d\\ude00", "description": "x"}'
    response = client.post("/api/v1/ideas", data=body, content_type="application/json",
                           headers=token_for(customer))
    assert response.status_code == 201, response.get_data(as_text=True)[:300]
    assert response.json["title"].endswith("\U0001f600")


# --- numbers in the query ------------------------------------------------------------------

HUGE = "99999999999999999999"


def test_a_huge_comment_page_is_a_sentence_not_a_500(app, login, customer):
    from tests import factories

    idea_id = factories.idea(customer, "An idea with comments", "x")
    response = login().get(f"/ideas/{idea_id}?comments={HUGE}")
    assert response.status_code == 400
    assert "comments is between 1 and 1,000,000" in response.get_data(as_text=True)


def test_a_page_number_takes_ascii_digits_only(app, login):
    for value in ("²", "١", HUGE, "-1", "1.5"):
        response = login().get(f"/ideas?page={value}")
        assert response.status_code == 400, value
        text = response.get_data(as_text=True)
        assert ("page is between 1 and" in text
                or "page and per_page must be whole numbers" in text), value


# --- staff filters -------------------------------------------------------------------------

STAFF_FILTER_VECTORS = [
    (f"/admin/cases?team={HUGE}", "team must be a whole number"),
    ("/admin/cases?team=²", "team must be a whole number"),
    (f"/admin/cases?assignee={HUGE}", "assignee must be a whole number"),
    ("/admin/cases?assignee=²", "assignee must be a whole number"),
    ("/admin/cases?until=9999-12-31", "until must be a date"),
    ("/admin/cases?tema=1", "tema is not a filter of this page"),
    (f"/admin/audit?actor={HUGE}", "actor must be a whole number"),
    ("/admin/audit?actor=²", "actor must be a whole number"),
    (f"/admin/audit?target_id={HUGE}", "target_id must be a whole number"),
    ("/admin/audit?until=9999-12-31", "until must be a date"),
    ("/admin/audit?since=٢٠٢٤-01-01", "since must be a date"),
    ("/admin/audit?from=bad", "from is not a filter of this page"),
    ("/admin/scores?week=9999-12-31", "week must be a date"),
    (f"/admin/scores?min={HUGE}", "min must be a whole number"),
    ("/admin/scores?max=²", "max must be a whole number"),
    ("/admin/scores?max=abc", "max must be a whole number"),
]


@pytest.mark.parametrize(("path", "sentence"), STAFF_FILTER_VECTORS)
def test_staff_filters_answer_a_sentence(app, login, admin, path, sentence):
    response = login(admin).get(path)
    assert response.status_code == 400, response.get_data(as_text=True)[:300]
    assert sentence in response.get_data(as_text=True)


def test_an_unknown_role_is_not_silently_ignored(app, login, admin):
    response = login(admin).get("/admin/users?role=bogus")
    assert response.status_code == 400
    assert "role is one of" in response.get_data(as_text=True)


def test_good_staff_filters_still_work(app, login, admin):
    browser = login(admin)
    for path in ("/admin/cases?team=1&state=open&overdue=1&page=1",
                 "/admin/cases?since=2024-01-01&until=2024-02-01T10:00:00&q=x&replied=1",
                 "/admin/audit?actor=1&target_type=case&target_id=2&since=2024-01-01",
                 "/admin/scores?kind=nps&week=2024-01-01&min=0&max=6&per_page=10",
                 "/admin/users?role=staff&q=a", "/admin/cases/mine?state=open"):
        assert browser.get(path).status_code == 200, path


def test_an_unknown_market_status_is_not_silently_ignored(app, login):
    response = login().get("/markets?status=bogus")
    assert response.status_code == 400
    assert "status is one of" in response.get_data(as_text=True)


def test_staff_filters_in_the_api_answer_the_contract(app, client, staff, token_for):
    for value in (HUGE, "²"):
        response = client.get(f"/api/v1/admin/cases?team={value}", headers=token_for(staff))
        assert response.status_code == 400, (value, response.get_data(as_text=True)[:300])
        assert response.json["error"]["code"] == "invalid_filter"
