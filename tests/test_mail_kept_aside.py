"""The staff page of mail kept aside (/admin/mail): list, attach, dismiss, the count.

Mails are stored by the receiver (tests.factories.inbound_mail); staff read them with
their reason, paged, attach one to a case (the customer's message when its sender owns
the case, else an internal note quoting it) or dismiss it; the staff navigation shows
how many wait. Wrong input re-renders with the sentence and what was typed; two staff
acting at once handle a mail once.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import run_in_threads
from voice.accounts.models import User
from voice.admin import service as staff_side
from voice.admin.models import AuditEntry, CaseNote, InboundMail
from voice.errors import Conflict
from voice.extensions import db
from voice.mail import reply_tokens


@pytest.fixture
def app_config():
    # The navigation's count is read on every page here, so each test sees its changes.
    return {"MAIL_FROM": "Voice <voice@voice.example>", "REPLY_ADDRESS": "reply@voice.example",
            "INBOUND_COUNT_SECONDS": 0}


def mail_row(app, mail_id: int) -> InboundMail:
    with app.app_context():
        row = db.session.get(InboundMail, mail_id)
        db.session.expunge(row)
        return row


def notes(app, case_id: int, kind: str) -> list[CaseNote]:
    with app.app_context():
        found = list(db.session.scalars(select(CaseNote).where(
            CaseNote.case_id == case_id, CaseNote.kind == kind)))
        db.session.expunge_all()
        return found


def test_staff_see_each_kept_aside_mail_with_its_reason_and_the_count(app, login, staff,
                                                                     customer):
    factories.inbound_mail(customer.email, body="Where is my <b>refund</b>?",
                           subject="Re: refund")
    factories.inbound_mail("stranger@example.net", body="Hello?")
    page = login(staff).get("/admin/mail")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Mail kept aside" in html and "Re: refund" in html
    assert "Where is my &lt;b&gt;refund&lt;/b&gt;?" in html  # plain text, escaped
    assert html.count(f"Kept aside: {reply_tokens.UNSIGNED}") == 2
    assert f'href="/admin/customers/{customer.id}"' in html  # a known sender links
    assert re.search(r'Mail kept aside <span class="nav-count">\(2\)</span>', html)
    # The count is in the navigation of every staff page.
    assert "Mail kept aside <span class=\"nav-count\">(2)</span>" in login(staff).get(
        "/admin/audit").get_data(as_text=True)


def test_the_list_is_paged_newest_first(app, login, staff):
    for number in range(21):
        factories.inbound_mail(f"sender{number}@example.net", subject=f"Mail number {number}")
    browser = login(staff)
    first = browser.get("/admin/mail").get_data(as_text=True)
    assert "Mail number 20" in first and "Mail number 1<" in first
    assert "Mail number 0<" not in first and "Page 1 of 2" in first
    second = browser.get("/admin/mail?page=2").get_data(as_text=True)
    assert "Mail number 0<" in second and "Mail number 20" not in second
    assert browser.get("/admin/mail?page=x").status_code == 400


def test_only_staff_open_the_page(app, login, customer):
    assert login(customer).get("/admin/mail").status_code == 403
    assert login().get("/admin/mail").status_code in (302, 401)


def test_attaching_the_case_customer_s_mail_posts_it_as_their_message(app, login, staff,
                                                                      customer):
    case_id = factories.case(customer_id=customer.id)
    mail_id = factories.inbound_mail(customer.email.upper(), body="It still fails in March.")
    browser = login(staff)
    answer = browser.post(f"/admin/mail/{mail_id}/attach",
                          data={f"mail-{mail_id}-case_id": str(case_id),
                                f"mail-{mail_id}-csrf_token": browser.csrf_token("/admin/mail")})
    assert answer.status_code == 302
    [message] = notes(app, case_id, "customer")
    assert (message.body, message.via, message.author_id) == (
        "It still fails in March.", "mail", customer.id)
    row = mail_row(app, mail_id)
    assert (row.status, row.case_id, row.handled_by_id) == ("attached", case_id, staff.id)
    page = browser.get("/admin/mail").get_data(as_text=True)
    assert "as the customer&#39;s message" in page or "as the customer's message" in page
    assert "No mail is kept aside" in page and "nav-count" not in page


def test_attaching_someone_else_s_mail_adds_an_internal_note_quoting_it(app, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    mail_id = factories.inbound_mail("colleague@example.net", body="Line one\nLine two",
                                     subject="About Ann's case")
    with app.app_context():
        how = staff_side.attach_inbound(db.session.get(User, staff.id), mail_id, case_id)
    assert how == "note"
    [note] = notes(app, case_id, "note")
    assert note.body.startswith("Mail from colleague@example.net")
    assert "> Line one\n> Line two" in note.body and "About Ann's case" in note.body
    assert notes(app, case_id, "customer") == []
    with app.app_context():
        actions = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.target_type == "inbound_mail")).all()
    assert actions == ["inbound.attach"]


def test_a_wrong_case_number_re_renders_with_the_sentence_and_what_was_typed(app, login,
                                                                            staff):
    mail_id = factories.inbound_mail("someone@example.net")
    browser = login(staff)
    field = f"mail-{mail_id}-case_id"
    token = browser.csrf_token("/admin/mail")
    missing = browser.post(f"/admin/mail/{mail_id}/attach",
                           data={field: "424242", f"mail-{mail_id}-csrf_token": token})
    assert missing.status_code == 400
    html = missing.get_data(as_text=True)
    assert "There is no case #424242." in html and 'value="424242"' in html
    letters = browser.post(f"/admin/mail/{mail_id}/attach",
                           data={field: "abc", f"mail-{mail_id}-csrf_token": token})
    assert letters.status_code == 400
    assert 'aria-invalid="true"' in letters.get_data(as_text=True)
    assert mail_row(app, mail_id).status == "kept_aside"


def test_dismissing_keeps_the_mail_stored_and_a_second_dismiss_is_refused(app, login, staff):
    mail_id = factories.inbound_mail("someone@example.net")
    browser = login(staff)
    answer = browser.post(f"/admin/mail/{mail_id}/dismiss")
    assert answer.status_code == 302
    row = mail_row(app, mail_id)
    assert (row.status, row.handled_by_id) == ("dismissed", staff.id)
    again = browser.post(f"/admin/mail/{mail_id}/dismiss")
    assert again.status_code == 409
    assert "already handled" in again.get_data(as_text=True)
    assert browser.post("/admin/mail/999999/dismiss").status_code == 404


def test_a_form_without_its_csrf_token_is_refused(app, login, staff):
    mail_id = factories.inbound_mail("someone@example.net")
    browser = login(staff)
    assert browser.client.post(f"/admin/mail/{mail_id}/dismiss").status_code == 400
    assert mail_row(app, mail_id).status == "kept_aside"


def test_two_staff_attaching_one_mail_at_once_handle_it_once(app, staff, make_user, customer):
    other = make_user("staff")
    case_id = factories.case(customer_id=customer.id)
    mail_id = factories.inbound_mail(customer.email, body="Twice?")
    people = [staff.id, other.id]

    def attach(index: int) -> str:
        return staff_side.attach_inbound(db.session.get(User, people[index]), mail_id, case_id)

    results = run_in_threads(app, attach, 2)
    assert "message" in results, results
    [refused] = [r for r in results if r != "message"]
    assert isinstance(refused, Conflict) and refused.code == "already_handled"
    assert len(notes(app, case_id, "customer")) == 1


def test_the_navigation_count_is_cached_per_worker_and_forgotten_on_change(app, login, staff):
    app.config["INBOUND_COUNT_SECONDS"] = 3600
    factories.inbound_mail("one@example.net")
    factories.inbound_mail("two@example.net")
    browser = login(staff)
    assert "(2)</span>" in browser.get("/admin/audit").get_data(as_text=True)
    with app.app_context():  # another worker's change: this one keeps its count a while
        db.session.execute(InboundMail.__table__.update().values(status="dismissed"))
        db.session.commit()
    assert "(2)</span>" in browser.get("/admin/audit").get_data(as_text=True)
    factories.inbound_mail("three@example.net")  # this worker's receiver: read again
    assert "(1)</span>" in browser.get("/admin/audit").get_data(as_text=True)
