"""The surveys calls of the API: the contract's fields, codes and statuses."""

from __future__ import annotations

import csv
import io

from sqlalchemy import func, select

from tests.factories import EVERY_KIND
from voice.extensions import db
from voice.surveys.models import Answer, Response


def create(app, token_for, staff, **body):
    payload = {"title": "Pulse", "status": "open", "questions": EVERY_KIND}
    payload.update(body)
    return app.test_client().post("/api/v1/surveys", json=payload, headers=token_for(staff))


def ids_of(survey_json) -> dict[str, int]:
    return {q["kind"]: q["id"] for q in survey_json["questions"]}


def answers_for(survey_json, **overrides) -> dict[str, object]:
    ids = ids_of(survey_json)
    answers = {"nps": 3, "csat": 2, "ces": 6, "rating": 1, "single_choice": "Free",
               "multi_choice": ["Reports"], "text": "Too slow"}
    answers.update(overrides)
    return {str(ids[kind]): value for kind, value in answers.items() if value is not None}


def stored() -> int:
    with db.session.begin():
        return db.session.scalar(select(func.count(Response.id)))


def test_staff_create_a_survey_and_customers_cannot(app, token_for, staff, customer):
    response = create(app, token_for, staff, description="Hello")
    assert response.status_code == 201
    survey = response.json
    assert set(survey) >= {"id", "title", "description", "status", "anonymous", "questions"}
    assert survey["status"] == "open" and survey["anonymous"] is False
    assert [q["kind"] for q in survey["questions"]] == [q["kind"] for q in EVERY_KIND]
    assert set(survey["questions"][4]) >= {"id", "kind", "prompt", "required", "choices"}
    assert survey["questions"][4]["choices"] == ["Free", "Pro", "Team"]
    assert survey["questions"][2]["required"] is False
    assert create(app, token_for, customer).status_code == 403
    anonymous = app.test_client().post("/api/v1/surveys", json={"title": "x"})
    assert anonymous.status_code == 401
    assert anonymous.json["error"]["code"] == "unauthorized"


def test_create_refuses_bad_bodies(app, token_for, staff):
    cases = [
        ({"title": ""}, "invalid_survey"),
        ({"questions": [{"kind": "stars", "prompt": "x"}]}, "invalid_question"),
        ({"questions": "nps"}, "invalid_question"),
        ({"status": "closed"}, "invalid_status"),
        ({"anonymous": "yes"}, "invalid_survey"),
        ({"area": 7}, "unknown_area"),
        ({"closes_at": "tomorrow"}, "invalid_survey"),
    ]
    for body, code in cases:
        response = create(app, token_for, staff, **body)
        assert response.status_code == 400, body
        assert response.json["error"]["code"] == code, body
    no_json = app.test_client().post("/api/v1/surveys", data="x", headers=token_for(staff))
    assert no_json.status_code == 400 and no_json.json["error"]["code"] == "invalid_json"


def test_list_get_and_patch(app, token_for, staff, customer):
    open_one = create(app, token_for, staff).json
    draft = create(app, token_for, staff, title="Draft", status="draft").json
    client = app.test_client()
    listing = client.get("/api/v1/surveys").json
    assert (listing["total"], listing["page"], listing["per_page"]) == (1, 1, 20)
    assert [s["id"] for s in listing["items"]] == [open_one["id"]]
    assert client.get(f"/api/v1/surveys/{draft['id']}").status_code == 404
    assert client.get(f"/api/v1/surveys/{draft['id']}",
                      headers=token_for(staff)).json["status"] == "draft"
    assert client.get("/api/v1/surveys/999999").status_code == 404
    assert client.get("/api/v1/surveys?per_page=500").status_code == 400

    patch = client.patch(f"/api/v1/surveys/{draft['id']}", json={"status": "open"},
                         headers=token_for(staff))
    assert patch.status_code == 200 and patch.json["status"] == "open"
    assert client.patch(f"/api/v1/surveys/{draft['id']}", json={"status": "open"},
                        headers=token_for(customer)).status_code == 403
    bad = client.patch(f"/api/v1/surveys/{draft['id']}", json={"status": "draft"},
                       headers=token_for(staff))
    assert bad.status_code == 400
    closed = client.patch(f"/api/v1/surveys/{draft['id']}", json={"status": "closed"},
                          headers=token_for(staff))
    assert closed.json["status"] == "closed"
    again = client.patch(f"/api/v1/surveys/{draft['id']}", json={"status": "closed"},
                         headers=token_for(staff))
    assert again.status_code == 409


def test_identified_responses_and_their_errors(app, token_for, staff, customer):
    survey = create(app, token_for, staff).json
    client = app.test_client()
    url = f"/api/v1/surveys/{survey['id']}/responses"
    headers = token_for(customer)

    nobody = client.post(url, json={"answers": answers_for(survey)})
    assert nobody.status_code == 401

    bad = client.post(url, json={"answers": answers_for(survey, nps=11, csat=None)},
                      headers=headers)
    assert bad.status_code == 400
    assert bad.json["error"]["code"] == "invalid_answer"
    ids = ids_of(survey)
    assert bad.json["error"]["fields"] == {
        str(ids["nps"]): "Choose a whole number from 0 to 10.",
        str(ids["csat"]): "This question needs an answer."}
    missing = client.post(url, json={"answers": answers_for(survey, csat=None)},
                          headers=headers)
    assert missing.status_code == 400 and missing.json["error"]["code"] == "answer_required"
    unknown = client.post(url, json={"answers": {**answers_for(survey), "999999": 1}},
                          headers=headers)
    assert unknown.status_code == 400 and unknown.json["error"]["code"] == "unknown_question"
    assert client.post(url, json={"answers": [1]}, headers=headers).status_code == 400
    huge = client.post(url, json={"answers": answers_for(survey, text="x" * 5001)},
                       headers=headers)
    assert huge.status_code == 400
    with app.app_context():
        assert stored() == 0

    first = client.post(url, json={"answers": answers_for(survey)}, headers=headers)
    assert first.status_code == 201 and set(first.json) == {"id"}
    second = client.post(url, json={"answers": answers_for(survey)}, headers=headers)
    assert second.status_code == 409
    assert second.json["error"]["code"] == "already_responded"
    got = client.get(f"/api/v1/surveys/{survey['id']}", headers=headers).json
    assert got["responded_at"].endswith("Z") and "response_token" not in got

    client.patch(f"/api/v1/surveys/{survey['id']}", json={"status": "closed"},
                 headers=token_for(staff))
    closed = client.post(url, json={"answers": answers_for(survey)},
                         headers=token_for(staff))
    assert closed.status_code == 409 and closed.json["error"]["code"] == "survey_closed"
    assert client.post("/api/v1/surveys/999999/responses",
                       json={"answers": {}}, headers=headers).status_code == 404
    with app.app_context():
        assert stored() == 1


def test_draft_surveys_take_no_responses(app, token_for, staff, customer):
    draft = create(app, token_for, staff, status="draft").json
    response = app.test_client().post(f"/api/v1/surveys/{draft['id']}/responses",
                                      json={"answers": answers_for(draft)},
                                      headers=token_for(customer))
    assert response.status_code == 409
    assert response.json["error"]["code"] == "survey_closed"


def test_anonymous_responses_need_a_one_time_token(app, token_for, staff):
    survey = create(app, token_for, staff, anonymous=True).json
    client = app.test_client()  # no sign-in at all: the session cookie carries the nonce
    url = f"/api/v1/surveys/{survey['id']}/responses"
    missing = client.post(url, json={"answers": answers_for(survey)})
    assert missing.status_code == 400
    assert missing.json["error"]["code"] == "token_required"
    token = client.get(f"/api/v1/surveys/{survey['id']}").json["response_token"]
    # A reload signs the same nonce again (the signature's timestamp may differ).
    reloaded = client.get(f"/api/v1/surveys/{survey['id']}").json["response_token"]
    first = client.post(url, json={"answers": answers_for(survey), "token": token})
    assert first.status_code == 201
    after_reload = client.post(url, json={"answers": answers_for(survey), "token": reloaded})
    assert after_reload.status_code == 409
    again = client.post(url, json={"answers": answers_for(survey), "token": token})
    assert again.status_code == 409 and again.json["error"] == {
        "code": "already_responded",
        "message": "This survey was already answered from this browser session."}
    invalid_replay = client.post(url, json={"answers": answers_for(survey, nps=11),
                                            "token": token})
    assert invalid_replay.status_code == 409
    assert "response_token" not in client.get(f"/api/v1/surveys/{survey['id']}").json
    with app.app_context(), db.session.begin():
        assert db.session.execute(select(Response.id, Response.user_id)).all() == [
            (first.json["id"], None)]


def test_a_signed_in_customer_answers_an_anonymous_survey_once_over_the_api(
        app, token_for, staff, customer):
    survey = create(app, token_for, staff, anonymous=True).json
    url = f"/api/v1/surveys/{survey['id']}"
    codes = []
    for _ in range(2):  # two clients: two sessions, two fresh one-time tokens
        client = app.test_client()
        token = client.get(url, headers=token_for(customer)).json["response_token"]
        answered = client.post(f"{url}/responses", headers=token_for(customer),
                               json={"answers": answers_for(survey), "token": token})
        codes.append((answered.status_code, (answered.json.get("error") or {}).get("code")))
    assert codes == [(201, None), (409, "already_responded")]


def test_results_trend_and_csv_for_staff_only(app, token_for, staff, customer, make_user):
    survey = create(app, token_for, staff).json
    client = app.test_client()
    url = f"/api/v1/surveys/{survey['id']}"
    scores = [10, 9, 7, 3]
    for score in scores:
        person = make_user()
        assert client.post(f"{url}/responses", json={"answers": answers_for(
            survey, nps=score)}, headers=token_for(person)).status_code == 201
    assert client.get(f"{url}/results", headers=token_for(customer)).status_code == 403
    results = client.get(f"{url}/results", headers=token_for(staff)).json
    assert results["responses"] == 4
    nps = results["questions"][0]
    assert nps["answered"] == 4 and nps["distribution"]["10"] == 1
    # 2 promoters, 1 passive, 1 detractor of 4: NPS 25. Adjusted Wald: n + 3 = 7,
    # p = 2.75 / 7 = 0.392857, d = 1.75 / 7 = 0.25; centre 0.142857; var = 0.642857
    # - 0.020408 = 0.622449; MoE = 1.96 * sqrt(0.622449 / 7) = 0.584466: -44.2 .. 72.7
    assert nps["nps"] == {"score": 25.0, "promoters": 2, "passives": 1, "detractors": 1,
                          "margin_of_error": 58.4, "low": -44.2, "high": 72.7}
    assert nps["few_answers"] is True  # 4 answers: read with care
    assert results["questions"][1]["csat"] == {"score": 0.0}
    assert results["questions"][2]["mean"] == 6.0
    trend = client.get(f"{url}/trend", headers=token_for(staff)).json
    assert trend["question_id"] == nps["id"] and trend["points"][0]["n"] == 4
    texts = client.get(f"{url}/questions/{ids_of(survey)['text']}/answers?q=slow",
                       headers=token_for(staff)).json
    assert texts["total"] == 4 and texts["items"][0]["text"] == "Too slow"

    assert client.get(f"{url}/responses.csv", headers=token_for(customer)).status_code == 403
    exported = client.get(f"{url}/responses.csv", headers=token_for(staff))
    assert exported.status_code == 200
    assert exported.mimetype == "text/csv"
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True))))
    assert len(rows) == 5
    assert sorted(int(row[3]) for row in rows[1:]) == sorted(scores)
    assert client.get("/api/v1/surveys/999999/results",
                      headers=token_for(staff)).status_code == 404
    with app.app_context(), db.session.begin():
        assert db.session.scalar(select(func.count(Answer.id))) == 28
