"""The surveys service: builder rules, answering rules, results, trend and export."""

from __future__ import annotations

import csv
import io
import threading
import time
from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import counting_statements, run_in_threads
from tests.factories import EVERY_KIND, good_answers
from tests.factories import question_ids as qids
from voice import signals
from voice.admin import service as admin_service
from voice.clock import utcnow
from voice.errors import Conflict, Forbidden, Invalid, NotFound, Unauthorized
from voice.extensions import db
from voice.surveys import service
from voice.surveys.models import (
    Answer,
    Response,
    Survey,
    SurveyRespondent,
    Tally,
    UsedResponseToken,
)


def assert_counts_exact(survey_id: int) -> None:
    """What bench checks after a load run: response_count = responses = spent tokens
    (anonymous), and each question's "answered" tallies = its answer rows."""
    survey = db.session.get(Survey, survey_id, populate_existing=True)
    responses = db.session.scalar(select(func.count(Response.id)).where(
        Response.survey_id == survey_id))
    assert survey.response_count == responses
    if survey.anonymous:
        assert db.session.scalar(select(func.count(UsedResponseToken.id)).where(
            UsedResponseToken.survey_id == survey_id)) == responses
    answered = dict(db.session.execute(
        select(Tally.question_id, func.sum(Tally.count))
        .where(Tally.survey_id == survey_id, Tally.value == service.ANSWERED)
        .group_by(Tally.question_id)).all())
    rows = dict(db.session.execute(
        select(Answer.question_id, func.count(Answer.id))
        .where(Answer.survey_id == survey_id).group_by(Answer.question_id)).all())
    assert {qid: int(n) for qid, n in answered.items()} == rows


def counts() -> tuple[int, int, int]:
    return (db.session.scalar(select(func.count(Response.id))),
            db.session.scalar(select(func.count(Answer.id))),
            db.session.scalar(select(func.coalesce(func.sum(Tally.count), 0))))


# --- the builder --------------------------------------------------------------------------


def test_create_a_draft_with_every_kind(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff, status="draft", description="Tell us.")
        assert survey.status == "draft"
        assert [q.position for q in survey.questions] == [1, 2, 3, 4, 5, 6, 7]
        assert [q.kind for q in survey.questions] == [q["kind"] for q in EVERY_KIND]
        assert survey.questions[4].choices == ["Free", "Pro", "Team"]
        assert survey.created_by_id == staff.id
        assert service.get_survey(survey.id, staff).id == survey.id
        with pytest.raises(NotFound):
            service.get_survey(survey.id, customer)
        with pytest.raises(Forbidden):
            factories.survey(customer)


@pytest.mark.parametrize(
    ("question", "field"),
    [
        ({"kind": "stars", "prompt": "?"}, "kind"),
        ({"kind": "nps", "prompt": "   "}, "prompt"),
        ({"kind": "nps", "prompt": "x" * 501}, "prompt"),
        ({"kind": "single_choice", "prompt": "Pick", "choices": ["Only one"]}, "choices"),
        ({"kind": "multi_choice", "prompt": "Pick", "choices": ["A", "a"]}, "choices"),
        ({"kind": "multi_choice", "prompt": "Pick", "choices": "A, B"}, "choices"),
        ({"kind": "nps", "prompt": "Score", "choices": ["A", "B"]}, "choices"),
        ({"kind": "nps", "prompt": "Score", "required": "yes"}, "required"),
    ],
)
def test_bad_questions_are_refused(app, staff, question, field):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            factories.survey(staff, questions=[question])
        assert refused.value.field == field
        assert db.session.scalar(select(func.count(Survey.id))) == 0


def test_survey_details_are_checked(app, staff):
    now = utcnow()
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            factories.survey(staff, title="  ")
        assert refused.value.field == "title"
        with pytest.raises(Invalid) as refused:
            factories.survey(staff, opens_at=now, closes_at=now - timedelta(hours=1))
        assert refused.value.field == "closes_at"
        with pytest.raises(Invalid) as refused:
            factories.survey(staff, area_slug="no-such-area")
        assert refused.value.field == "area"


def test_draft_questions_are_added_edited_moved_and_removed(app, staff):
    with app.app_context():
        survey = factories.survey(staff, questions=EVERY_KIND[:2], status="draft")
        first, second = survey.questions
        third = service.add_question(staff, survey.id, "single_choice", "Plan?", True,
                                     ["A", "B"])
        service.move_question(staff, third.id, "up")
        assert [q.id for q in service.load_survey(survey.id).questions] == [
            first.id, third.id, second.id]
        service.move_question(staff, first.id, "up")  # already first: stays
        service.edit_question(staff, first.id, "Would you recommend us?", False, kind="rating")
        service.remove_question(staff, third.id)
        reloaded = service.load_survey(survey.id)
        assert [(q.id, q.position) for q in reloaded.questions] == [(first.id, 1),
                                                                      (second.id, 2)]
        assert (reloaded.questions[0].kind, reloaded.questions[0].prompt) == (
            "rating", "Would you recommend us?")
        assert reloaded.questions[0].required is False


def test_publish_needs_a_question_and_a_future_close(app, staff):
    with app.app_context():
        empty = service.create_survey(staff, "Empty")
        with pytest.raises(Invalid) as refused:
            service.publish_survey(staff, empty.id)
        assert refused.value.code == "no_questions"
        past = factories.survey(staff, status="draft",
                                closes_at=utcnow() - timedelta(days=1))
        with pytest.raises(Invalid):
            service.publish_survey(staff, past.id)
        survey = factories.survey(staff, status="draft")
        assert service.publish_survey(staff, survey.id).status == "open"
        with pytest.raises(Conflict):
            service.publish_survey(staff, survey.id)
        assert service.close_survey(staff, survey.id).status == "closed"
        with pytest.raises(Conflict):
            service.close_survey(staff, survey.id)
        assert service.set_status(staff, survey.id, "open").status == "open"  # reopened
        with pytest.raises(Invalid):
            service.set_status(staff, survey.id, "draft")


def test_a_published_survey_keeps_its_results_intact(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff, anonymous=False)
        ids = qids(survey)
        service.submit_response(survey.id, customer, good_answers(survey))
        # wording edits are fine
        service.edit_question(staff, ids["nps"], "How likely are you to recommend Voice?", True)
        # kind changes, lost choices and removals of answered questions are not
        with pytest.raises(Conflict) as refused:
            service.edit_question(staff, ids["csat"], "Satisfied?", True, kind="rating")
        assert refused.value.code == "question_has_answers"
        with pytest.raises(Conflict):
            service.edit_question(staff, ids["single_choice"], "Plan?", True, ["Free", "Pro"])
        with pytest.raises(Conflict):
            service.edit_question(staff, ids["single_choice"], "Plan?", True,
                                  ["Free", "Professional", "Team"])
        with pytest.raises(Conflict):
            service.remove_question(staff, ids["nps"])
        with pytest.raises(Conflict) as refused:
            service.update_survey(staff, survey.id, survey.title, "", True, None, None, None)
        assert refused.value.field == "anonymous"
        # adding a choice is fine; so is a new question, and removing an unanswered one
        service.edit_question(staff, ids["single_choice"], "Plan?", True,
                              ["Free", "Pro", "Team", "Enterprise"])
        extra = service.add_question(staff, survey.id, "text", "One more thing?", False)
        service.remove_question(staff, extra.id)
        reloaded = service.load_survey(survey.id)
        assert reloaded.questions[0].prompt == "How likely are you to recommend Voice?"
        assert reloaded.questions[4].choices == ["Free", "Pro", "Team", "Enterprise"]
        assert len(reloaded.questions) == 7
        assert counts()[0] == 1


def test_duplicate_copies_questions_but_not_answers(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff, description="Intro")
        service.submit_response(survey.id, customer, good_answers(survey))
        copy = service.duplicate_survey(staff, survey.id)
        assert copy.id != survey.id and copy.status == "draft"
        assert copy.title == "Copy of Quarterly check-in" and copy.description == "Intro"
        assert [(q.kind, q.prompt, q.choices) for q in copy.questions] == [
            (q.kind, q.prompt, q.choices) for q in survey.questions]
        assert copy.response_count == 0
        assert service.survey_results(copy.id)["questions"][0]["answered"] == 0


# --- answering ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "bad"),
    [
        ("nps", -1), ("nps", 11), ("nps", 9.0), ("nps", True), ("nps", "9"),
        ("csat", 0), ("csat", 6), ("ces", 0), ("ces", 8), ("rating", 0), ("rating", 6),
        ("rating", 4.5), ("single_choice", "Enterprise"), ("single_choice", ["Pro"]),
        ("multi_choice", ["Editor", "Editor"]), ("multi_choice", ["Nope"]),
        ("multi_choice", "Editor"), ("multi_choice", [1]), ("text", "x" * 5001),
        ("text", 42),
    ],
)
def test_each_kind_refuses_bad_values_and_stores_nothing(app, staff, customer, kind, bad):
    with app.app_context():
        survey = factories.survey(staff)
        with pytest.raises(service.AnswersInvalid) as refused:
            service.submit_response(survey.id, customer, good_answers(survey, **{kind: bad}))
        assert refused.value.code == "invalid_answer"
        assert list(refused.value.errors) == [qids(survey)[kind]]
        assert refused.value.field == f"q{qids(survey)[kind]}"
        assert counts() == (0, 0, 0)


@pytest.mark.parametrize(
    ("kind", "edge"),
    [("nps", 0), ("nps", 10), ("csat", 1), ("csat", 5), ("ces", 1), ("ces", 7),
     ("rating", 1), ("rating", 5), ("single_choice", "Free"), ("multi_choice", ["API"]),
     ("text", "y" * 5000)],
)
def test_each_kind_takes_its_edge_values(app, staff, customer, kind, edge):
    with app.app_context():
        survey = factories.survey(staff)
        response = service.submit_response(survey.id, customer,
                                           good_answers(survey, **{kind: edge}))
        stored = db.session.scalar(select(Answer).where(
            Answer.response_id == response.id, Answer.question_id == qids(survey)[kind]))
        value = stored.choices if kind == "multi_choice" else (
            stored.text if kind in ("single_choice", "text") else stored.number)
        assert value == edge


def test_missing_required_answers_are_named(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff)
        ids = qids(survey)
        answers = good_answers(survey, nps=None, single_choice=None, text="   ")
        with pytest.raises(service.AnswersInvalid) as refused:
            service.submit_response(survey.id, customer, answers)
        assert refused.value.code == "answer_required"
        assert refused.value.errors == {ids["nps"]: "This question needs an answer.",
                                        ids["single_choice"]: "This question needs an answer."}
        assert counts() == (0, 0, 0)
        # optional questions may be left out
        response = service.submit_response(
            survey.id, customer, good_answers(survey, ces=None, rating=None,
                                              multi_choice=[], text=""))
        assert db.session.scalar(select(func.count(Answer.id)).where(
            Answer.response_id == response.id)) == 3


def test_answers_to_another_surveys_questions_are_refused(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff)
        other = factories.survey(staff, title="Other")
        answers = good_answers(survey)
        answers[qids(other)["text"]] = "sneaky"
        with pytest.raises(Invalid) as refused:
            service.submit_response(survey.id, customer, answers)
        assert refused.value.code == "unknown_question"
        with pytest.raises(Invalid):
            service.submit_response(survey.id, customer, {"abc": 1})
        with pytest.raises(Invalid):
            service.submit_response(survey.id, customer, ["not", "a", "mapping"])
        assert counts() == (0, 0, 0)


def test_draft_closed_and_out_of_window_surveys_take_no_answers(app, staff, customer):
    now = utcnow()
    with app.app_context():
        draft = factories.survey(staff, status="draft")
        closed = factories.survey(staff)
        service.close_survey(staff, closed.id)
        later = factories.survey(staff, opens_at=now + timedelta(days=1))
        ended = factories.survey(staff, opens_at=now - timedelta(days=3),
                                 closes_at=now + timedelta(days=1))
        for survey in (draft, closed, later):
            with pytest.raises(Conflict) as refused:
                service.submit_response(survey.id, customer, good_answers(survey))
            assert refused.value.code == "survey_closed"
        with pytest.raises(Conflict) as refused:
            service.submit_response(ended.id, customer, good_answers(ended),
                                    submitted_at=now + timedelta(days=2))
        assert refused.value.code == "survey_closed"
        with pytest.raises(NotFound):
            service.submit_response(999_999, customer, {})
        assert counts() == (0, 0, 0)
        listed = [s.id for s in service.open_surveys().items]
        assert listed == [ended.id]


def test_identified_surveys_take_one_response_per_customer(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff)
        first = service.submit_response(survey.id, customer, good_answers(survey))
        assert first.user_id == customer.id
        with pytest.raises(service.AlreadyResponded) as refused:
            service.submit_response(survey.id, customer, good_answers(survey, nps=0))
        assert refused.value.code == "already_responded" and refused.value.status == 409
        assert refused.value.responded_at == first.created_at
        with pytest.raises(service.AlreadyResponded):
            service.submit_response(survey.id, customer, good_answers(survey, nps=11))
        with pytest.raises(Unauthorized):
            service.submit_response(survey.id, None, good_answers(survey))
        view = service.survey_for_answering(survey.id, customer)
        assert view.responded_at == first.created_at
        assert counts()[0] == 1


def test_identified_double_submit_under_threads_keeps_one(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff)
        answers = good_answers(survey)

    results = run_in_threads(
        app, lambda i: service.submit_response(survey.id, customer, answers).id, 6)
    with app.app_context():
        assert sum(isinstance(r, int) for r in results) == 1
        assert all(isinstance(r, service.AlreadyResponded) for r in results
                   if not isinstance(r, int)), results
        assert counts()[0] == 1
        assert service.survey_results(survey.id)["questions"][0]["answered"] == 1
        assert_counts_exact(survey.id)


def test_anonymous_surveys_store_no_user_and_spend_each_token_once(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        with pytest.raises(Invalid) as refused:
            service.submit_response(survey.id, customer, good_answers(survey))
        assert refused.value.code == "token_required"
        token = service.response_token(survey.id, "browser-session-nonce")
        response = service.submit_response(survey.id, customer, good_answers(survey),
                                           anonymous_token=token)
        assert response.user_id is None
        with pytest.raises(service.AlreadyResponded):
            service.submit_response(survey.id, customer, good_answers(survey),
                                    anonymous_token=token)
        view = service.survey_for_answering(survey.id, customer, "browser-session-nonce")
        assert view.token_spent  # the page re-signs the same nonce: still spent
        with pytest.raises(service.AlreadyResponded):
            service.submit_response(survey.id, None, good_answers(survey),
                                    anonymous_token=view.token)
        # a new browser session may answer; a forged or foreign token may not
        other = service.response_token(survey.id, "another-session")
        service.submit_response(survey.id, None, good_answers(survey), anonymous_token=other)
        second_survey = factories.survey(staff, anonymous=True, title="Other")
        foreign = service.response_token(second_survey.id, "browser-session-nonce")
        for bad in (foreign, token[:-2] + "xx", "garbage"):
            with pytest.raises(Invalid) as refused:
                service.submit_response(survey.id, None, good_answers(survey),
                                        anonymous_token=bad)
            assert refused.value.code == "token_invalid"
        assert db.session.scalar(select(func.count(Response.id)).where(
            Response.user_id.is_not(None))) == 0
        assert db.session.scalar(select(func.count(UsedResponseToken.id))) == 2
        assert counts()[0] == 2


def test_one_anonymous_token_used_concurrently_counts_once(app, staff):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        answers = good_answers(survey)
        token = service.response_token(survey.id, "one-session")

    results = run_in_threads(
        app, lambda i: service.submit_response(survey.id, None, answers,
                                               anonymous_token=token).id, 6)
    with app.app_context():
        assert sum(isinstance(r, int) for r in results) == 1, results
        assert all(isinstance(r, service.AlreadyResponded) for r in results
                   if not isinstance(r, int)), results
        assert counts()[0] == 1
        assert_counts_exact(survey.id)


def test_a_signed_in_customer_answers_an_anonymous_survey_once(app, staff, customer,
                                                               make_user):
    """Only a cookie stopped it: each new browser session's token let one customer
    answer again. Now a keyed hash of the user id (no user id, no response id, no time)
    is kept apart from the answers, and a second response is 409 already_responded."""
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        answers = good_answers(survey)
        first = service.submit_response(survey.id, customer, answers,
                                        anonymous_token=service.response_token(survey.id))
        assert first.user_id is None
        with pytest.raises(service.AlreadyResponded) as refused:
            service.submit_response(survey.id, customer, answers,
                                    anonymous_token=service.response_token(survey.id))
        assert refused.value.code == "already_responded"
        assert str(refused.value) == "You already answered this survey."
        assert counts()[0] == 1
        # a fresh token was not spent by the refused try: another customer may use it
        spare = service.response_token(survey.id, "spare-session")
        other = make_user()
        service.submit_response(survey.id, other, answers, anonymous_token=spare)
        # signed out, the token rule alone applies (a new browser session may answer)
        service.submit_response(survey.id, None, answers,
                                anonymous_token=service.response_token(survey.id))
        assert counts()[0] == 3
        kept = db.session.execute(select(SurveyRespondent)).scalars().all()
        assert len(kept) == 2 and {row.survey_id for row in kept} == {survey.id}
        assert set(SurveyRespondent.__table__.c.keys()) == {"digest", "survey_id"}
        assert all(len(row.digest) == 64 for row in kept)  # hex HMAC-SHA256
        assert service.respondent_digest(survey.id, customer.id) in {r.digest for r in kept}
        # the key is the survey's: the same customer's digest differs per survey
        assert (service.respondent_digest(survey.id, customer.id)
                != service.respondent_digest(survey.id + 1, customer.id))
        # the answering page says so in any browser session
        view = service.survey_for_answering(survey.id, customer, "a-new-session")
        assert view.respondent and not view.token_spent
        assert not service.survey_for_answering(survey.id, make_user(), "x").respondent
        # another anonymous survey is another question
        second = factories.survey(staff, anonymous=True, title="Second")
        service.submit_response(second.id, customer, good_answers(second),
                                anonymous_token=service.response_token(second.id))


def test_one_customer_answering_an_anonymous_survey_from_two_places_at_once_counts_once(
        app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        answers = good_answers(survey)
        tokens = [service.response_token(survey.id, f"session-{i}") for i in range(6)]

    results = run_in_threads(
        app, lambda i: service.submit_response(survey.id, customer, answers,
                                               anonymous_token=tokens[i]).id, 6)
    with app.app_context():
        assert sum(isinstance(r, int) for r in results) == 1, results
        assert all(isinstance(r, service.AlreadyResponded) for r in results
                   if not isinstance(r, int)), results
        assert counts()[0] == 1
        assert db.session.scalar(select(func.count()).select_from(SurveyRespondent)) == 1
        assert_counts_exact(survey.id)


def test_many_anonymous_responses_at_once_lose_no_tally(app, staff):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        answers = good_answers(survey)

    def answer(i):
        token = service.response_token(survey.id, f"session-{i}")
        return service.submit_response(survey.id, None, answers, anonymous_token=token).id

    results = run_in_threads(app, answer, 12)
    with app.app_context():
        assert all(isinstance(r, int) for r in results), results  # no deadlock, no error
        results_now = service.survey_results(survey.id)
        assert results_now["responses"] == 12
        assert results_now["questions"][0]["distribution"]["9"] == 12
        assert_counts_exact(survey.id)


def test_a_refused_answer_leaves_the_token_unspent(app, staff):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        token = service.response_token(survey.id, "one-session")
        with pytest.raises(service.AnswersInvalid):
            service.submit_response(survey.id, None, good_answers(survey, nps=11),
                                    anonymous_token=token)
        assert db.session.scalar(select(func.count(UsedResponseToken.id))) == 0
        service.submit_response(survey.id, None, good_answers(survey), anonymous_token=token)
        with pytest.raises(service.AlreadyResponded) as refused:  # a replay, even invalid
            service.submit_response(survey.id, None, good_answers(survey, nps=11),
                                    anonymous_token=token)
        assert refused.value.message == (
            "This survey was already answered from this browser session.")
        assert counts()[0] == 1
        assert_counts_exact(survey.id)


def test_the_returned_response_needs_no_query(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff)
        response = service.submit_response(survey.id, customer, good_answers(survey))
        with counting_statements(app) as statements:
            seen = (response.id, response.survey_id, response.user_id, response.created_at)
        assert statements == []
        stored = db.session.get(Response, response.id)
        assert seen == (stored.id, stored.survey_id, stored.user_id, stored.created_at)


def _start(app, name: str, work) -> tuple[threading.Thread, list]:
    """Run ``work()`` on a thread of its own app context; the list gets its result."""
    outcome: list = []

    def runner() -> None:
        with app.app_context():
            try:
                outcome.append(work())
            except Exception as error:  # noqa: BLE001 - returned for the test to inspect
                outcome.append(error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=runner, name=name)
    thread.start()
    return thread, outcome


def test_responses_to_one_survey_overlap_on_postgresql(app, staff, backend):
    """A second response commits while the first is still inside its transaction (in
    its subscribers): the survey row is not held FOR UPDATE by a response. SQLite has
    one writer at a time (BEGIN IMMEDIATE): there the second waits for the first."""
    overlaps = backend == "postgresql"
    with app.app_context():
        # routing's first signal creates the triage team; two first signals would
        # queue on its unique name, which is not what this test is about
        admin_service.ensure_defaults()
        survey = factories.survey(staff, anonymous=True)
        answers = good_answers(survey)
        tokens = [service.response_token(survey.id, f"s{i}") for i in range(2)]
    first_inside, second_done = threading.Event(), threading.Event()
    waited: list[bool] = []

    def hold_the_first(response, **_extra):
        if threading.current_thread().name == "first":
            first_inside.set()
            waited.append(second_done.wait(10 if overlaps else 1))

    def second():
        try:
            return service.submit_response(survey.id, None, answers,
                                           anonymous_token=tokens[1]).id
        finally:
            second_done.set()

    with signals.survey_response_submitted.connected_to(hold_the_first):
        first, first_outcome = _start(app, "first", lambda: service.submit_response(
            survey.id, None, answers, anonymous_token=tokens[0]).id)
        assert first_inside.wait(10)
        other, second_outcome = _start(app, "second", second)
        first.join(30)
        other.join(30)
    assert waited == [overlaps], "whether the second committed inside the first"
    assert all(isinstance(r, int) for r in first_outcome + second_outcome)
    with app.app_context():
        assert service.survey_results(survey.id)["responses"] == 2
        assert_counts_exact(survey.id)


def test_closing_waits_for_the_responses_in_flight(app, staff):
    """A close that starts while a response is in its transaction waits for it: the
    response is stored and counted, and the survey is closed after it."""
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        answers = good_answers(survey)
        token = service.response_token(survey.id, "s")
    first_inside, close_started, close_done = (threading.Event(), threading.Event(),
                                               threading.Event())
    closed_meanwhile: list[bool] = []

    def hold(response, **_extra):
        first_inside.set()
        close_started.wait(10)
        time.sleep(0.5)  # time enough for the close to finish, were it not waiting
        closed_meanwhile.append(close_done.is_set())

    def close():
        close_started.set()
        try:
            return service.close_survey(staff, survey.id).status
        finally:
            close_done.set()

    with signals.survey_response_submitted.connected_to(hold):
        answering, answered = _start(app, "answer", lambda: service.submit_response(
            survey.id, None, answers, anonymous_token=token).id)
        assert first_inside.wait(10)
        closing, closed = _start(app, "close", close)
        answering.join(30)
        closing.join(30)
    assert closed_meanwhile == [False]
    assert isinstance(answered[0], int) and closed == ["closed"]
    with app.app_context():
        assert service.load_survey(survey.id).response_count == 1
        assert_counts_exact(survey.id)
        later = service.response_token(survey.id, "later")
        with pytest.raises(Conflict) as refused:
            service.submit_response(survey.id, None, answers, anonymous_token=later)
        assert refused.value.code == "survey_closed"


# --- the signal ---------------------------------------------------------------------------


def test_a_response_sends_the_signal_inside_its_transaction(app, staff, customer):
    seen = []

    def listener(response, survey, answers):
        # the rows are written (flushed) and not yet committed
        seen.append((response.id, survey.id, sorted(a.question_id for a in answers),
                     db.session().in_transaction()))

    with app.app_context():
        survey = factories.survey(staff)
        with signals.survey_response_submitted.connected_to(listener):
            response = service.submit_response(survey.id, customer, good_answers(survey))
        assert seen == [(response.id, survey.id, sorted(qids(survey).values()), True)]


def test_a_failing_subscriber_undoes_the_response(app, staff, customer):
    def boom(response, **kwargs):
        raise RuntimeError("routing failed")

    with app.app_context():
        survey = factories.survey(staff)
        with signals.survey_response_submitted.connected_to(boom), pytest.raises(RuntimeError):
            service.submit_response(survey.id, customer, good_answers(survey))
        assert counts() == (0, 0, 0)
        assert service.load_survey(survey.id).response_count == 0


# --- results ------------------------------------------------------------------------------


def test_results_against_hand_computed_values(app, staff):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True, opens_at=datetime(2025, 1, 1))
        rows = [
            {"nps": 10, "csat": 5, "ces": 1, "single_choice": "Pro",
             "multi_choice": ["Editor", "API"], "text": "Great"},
            {"nps": 9, "csat": 4, "ces": 2, "single_choice": "Pro", "multi_choice": ["API"]},
            {"nps": 8, "csat": 3, "ces": 7, "single_choice": "Free"},
            {"nps": 6, "csat": 2, "single_choice": "Team", "text": "Slow exports"},
            {"nps": 0, "csat": 1, "rating": 3, "single_choice": "Free"},
        ]
        factories.anonymous_responses(survey, rows)
        results = service.survey_results(survey.id)
        assert results["responses"] == 5
        by_kind = {q["kind"]: q for q in results["questions"]}
        nps = by_kind["nps"]
        assert nps["answered"] == 5
        assert nps["distribution"] == {"0": 1, "1": 0, "2": 0, "3": 0, "4": 0, "5": 0,
                                       "6": 1, "7": 0, "8": 1, "9": 1, "10": 1}
        # 2 promoters, 1 passive, 2 detractors: NPS 0. Adjusted Wald: n + 3 = 8,
        # p = d = 2.75 / 8 = 0.34375; var = 0.6875; MoE = 1.96 * sqrt(0.6875 / 8)
        # = 1.96 * 0.293151 = 0.574576: -57.5 .. 57.5
        assert nps["nps"] == {"score": 0.0, "promoters": 2, "passives": 1, "detractors": 2,
                              "margin_of_error": 57.5, "low": -57.5, "high": 57.5}
        assert nps["few_answers"] is True
        assert nps["mean"] == 6.6  # 33 / 5
        assert by_kind["csat"]["csat"] == {"score": 40.0}  # 2 of 5 are 4-5
        assert by_kind["csat"]["mean"] == 3.0
        assert by_kind["ces"]["answered"] == 3 and by_kind["ces"]["mean"] == 3.33  # 10 / 3
        assert by_kind["rating"]["mean"] == 3.0
        assert by_kind["single_choice"]["distribution"] == {"Free": 2, "Pro": 2, "Team": 1}
        assert by_kind["multi_choice"]["answered"] == 2
        assert by_kind["multi_choice"]["distribution"] == {"Editor": 1, "Reports": 0,
                                                           "API": 2}
        assert by_kind["text"]["answered"] == 2 and by_kind["text"]["distribution"] == {}
        assert "nps" not in by_kind["csat"] and "csat" not in by_kind["nps"]


def test_displayed_figures_round_exact_halves_up(app, staff):
    # CES 1, 1, 1, 1, 1, 2, 3, 7: mean 17 / 8 = 2.125 exactly; round() would say 2.12
    survey = factories.survey(staff, ["ces"], anonymous=True)
    factories.anonymous_responses(survey, [{"ces": v} for v in (1, 1, 1, 1, 1, 2, 3, 7)])
    with app.app_context():
        assert service.survey_results(survey.id)["questions"][0]["mean"] == 2.13


def test_tallies_match_a_rebuild_from_the_answers(app, staff):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True, opens_at=datetime(2025, 1, 1))
        factories.anonymous_responses(survey, [
            {"nps": n % 11, "csat": 1 + n % 5, "single_choice": ["Free", "Pro"][n % 2],
             "multi_choice": [["Editor"], ["API", "Reports"]][n % 2], "text": f"t{n}"}
            for n in range(30)
        ], start=datetime(2025, 3, 1))
        before = service.survey_results(survey.id)
        trend_before = service.nps_trend(survey.id)
        tallies = sorted(db.session.execute(
            select(Tally.question_id, Tally.week, Tally.value, Tally.count)).all())
        db.session.execute(Tally.__table__.delete())
        db.session.commit()
        assert service.survey_results(survey.id) != before
        service.rebuild_tallies(survey.id)
        assert sorted(db.session.execute(
            select(Tally.question_id, Tally.week, Tally.value, Tally.count)).all()) == tallies
        assert service.survey_results(survey.id) == before
        assert service.nps_trend(survey.id) == trend_before


def test_weekly_nps_trend(app, staff):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True, opens_at=datetime(2025, 1, 1))
        # Monday 3 Mar 2025: 10, 10, 0 -> 2 promoters, 1 detractor of 3: NPS 33.3
        # the week of 10 Mar: nothing; the week of 17 Mar (Wednesday 19th): 6 -> -100
        for moment, score in [(datetime(2025, 3, 3, 9), 10), (datetime(2025, 3, 9, 23), 10),
                              (datetime(2025, 3, 5), 0), (datetime(2025, 3, 19), 6)]:
            token = service.response_token(survey.id, moment.isoformat())
            answers = good_answers(survey, nps=score)
            service.submit_response(survey.id, None, answers, anonymous_token=token,
                                    submitted_at=moment)
        trend = service.nps_trend(survey.id)
        assert trend["question_id"] == qids(survey)["nps"]
        points = trend["points"]
        assert [p["week"] for p in points] == ["2025-03-03", "2025-03-10", "2025-03-17"]
        assert [p["n"] for p in points] == [3, 0, 1]
        assert [p["score"] for p in points] == [33.3, None, -100.0]
        # Adjusted Wald: n + 3 = 6, p = 2.75 / 6, d = 1.75 / 6; centre 1/6; var = 4.5/6
        # - 1/36 = 0.722222; 1.96 * sqrt(0.722222 / 6) = 0.680011: -51.3 .. 84.7
        # (the plain Wald said +/- 106.7)
        assert points[0]["margin_of_error"] == 68.0
        assert (points[0]["low"], points[0]["high"]) == (-51.3, 84.7)
        assert points[0]["few_answers"] is True and points[1]["few_answers"] is False
        no_nps = factories.survey(staff, questions=[EVERY_KIND[1]], title="CSAT only")
        assert service.nps_trend(no_nps.id) == {"question_id": None, "points": []}


def test_text_answers_are_searchable_and_paged(app, staff):
    with app.app_context():
        survey = factories.survey(staff, anonymous=True)
        texts = ["Exports are slow", "Love the editor", "slow sync on mobile",
                 "100% happy", "Fine"] * 3
        factories.anonymous_responses(survey, [
            {"nps": 9, "csat": 4, "single_choice": "Pro", "text": t} for t in texts])
        question = qids(survey)["text"]
        first = service.text_answers(survey.id, question, per_page=4)
        assert first.total == 15 and first.pages == 4
        assert [a["text"] for a in first.items] == ["Fine", "100% happy",
                                                    "slow sync on mobile", "Love the editor"]
        slow = service.text_answers(survey.id, question, "SLOW", per_page=4)
        assert slow.total == 6 and len(slow.items) == 4
        assert all("slow" in a["text"].lower() for a in slow.items)
        percent = service.text_answers(survey.id, question, "100%")
        assert [a["text"] for a in percent.items] == ["100% happy"] * 3
        with pytest.raises(NotFound):
            service.text_answers(survey.id, qids(survey)["nps"])


def test_csv_export_has_every_response(app, staff, customer, make_user):
    with app.app_context():
        survey = factories.survey(staff)
        service.submit_response(survey.id, customer, good_answers(survey))
        other = make_user()
        service.submit_response(survey.id, other, good_answers(
            survey, multi_choice=["API", "Editor"], text="=HYPERLINK(\"evil\")", ces=None))
        rows = list(csv.reader(io.StringIO(service.export_csv(survey.id))))
        assert rows[0][:3] == ["response_id", "submitted_at", "user_id"]
        assert rows[0][3] == "Q1 How likely are you to recommend us to a friend?"
        assert len(rows) == 3 and len(rows[0]) == 10
        assert rows[1][2:] == [str(customer.id), "9", "4", "2", "5", "Pro", "Editor; API",
                               "Lovely."]
        # choices in the offered order; a formula is defused; a skipped answer is blank
        assert rows[2][2:] == [str(other.id), "9", "4", "", "5", "Pro", "Editor; API",
                               "'=HYPERLINK(\"evil\")"]
        assert rows[1][1].endswith("Z")


# --- who may read results, and the shared rules (issue 12) --------------------------------


def test_results_reads_check_staff_in_the_service(app, staff, customer):
    with app.app_context():
        survey = factories.survey(staff)
        service.submit_response(survey.id, customer, good_answers(survey))
        text = qids(survey)["text"]
        reads = [
            lambda actor: service.survey_results(survey.id, actor=actor),
            lambda actor: service.nps_trend(survey.id, actor=actor),
            lambda actor: service.text_answers(survey.id, text, actor=actor),
            lambda actor: service.export_csv(survey.id, actor=actor),
            lambda actor: service.survey_report(actor, survey.id),
        ]
        for read in reads:
            for outsider in (customer, None):
                with pytest.raises(Forbidden) as refused:
                    read(outsider)
                assert refused.value.code == "forbidden"
            assert read(staff)
        # the check comes before the lookup: an outsider learns nothing of other ids
        with pytest.raises(Forbidden):
            service.survey_results(999_999, actor=customer)
        with pytest.raises(NotFound):
            service.survey_results(999_999, actor=staff)
        # an in-process caller passing no actor (benchmarks, tests) reads as before
        assert service.survey_results(survey.id) == service.survey_results(survey.id,
                                                                            actor=staff)


def test_an_unknown_area_is_unknown_area(app, staff):
    with app.app_context():
        with pytest.raises(Invalid) as refused:
            factories.survey(staff, area_slug="no-such-area")
        assert (refused.value.code, refused.value.field) == ("unknown_area", "area")
        survey = factories.survey(staff, status="draft")
        with pytest.raises(Invalid) as refused:
            service.update_survey(staff, survey.id, survey.title, "", False, "nope", None,
                                  None)
        assert (refused.value.code, refused.value.field) == ("unknown_area", "area")


def test_csv_export_defuses_every_formula_lead(app, staff, customer, make_user):
    with app.app_context():
        survey = factories.survey(staff)
        leads = ["=1+1", "+1", "-1", "@SUM(A1)", "|cmd", "%0A", "plain"]
        for text in leads:
            service.submit_response(survey.id, make_user(), good_answers(survey, text=text))
        rows = list(csv.reader(io.StringIO(service.export_csv(survey.id, actor=staff))))
        assert [row[-1] for row in rows[1:]] == ["'=1+1", "'+1", "'-1", "'@SUM(A1)", "'|cmd",
                                                 "'%0A", "plain"]


def test_validate_answers_keeps_its_shape(app, staff):
    with app.app_context():
        survey = factories.survey(staff)
        ids = qids(survey)
        cleaned = service.validate_answers(list(survey.questions), {
            str(ids["nps"]): 9, ids["csat"]: 4, ids["single_choice"]: "Pro",
            ids["multi_choice"]: ["API", "Editor"], ids["text"]: " hi\x00 "})
        assert [(q.kind, number, text, choices) for q, number, text, choices in cleaned] == [
            ("nps", 9, None, None), ("csat", 4, None, None), ("single_choice", None, "Pro", None),
            ("multi_choice", None, None, ["Editor", "API"]), ("text", None, "hi", None)]
