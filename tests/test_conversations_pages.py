"""The conversation pages (issue 14): "My conversations" and a thread for the customer, the
whole thread and the saved-reply picker on the staff case page. On every database."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from tests import factories
from voice.admin import service as staff_side
from voice.admin.models import Case, CaseNote
from voice.clock import utcnow
from voice.extensions import db

T0 = utcnow().replace(microsecond=0) - timedelta(days=3)
HOUR = timedelta(hours=1)


def row(app, model, ident):
    return factories.detached(model, ident)


def kinds(app, case_id: int) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(CaseNote.kind).where(CaseNote.case_id == case_id)
                                       .order_by(CaseNote.created_at, CaseNote.id)))


# --- the customer's pages -------------------------------------------------------------------


def test_my_conversations_lists_threads_with_the_state_in_customer_words(
        app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id, title="Quarterly check-in")
    factories.staff_message(staff, case_id, "Could you tell us more?", state="waiting")
    browser = login(customer)
    page = browser.get("/me/conversations").get_data(as_text=True)
    assert "Your survey answer “Quarterly check-in”" in page
    assert "Waiting for your answer" in page and "New reply" in page
    assert "Could you tell us more?" in page
    assert f'href="/me/conversations/{case_id}"' in page
    profile = browser.get("/me").get_data(as_text=True)
    assert 'href="/me/conversations"' in profile


def test_the_thread_page_shows_staff_names_and_hides_internal_notes(app, login, staff,
                                                                    customer):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        staff_side.change_case(staff, case_id, note="Internal: VIP, be nice.")
    factories.staff_message(staff, case_id, "Hello from *support*.")
    page = login(customer).get(f"/me/conversations/{case_id}").get_data(as_text=True)
    assert staff.display_name in page and "<em>support</em>" in page
    assert "VIP" not in page and "Internal note" not in page


def test_the_customer_answers_on_the_page_and_the_case_goes_back_to_work(
        app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "Which plan are you on?", state="waiting")
    browser = login(customer)
    sent = browser.post(f"/me/conversations/{case_id}", data={"body": "The **Pro** plan."})
    assert sent.status_code == 302
    page = browser.get(sent.headers["Location"]).get_data(as_text=True)
    assert "<strong>Pro</strong>" in page and "The team has your answer" in page
    assert row(app, Case, case_id).state == "in_progress"


def test_an_answer_refused_keeps_what_was_typed(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "Hi")
    browser = login(customer)
    empty = browser.post(f"/me/conversations/{case_id}", data={"body": "  "})
    assert empty.status_code == 400 and "Write your message first." in empty.get_data(
        as_text=True)
    long_text = "typed words " * 2000  # 24,000 characters
    refused = browser.post(f"/me/conversations/{case_id}", data={"body": long_text})
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "at most 20,000 characters" in html
    assert long_text.strip() in html  # the textarea still holds it
    assert kinds(app, case_id) == ["reply"]


def test_a_ten_megabyte_answer_is_refused_before_it_is_read(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "Hi")
    browser = login(customer)
    huge = browser.post(f"/me/conversations/{case_id}",
                        data={"body": "z" * (10 * 1024 * 1024)})
    assert huge.status_code == 413
    assert kinds(app, case_id) == ["reply"]


def test_another_customers_thread_is_a_404_on_the_page(app, login, staff, customer,
                                                       make_user):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "Private reply")
    browser = login(make_user("customer"))
    assert browser.get(f"/me/conversations/{case_id}").status_code == 404
    assert browser.post(f"/me/conversations/{case_id}", data={"body": "hi"}).status_code == 404
    assert "Private reply" not in browser.get("/me/conversations").get_data(as_text=True)
    assert kinds(app, case_id) == ["reply"]


def test_message_markdown_is_sanitised_on_both_sides(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "Hi")
    with app.app_context():
        staff_side.post_customer_message(
            customer, case_id, '<script>alert(1)</script> [x](javascript:alert(2)) **ok**')
    for who, path in ((customer, f"/me/conversations/{case_id}"),
                      (staff, f"/admin/cases/{case_id}")):
        html = login(who).get(path).get_data(as_text=True)
        assert "<strong>ok</strong>" in html
        assert "<script>alert" not in html and "&lt;script&gt;alert(1)" in html
        assert 'href="javascript' not in html


# --- the staff case page --------------------------------------------------------------------


def test_the_staff_page_shows_the_whole_thread_in_order(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id, occurred_at=T0)
    with app.app_context():
        staff_side.change_case(staff, case_id, note="Looks like the export bug.",
                               now=T0 + HOUR)
        staff_side.post_staff_message(staff, case_id, "Could you send a screenshot?",
                                      state="waiting", now=T0 + 2 * HOUR)
        staff_side.post_customer_message(customer, case_id, "Here it is.", now=T0 + 3 * HOUR)
    html = login(staff).get(f"/admin/cases/{case_id}").get_data(as_text=True)
    thread = html[html.index('class="plain thread case-thread"'):]
    order = [thread.index(text) for text in (
        "Looks like the export bug.", "Could you send a screenshot?",
        "New → Waiting on customer", "Here it is.", "Waiting on customer → In progress")]
    assert order == sorted(order)
    assert "Internal note" in thread and "Reply to the customer" in thread
    assert f'href="/admin/customers/{customer.id}"' in html


def test_the_staff_page_says_the_clock_is_stopped_while_waiting(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id, occurred_at=T0 - 10 * 24 * HOUR)
    factories.staff_message(staff, case_id, "Waiting on you", state="waiting")
    html = login(staff).get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert "data-clock-stopped" in html and "Overdue" not in html


def test_the_staff_page_sends_a_message_and_waits_on_the_customer(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    browser = login(staff)
    team_id = row(app, Case, case_id).team_id
    saved = browser.post(f"/admin/cases/{case_id}", data={
        "state": "waiting", "reply": "Can you try again?", "team_id": str(team_id),
        "assignee_id": ""})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    case = row(app, Case, case_id)
    assert case.state == "waiting" and case.waiting_since is not None
    assert case.last_message_preview == "Can you try again?"


def test_a_template_prefills_the_reply_without_javascript(app, login, staff, admin, customer):
    case_id = factories.case(customer_id=customer.id, title="Slow exports")
    team_id = row(app, Case, case_id).team_id
    template_id = factories.reply_template(admin, team_id, "Thanks",
                                           "Hi {customer}, thanks for {title}.")
    browser = login(staff)
    page = browser.get(f"/admin/cases/{case_id}").get_data(as_text=True)
    assert re.search(rf'<option value="{template_id}"[^>]*>Thanks</option>', page)
    filled = browser.get(f"/admin/cases/{case_id}?template={template_id}").get_data(
        as_text=True)
    textarea = re.search(r'<textarea[^>]*name="reply"[^>]*>(.*?)</textarea>', filled, re.S)
    assert textarea and textarea.group(1).strip() == (
        f"Hi {customer.display_name}, thanks for Slow exports.")


def test_a_template_of_another_team_or_none_is_refused_with_a_message(app, login, staff,
                                                                      admin, customer):
    case_id = factories.case(customer_id=customer.id)
    other_team = factories.team(admin, "Mobile")
    foreign = factories.reply_template(admin, other_team, "Mobile", "Mobile only")
    browser = login(staff)
    for value in (str(foreign), "abc", "99999999999"):
        page = browser.get(f"/admin/cases/{case_id}?template={value}")
        html = page.get_data(as_text=True)
        assert page.status_code == 200 and "Mobile only" not in html
        assert 'class="flash flash-error"' in html


def test_staff_reopen_a_case_whose_source_is_gone(app, login, staff, customer):
    case_id = factories.case(customer_id=customer.id, source="idea_created", source_id=424242)
    with app.app_context():
        staff_side.change_case(staff, case_id, state="closed", reply="Closing this.")
    browser = login(staff)
    team_id = row(app, Case, case_id).team_id
    saved = browser.post(f"/admin/cases/{case_id}", data={
        "state": "in_progress", "team_id": str(team_id), "assignee_id": ""})
    assert saved.status_code == 302
    assert row(app, Case, case_id).state == "in_progress"
    assert "is gone" in browser.get(f"/admin/cases/{case_id}").get_data(as_text=True)
