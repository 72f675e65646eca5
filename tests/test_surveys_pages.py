"""The surveys pages: answering as a customer, the builder and results as staff."""

from __future__ import annotations

import re

from sqlalchemy import func, select

from tests import factories
from tests.conftest import counting_statements
from tests.factories import EVERY_KIND, good_answers
from voice.extensions import db
from voice.surveys import service
from voice.surveys.models import Question, Response, Survey


def form_answers(ids: dict[str, int], **overrides) -> dict:
    data = {f"q{ids['nps']}": "9", f"q{ids['csat']}": "4", f"q{ids['ces']}": "2",
            f"q{ids['rating']}": "5", f"q{ids['single_choice']}": "Pro",
            f"q{ids['multi_choice']}": ["Editor", "API"], f"q{ids['text']}": "Nice work"}
    for kind, value in overrides.items():
        if value is None:
            data.pop(f"q{ids[kind]}")
        else:
            data[f"q{ids[kind]}"] = value
    return data


def response_count(app) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count(Response.id)))


# --- answering ----------------------------------------------------------------------------


def test_the_answer_page_renders_every_kind_accessibly(app, login, staff, customer):
    survey_id, ids = factories.survey_ids(staff, description="**Two minutes**, promise.")
    page = login(customer).get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "<strong>Two minutes</strong>" in page
    assert page.count("<fieldset") == 7 and page.count("<legend>") == 7
    assert len(re.findall(rf'name="q{ids["nps"]}" value="\d+"', page)) == 11
    assert "0 = Not at all likely" in page and "10 = Extremely likely" in page
    assert "1 = Very easy" in page and "7 = Very difficult" in page
    assert "Very satisfied" in page and "5 stars" in page
    assert len(re.findall(rf'type="checkbox" name="q{ids["multi_choice"]}"', page)) == 3
    assert f'name="q{ids["text"]}" rows="4" maxlength="5000"' in page
    assert 'name="token"' not in page  # identified survey


def test_answering_keeps_what_was_entered_and_names_each_problem(app, login, staff, customer):
    survey_id, ids = factories.survey_ids(staff)
    browser = login(customer)
    response = browser.post(f"/surveys/{survey_id}", data=form_answers(
        ids, nps=None, single_choice="Enterprise", text="I typed this"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert f'id="q{ids["nps"]}-error" role="alert">This question needs an answer.' in page
    assert (f'id="q{ids["single_choice"]}-error" role="alert">Choose one of the offered '
            "answers.") in page
    # what the customer entered is still there
    assert re.search(rf'name="q{ids["csat"]}" value="4" checked', page)
    assert re.search(rf'name="q{ids["multi_choice"]}" value="API" checked', page)
    assert ">I typed this</textarea>" in page
    assert response_count(app) == 0

    done = browser.post(f"/surveys/{survey_id}", data=form_answers(ids))
    assert done.status_code == 302
    assert done.headers["Location"] == f"/surveys/{survey_id}/thanks"
    assert "Thank you!" in browser.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        results = service.survey_results(survey_id)
        assert results["questions"][5]["distribution"] == {"Editor": 1, "Reports": 0,
                                                           "API": 1}
    again = browser.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "You answered this survey on" in again and "<form method=\"post\" novalidate" \
        not in again
    second = browser.post(f"/surveys/{survey_id}", data=form_answers(ids))
    assert second.status_code == 409
    assert "You answered this survey on" in second.get_data(as_text=True)
    assert response_count(app) == 1


def test_a_non_number_score_from_the_form_is_refused(app, login, staff, customer):
    survey_id, ids = factories.survey_ids(staff)
    response = login(customer).post(f"/surveys/{survey_id}", data=form_answers(
        ids, nps="nine", rating="7"))
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert page.count("Choose a whole number from") == 2
    assert response_count(app) == 0


def test_identified_surveys_ask_visitors_to_sign_in(app, login, staff):
    survey_id, ids = factories.survey_ids(staff)
    visitor = login()
    assert "to answer it" in visitor.get(f"/surveys/{survey_id}").get_data(as_text=True)
    response = visitor.post(f"/surveys/{survey_id}", data=form_answers(ids))
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")
    assert response_count(app) == 0


def test_anonymous_survey_one_answer_per_browser_session(app, login, staff, customer):
    survey_id, ids = factories.survey_ids(staff, anonymous=True)
    browser = login()
    page = browser.get(f"/surveys/{survey_id}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    reloaded = browser.get(f"/surveys/{survey_id}").get_data(as_text=True)
    again = re.search(r'name="token" value="([^"]+)"', reloaded).group(1)
    # a reload does not mint a new token: the same signed nonce (the signature's own
    # timestamp may tick over a second between the two loads)
    assert again.rsplit(".", 2)[0] == token.rsplit(".", 2)[0]
    assert browser.post(f"/surveys/{survey_id}",
                        data={**form_answers(ids), "token": token}).status_code == 302
    replay = browser.post(f"/surveys/{survey_id}", data={**form_answers(ids), "token": token})
    assert replay.status_code == 409
    assert "already answered from this browser" in replay.get_data(as_text=True)
    forged = browser.post(f"/surveys/{survey_id}", data={**form_answers(ids), "token": "x"})
    assert forged.status_code == 400
    assert "already answered from this browser" in browser.get(
        f"/surveys/{survey_id}").get_data(as_text=True)
    # a signed-in customer's anonymous answer is stored without them
    other = login(customer)
    page = other.get(f"/surveys/{survey_id}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert other.post(f"/surveys/{survey_id}",
                      data={**form_answers(ids), "token": token}).status_code == 302
    with app.app_context():
        users = db.session.scalars(select(Response.user_id)).all()
        assert users == [None, None]


def test_a_signed_in_customer_answers_an_anonymous_survey_once_from_any_browser(
        app, login, staff, customer):
    survey_id, ids = factories.survey_ids(staff, anonymous=True)
    first = login(customer)
    page = first.get(f"/surveys/{survey_id}").get_data(as_text=True)
    token = re.search(r'name="token" value="([^"]+)"', page).group(1)
    assert first.post(f"/surveys/{survey_id}",
                      data={**form_answers(ids), "token": token}).status_code == 302
    second = login(customer)  # another browser: a new session, a new token
    page = second.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "You already answered this survey." in page and 'name="token"' not in page
    stuffed = second.post(f"/surveys/{survey_id}",
                          data={**form_answers(ids), "token": token[:-1] + "x"})
    assert stuffed.status_code in (400, 409)
    with app.app_context():
        fresh = service.response_token(survey_id, "a-third-session")
    stuffed = second.post(f"/surveys/{survey_id}", data={**form_answers(ids), "token": fresh})
    assert stuffed.status_code == 409
    assert "You already answered this survey." in stuffed.get_data(as_text=True)
    assert response_count(app) == 1


def test_the_survey_list_renders_intros_and_knows_anonymous_answers(app, login, staff,
                                                                    customer):
    made = factories.survey(staff, anonymous=True,
                            description="**Two minutes**, about [exports](https://x.example).")
    browser = login(customer)
    page = browser.get("/surveys").get_data(as_text=True)
    assert "<strong>Two minutes</strong>" in page and "**Two minutes**" not in page
    assert "[exports]" not in page
    with app.app_context():
        service.submit_response(made.id, customer, good_answers(made),
                                anonymous_token=service.response_token(made.id))
    page = browser.get("/surveys").get_data(as_text=True)
    assert "You answered it. Thank you." in page


def test_closed_and_draft_surveys(app, login, staff, customer):
    survey_id, ids = factories.survey_ids(staff)
    draft_id, _ = factories.survey_ids(staff, status="draft")
    with app.app_context():
        service.close_survey(staff, survey_id)
    browser = login(customer)
    page = browser.get(f"/surveys/{survey_id}").get_data(as_text=True)
    assert "This survey is closed" in page and "Send my answers" not in page
    refused = browser.post(f"/surveys/{survey_id}", data=form_answers(ids))
    assert refused.status_code == 409 and "This survey is closed" in refused.get_data(
        as_text=True)
    assert browser.get(f"/surveys/{draft_id}").status_code == 404
    assert response_count(app) == 0
    listing = browser.get("/surveys").get_data(as_text=True)
    assert "No survey is open right now" in listing


def test_the_list_shows_open_surveys_and_what_i_answered(app, login, staff, customer):
    first, ids = factories.survey_ids(staff, title="Pricing pulse")
    factories.survey(staff, title="Mobile app check")
    factories.survey(staff, title="Secret draft", status="draft")
    browser = login(customer)
    browser.post(f"/surveys/{first}", data=form_answers(ids))
    page = browser.get("/surveys").get_data(as_text=True)
    assert "Pricing pulse" in page and "Mobile app check" in page
    assert "Secret draft" not in page
    assert page.count("You answered on") == 1


# --- staff --------------------------------------------------------------------------------


def test_customers_cannot_reach_staff_pages(app, login, staff, customer):
    survey_id, _ = factories.survey_ids(staff)
    browser = login(customer)
    for path in ("/admin/surveys", "/admin/surveys/new", f"/admin/surveys/{survey_id}",
                 f"/admin/surveys/{survey_id}/results",
                 f"/admin/surveys/{survey_id}/responses.csv"):
        assert browser.get(path).status_code == 403, path
    assert browser.post(f"/admin/surveys/{survey_id}/close").status_code == 403
    assert login().get("/admin/surveys").status_code == 302


def test_staff_build_a_survey_through_the_builder(app, login, staff, customer):
    browser = login(staff)
    created = browser.post("/admin/surveys/new", data={
        "title": "Onboarding", "description": "Quick one", "area": "",
        "opens_at": "", "closes_at": ""})
    assert created.status_code == 302
    with app.app_context():
        survey_id = db.session.scalar(select(Survey.id))
    builder = created.headers["Location"]
    assert builder == f"/admin/surveys/{survey_id}"

    bad = browser.post(f"{builder}/questions", data={
        "new-kind": "single_choice", "new-prompt": "Plan?", "new-required": "y",
        "new-choices": "Only one"})
    assert bad.status_code == 400
    page = bad.get_data(as_text=True)
    assert "A choice question needs 2 to 30 choices." in page  # a sentence, capitalised
    assert "Only one</textarea>" in page  # kept

    for spec in EVERY_KIND:
        data = {"new-kind": spec["kind"], "new-prompt": spec["prompt"],
                "new-choices": "\n".join(spec.get("choices", []))}
        if spec.get("required", True):
            data["new-required"] = "y"
        assert browser.post(f"{builder}/questions", data=data).status_code == 302
    with app.app_context():
        questions = service.load_survey(survey_id).questions
        assert [q.kind for q in questions] == [q["kind"] for q in EVERY_KIND]
        assert [q.required for q in questions] == [q.get("required", True) for q in EVERY_KIND]
        assert questions[5].choices == ["Editor", "Reports", "API"]
        first, text = questions[0].id, questions[6].id

    assert browser.post(f"{builder}/questions/{text}/move",
                        data={"direction": "up"}).status_code == 302
    edited = browser.post(f"{builder}/questions/{first}", data={
        f"q{first}-kind": "nps", f"q{first}-prompt": "Would you recommend Onboarding?",
        f"q{first}-required": "y", f"q{first}-choices": ""})
    assert edited.status_code == 302
    blank = browser.post(f"{builder}/questions/{first}", data={
        f"q{first}-kind": "nps", f"q{first}-prompt": "", f"q{first}-choices": ""})
    assert blank.status_code == 400 and "This field is required." in blank.get_data(
        as_text=True)
    extra = browser.post(f"{builder}/questions", data={"new-kind": "rating",
                                                      "new-prompt": "Spare"})
    assert extra.status_code == 302
    with app.app_context():
        spare = db.session.scalar(select(Question.id).where(Question.prompt == "Spare"))
    confirmed = {"confirmed": "yes"}  # the confirm page's answer (tests/test_confirmations.py)
    assert browser.post(f"{builder}/questions/{spare}/delete", data=confirmed).status_code == 302

    assert browser.post(f"{builder}/publish", data=confirmed).status_code == 302
    page = browser.get(builder).get_data(as_text=True)
    assert "The survey is open for answers." in page
    with app.app_context():
        survey = service.load_survey(survey_id)
        assert survey.status == "open"
        assert [q.kind for q in survey.questions][-2:] == ["text", "multi_choice"]
        assert survey.questions[0].prompt == "Would you recommend Onboarding?"
        assert len(survey.questions) == 7
        service.submit_response(survey_id, customer, good_answers(survey))
    # a question with answers cannot be removed; its kind cannot change
    refused = browser.post(f"{builder}/questions/{first}/delete", data=confirmed,
                           follow_redirects=True)
    assert "removing it would lose them" in refused.get_data(as_text=True)
    kind_change = browser.post(f"{builder}/questions/{first}", data={
        f"q{first}-kind": "rating", f"q{first}-prompt": "x", f"q{first}-required": "y"})
    assert kind_change.status_code == 400
    assert "its kind cannot change" in kind_change.get_data(as_text=True)

    copy = browser.post(f"{builder}/duplicate")
    assert copy.status_code == 302 and copy.headers["Location"] != builder
    assert browser.post(f"{builder}/close", data=confirmed).status_code == 302
    with app.app_context():
        assert service.load_survey(survey_id).status == "closed"
    listing = browser.get("/admin/surveys").get_data(as_text=True)
    assert "Copy of Onboarding" in listing and "Onboarding" in listing


def test_survey_details_form_refuses_bad_times(app, login, staff):
    browser = login(staff)
    response = browser.post("/admin/surveys/new", data={
        "title": "Timed", "opens_at": "2030-01-02T10:00", "closes_at": "2030-01-01T10:00"})
    assert response.status_code == 400
    assert "The survey must close after it opens." in response.get_data(as_text=True)
    assert 'value="Timed"' in response.get_data(as_text=True)


def test_results_page_shows_scores_charts_and_text(app, login, staff, make_user):
    survey_id, ids = factories.survey_ids(staff, anonymous=True)
    with app.app_context():
        survey = service.load_survey(survey_id)
        for number, (score, text) in enumerate([(10, "Fast support"), (9, "Good"),
                                                (2, "Slow exports")]):
            token = service.response_token(survey_id, f"s{number}")
            service.submit_response(survey_id, None, good_answers(survey, nps=score,
                                                                  text=text),
                                    anonymous_token=token)
    browser = login(staff)
    page = browser.get(f"/admin/surveys/{survey_id}/results").get_data(as_text=True)
    # 2 promoters, 1 detractor of 3: NPS 33.3
    assert "NPS <strong>+33.3</strong>" in page
    assert page.count('data-chart="bar"') == 6 and 'data-chart="line"' in page
    assert "CSAT <strong>100.0%</strong>" in page
    assert "Slow exports" in page and "Fast support" in page
    searched = browser.get(f"/admin/surveys/{survey_id}/results?question={ids['text']}&q=slow")
    text = searched.get_data(as_text=True)
    assert "Slow exports" in text and "Fast support" not in text
    exported = browser.get(f"/admin/surveys/{survey_id}/responses.csv")
    assert exported.mimetype == "text/csv" and exported.get_data(as_text=True).count("\n") == 4


def test_results_page_shows_the_bounded_interval_and_warns_under_thirty_answers(
        app, login, staff):
    # The "NPS 0.0 +/- 138.6": one promoter and one detractor. Adjusted Wald:
    # n + 3 = 5, p = d = 0.35, 1.96 * sqrt(0.7 / 5) = 0.733365: -73.3 .. 73.3
    made = factories.survey(staff, [{"kind": "nps", "prompt": "Recommend us?"}],
                            anonymous=True)
    factories.anonymous_responses(made, [{"nps": 10}, {"nps": 0}])
    browser = login(staff)
    page = browser.get(f"/admin/surveys/{made.id}/results").get_data(as_text=True)
    assert "NPS <strong>0.0</strong>" in page
    assert "95% interval -73.3 to +73.3" in page
    assert "138.6" not in page and "±" not in page
    assert "Fewer than 30 answers: read with care." in page
    with app.app_context():
        for number in range(28):
            service.submit_response(made.id, None, {made.questions[0].id: 9},
                                    anonymous_token=service.response_token(made.id, f"m{number}"))
    page = browser.get(f"/admin/surveys/{made.id}/results").get_data(as_text=True)
    assert "Fewer than 30 answers" not in page  # 30 answers now


def test_results_page_costs_a_fixed_number_of_queries(app, login, staff):
    survey_id, ids = factories.survey_ids(staff, anonymous=True)
    browser = login(staff)
    url = f"/admin/surveys/{survey_id}/results"

    def add(count, start):
        with app.app_context():
            survey = service.load_survey(survey_id)
            for number in range(start, start + count):
                token = service.response_token(survey_id, f"q{number}")
                service.submit_response(survey_id, None, good_answers(
                    survey, nps=number % 11, text=f"answer {number}"), anonymous_token=token)

    add(2, 0)
    browser.get(url)
    with counting_statements(app) as few:
        assert browser.get(url).status_code == 200
    add(40, 2)
    with counting_statements(app) as many:
        assert browser.get(url).status_code == 200
    # user, unread count, survey, questions, tallies, NPS trend, one page of text answers
    assert len(many) == len(few) <= 8, many
