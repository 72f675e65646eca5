"""Receiving replies without a server: each mail matched to its case or kept aside.

``voice.admin.inbound.receive`` on mails built here: a signed reply from the case's
customer lands as their message (and reopens a closed case); every other mail is kept
aside with its reason (unsigned, forged, expired, wrong sender, another customer's case,
case gone, empty after stripping, automatic, too large, refused by the service,
unreadable); a mail stored twice, also by two receivers at once, is stored once.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.conftest import run_in_threads
from voice.admin import inbound
from voice.admin import service as staff_side
from voice.admin.models import Case, CaseNote, InboundMail
from voice.clock import utcnow
from voice.extensions import db
from voice.mail import reply_address, reply_tokens
from voice.mail.inbound import RawMail


@pytest.fixture
def app_config():
    return {"MAIL_FROM": "Voice <voice@voice.example>", "REPLY_ADDRESS": "reply@voice.example"}


def reply(sender: str, to: str, body: str = "It works now, thanks!", *,
          in_reply_to: str = "", message_id: str | None = None, **headers: str) -> RawMail:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    message["Subject"] = headers.pop("Subject", "Re: Your feedback got a reply")
    message["Message-ID"] = message_id or f"<{utcnow().timestamp()}.{id(body)}@mail.example>"
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body + "\n\nOn Mon, 3 Jun 2024, Voice wrote:\n> Did it work?\n")
    return RawMail(message.as_bytes())


@pytest.fixture
def conversation(app, customer):
    return factories.mailed_case(customer)


def stored(app) -> list[InboundMail]:
    return factories.detached_all(select(InboundMail).order_by(InboundMail.id))


def messages_on(app, case_id: int) -> list[CaseNote]:
    return factories.detached_all(select(CaseNote).where(
        CaseNote.case_id == case_id, CaseNote.kind == "customer").order_by(CaseNote.id))


def receive(app, *mails: RawMail, now=None) -> inbound.ReceiveSummary:
    with app.app_context():
        try:
            return inbound.receive(list(mails), now)
        finally:
            db.session.remove()


def test_a_signed_reply_from_the_customer_lands_on_the_case(app, customer, conversation):
    case_id, reply_to, message_id = conversation
    summary = receive(app, reply(customer.email, reply_to, in_reply_to=message_id))
    assert (summary.matched, summary.kept_aside, summary.duplicates) == (1, 0, 0)
    [note] = messages_on(app, case_id)
    assert (note.body, note.via, note.author_id) == ("It works now, thanks!", "mail",
                                                      customer.id)
    [row] = stored(app)
    assert (row.status, row.case_id, row.reason) == ("matched", case_id, "")
    assert row.body == "It works now, thanks!" and row.from_address == customer.email


def test_the_in_reply_to_alone_is_enough_and_the_sender_is_normalised(app, customer,
                                                                      conversation):
    case_id, _, message_id = conversation
    shouted = customer.email.upper()
    summary = receive(app, reply(f"Ann <{shouted}>", "voice@voice.example",
                                 in_reply_to=message_id))
    assert summary.matched == 1 and len(messages_on(app, case_id)) == 1


def test_a_reply_reopens_a_closed_case(app, customer, staff, conversation):
    case_id, reply_to, _ = conversation
    with app.app_context():
        staff_side.change_case(db.session.get(type(staff), staff.id), case_id, state="closed",
                               reply="We fixed it.")
    receive(app, reply(customer.email, reply_to))
    with app.app_context():
        assert db.session.get(Case, case_id).state == "in_progress"


def kept_reason(app) -> str:
    [row] = stored(app)
    assert row.status == "kept_aside" and row.case_id is None
    return row.reason


def test_an_unsigned_reply_is_kept_aside(app, customer, conversation):
    case_id, _, _ = conversation
    summary = receive(app, reply(customer.email, "reply@voice.example"))
    assert summary.kept_aside == 1 and summary.reasons == [reply_tokens.UNSIGNED]
    assert kept_reason(app) == reply_tokens.UNSIGNED
    assert messages_on(app, case_id) == []
    assert stored(app)[0].body == "It works now, thanks!"  # the new text is kept for staff


def test_a_reply_from_another_address_is_kept_aside(app, customer, make_user, conversation):
    case_id, reply_to, _ = conversation
    other = make_user()
    receive(app, reply(other.email, reply_to))
    assert kept_reason(app).startswith("wrong sender:")
    assert other.email in kept_reason(app) and messages_on(app, case_id) == []


def test_a_forged_token_is_kept_aside(app, customer, conversation):
    _, reply_to, _ = conversation
    forged = reply_to.replace("+", "+9", 1)  # another case id, the same signature
    receive(app, reply(customer.email, forged))
    assert kept_reason(app) == reply_tokens.FORGED


def test_an_expired_token_is_kept_aside(app, customer):
    case_id = factories.case(customer_id=customer.id)
    with app.app_context():
        old, _ = reply_address(case_id, customer.id, now=utcnow() - timedelta(days=200))
    receive(app, reply(customer.email, old))
    assert kept_reason(app) == reply_tokens.EXPIRED


def test_a_token_for_a_case_of_another_customer_is_kept_aside(app, customer, make_user):
    other = make_user()
    case_id = factories.case(customer_id=other.id)
    with app.app_context():
        address, _ = reply_address(case_id, customer.id)  # a token naming the wrong user
    receive(app, reply(customer.email, address))
    assert kept_reason(app) == f"wrong sender: not the customer of case #{case_id}"
    assert messages_on(app, case_id) == []


def test_a_reply_to_a_case_that_is_gone_is_kept_aside(app, customer):
    with app.app_context():
        address, _ = reply_address(987654, customer.id)
    receive(app, reply(customer.email, address))
    assert kept_reason(app) == "case gone: case #987654 no longer exists"


def test_a_deactivated_user_s_reply_is_kept_aside(app, customer, admin, conversation):
    _, reply_to, _ = conversation
    with app.app_context():
        staff_side.set_user_active(db.session.get(type(admin), admin.id), customer.id, False)
    receive(app, reply(customer.email, reply_to))
    assert kept_reason(app).startswith("wrong sender: the reply address's user")


def test_a_reply_with_only_quoted_history_is_kept_aside_with_the_whole_text(app, customer,
                                                                            conversation):
    _, reply_to, _ = conversation
    receive(app, reply(customer.email, reply_to, body=""))
    assert kept_reason(app) == inbound.EMPTY
    assert "Did it work?" in stored(app)[0].body


def test_an_automatic_reply_is_kept_aside_and_does_not_reopen(app, customer, conversation):
    case_id, reply_to, _ = conversation
    receive(app, reply(customer.email, reply_to, body="I am out of the office.",
                       Auto_Submitted="auto-replied"))
    assert kept_reason(app) == inbound.AUTOMATIC and messages_on(app, case_id) == []


def test_a_signed_reply_whose_dmarc_failed_is_kept_aside(app, customer, conversation):
    case_id, reply_to, _ = conversation
    receive(app, reply(customer.email, reply_to,
                       Authentication_Results="mx.voice.example; dmarc=fail"))
    assert kept_reason(app) == inbound.UNAUTHENTICATED and messages_on(app, case_id) == []


def test_a_reply_longer_than_a_message_is_kept_aside_with_the_service_s_sentence(
        app, customer, conversation):
    case_id, reply_to, _ = conversation
    receive(app, reply(customer.email, reply_to, body="x" * (staff_side.MAX_MESSAGE + 1)))
    reason = kept_reason(app)
    assert reason.startswith("refused: A message has at most")
    assert len(stored(app)[0].body) == staff_side.MAX_MESSAGE + 1  # kept, bounded
    assert messages_on(app, case_id) == []


def test_a_body_over_the_bound_or_a_header_only_fetch_is_kept_aside(app, customer,
                                                                    conversation):
    _, reply_to, _ = conversation
    huge = reply(customer.email, reply_to, body="y" * (inbound.MAX_TEXT + 10))
    header_only = RawMail(reply(customer.email, reply_to, message_id="<big@x>").raw.split(
        b"\n\n")[0] + b"\n\n", size=30_000_000, truncated=True)
    summary = receive(app, huge, header_only)
    assert summary.kept_aside == 2
    rows = stored(app)
    assert [r.reason for r in rows] == [inbound.TOO_LARGE, inbound.TOO_LARGE]
    assert len(rows[0].body) == inbound.MAX_TEXT


def test_the_same_mail_twice_is_stored_once(app, customer, conversation):
    case_id, reply_to, _ = conversation
    mail = reply(customer.email, reply_to, message_id="<once@mail.example>")
    summary = receive(app, mail, mail)
    assert (summary.matched, summary.duplicates) == (1, 1)
    assert len(stored(app)) == 1 and len(messages_on(app, case_id)) == 1
    assert receive(app, mail).duplicates == 1


def test_an_unparseable_mail_is_kept_aside_not_lost(app, monkeypatch):
    def broken(raw, truncated=False):
        raise RuntimeError("the parser broke")

    monkeypatch.setattr(inbound, "parse", broken)
    raw = RawMail(b"From: x@example.com\r\n\r\nwhatever")
    assert receive(app, raw, raw).duplicates == 1
    [row] = stored(app)
    assert (row.status, row.reason) == ("kept_aside", inbound.UNREADABLE)
    assert "whatever" in row.body and row.message_id.startswith("<sha256.")


def test_after_commit_runs_after_each_mail_is_stored(app, customer, conversation):
    _, reply_to, _ = conversation
    seen: list[tuple[int, int]] = []

    def count_stored(index: int) -> None:
        seen.append((index, db.session.scalar(select(func.count(InboundMail.id)))))

    with app.app_context():
        inbound.receive([reply(customer.email, reply_to),
                         reply("x@example.com", "reply@voice.example")],
                        after_commit=count_stored)
    assert seen == [(0, 1), (1, 2)]


def test_two_receivers_at_once_store_a_mail_once(app, customer, conversation):
    case_id, reply_to, _ = conversation
    mail = reply(customer.email, reply_to, message_id="<race@mail.example>")
    results = run_in_threads(app, lambda i: inbound.receive_one(mail)[0], 4)
    assert sorted(results) == ["duplicate"] * 3 + ["matched"], results
    assert len(stored(app)) == 1 and len(messages_on(app, case_id)) == 1
