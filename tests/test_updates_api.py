"""GET /api/v1/updates (issue 15): the published updates, newest first, paged, each with
the ids of the ideas it delivers; public; in the generated OpenAPI document."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests import factories
from tests.conftest import counting_statements

START = datetime(2025, 3, 1, 9, 30)


@pytest.fixture
def app_config() -> dict:
    return {"BASE_URL": "https://voice.example"}


@pytest.fixture
def published(app):
    staff, customer = factories.user("staff"), factories.user()
    first = factories.idea(customer, "Export to CSV")
    second = factories.idea(customer, "Dark mode")
    older = factories.published_update(staff, [first], "CSV export", "It **works**.", at=START)
    newer = factories.published_update(staff, [second, first], "Dark mode", "<b>Bold</b> & more",
                                       at=START + timedelta(days=1))
    return {"ideas": [first, second], "updates": [older, newer]}


def test_the_list_is_newest_first_with_the_ideas_it_delivers(app, published):
    answer = app.test_client().get("/api/v1/updates")  # no token: the changelog is public
    assert answer.status_code == 200
    data = answer.get_json()
    assert (data["page"], data["per_page"], data["total"]) == (1, 20, 2)
    newer, older = data["items"]
    first, second = published["ideas"]
    assert newer == {
        "id": published["updates"][1], "title": "Dark mode", "body": "<b>Bold</b> & more",
        "body_html": "<p>&lt;b&gt;Bold&lt;/b&gt; &amp; more</p>\n",
        "published_at": "2025-03-02T09:30:00Z", "ideas": [second, first],
        "url": f"https://voice.example/updates/{published['updates'][1]}",
    }
    assert older["ideas"] == [first] and older["body_html"] == "<p>It <strong>works</strong>.</p>\n"


def test_paging(app, published):
    client = app.test_client()
    data = client.get("/api/v1/updates?page=2&per_page=1").get_json()
    assert [item["id"] for item in data["items"]] == [published["updates"][0]]
    assert (data["page"], data["per_page"], data["total"]) == (2, 1, 2)
    assert client.get("/api/v1/updates?page=3&per_page=1").get_json()["items"] == []


@pytest.mark.parametrize("query", ["page=0", "per_page=101", "page=x", "per_page=-1"])
def test_bad_paging_is_the_contracts_400(app, query):
    answer = app.test_client().get(f"/api/v1/updates?{query}")
    assert answer.status_code == 400
    assert answer.get_json()["error"]["code"] == "invalid_paging"


def test_the_statements_do_not_grow_with_the_page(app, published):
    staff, customer = factories.user("staff"), factories.user()
    more = [factories.idea(customer, f"Idea number {n}") for n in range(3)]
    client = app.test_client()
    with counting_statements(app) as two:
        client.get("/api/v1/updates")
    for n in range(10):
        factories.published_update(staff, more, f"Update {n}", at=START)
    with counting_statements(app) as twelve:
        assert len(client.get("/api/v1/updates").get_json()["items"]) == 12
    assert len(twelve) == len(two)


def test_the_call_is_in_the_openapi_document(app):
    document = app.test_client().get("/api/v1/openapi.json").get_json()
    operation = document["paths"]["/updates"]["get"]
    assert operation["security"] == []
    schema = document["components"]["schemas"]["PublishedUpdate"]
    assert {"id", "title", "body", "published_at", "ideas"} <= set(schema["properties"])
