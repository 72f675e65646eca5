"""Numbers no database column can hold are refused at the API's edge, never a 500."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize("into", [2**70, -(2**70), 2**53 + 1])
def test_huge_integers_in_a_body_are_invalid_json(app, client, staff, token_for, into):
    response = client.post("/api/v1/ideas/1/merge", json={"into": into},
                           headers=token_for(staff))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_nested_huge_integers_are_refused_too(app, client, customer, token_for):
    response = client.post("/api/v1/surveys/1/responses",
                           json={"answers": {"1": [1, 2**64]}}, headers=token_for(customer))
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_json"


def test_an_id_past_32_bits_names_nothing(app, client, staff, token_for):
    response = client.post("/api/v1/ideas/1/merge", json={"into": 3_000_000_000},
                           headers=token_for(staff))
    assert response.status_code == 404


def test_page_past_a_million_is_invalid(app, client):
    response = client.get("/api/v1/markets?page=18446744073709551615")
    assert response.status_code == 400
    assert response.json["error"]["code"] == "invalid_paging"
