"""Inbound mail end to end against a real IMAP server (pymap, started by the test).

pymap's in-memory ``dict`` backend runs as a process of its own on a free loopback
port, with one user; the test puts mails in with IMAP APPEND (as a mail server's
delivery would) and runs the receiver: ``flask mail receive`` and
``voice.admin.inbound.receive_from_mailbox``. A signed reply lands on its case; an
unsigned one and one from another address are kept aside; a server that is down or
hung loses nothing and the next pass picks the mail up; a crash between the commit and
the \\Seen flag re-reads the mail and stores it once; the same mail twice is stored once.
"""

from __future__ import annotations

import imaplib
import os
import signal
import socket
import subprocess
import sys
import time
from email.message import EmailMessage
from pathlib import Path

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import run_in_threads
from tests.test_mail_delivery import Inbox, SmtpServer
from voice.admin import inbound, inbound_commands
from voice.admin.models import Case, CaseNote, InboundMail
from voice.extensions import db
from voice.mail import delivery, imap, reply_tokens

USER, PASSWORD = "replies", "s3cret pass"
PYMAP = Path(sys.executable).with_name("pymap")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ImapServer:
    """pymap serving one mailbox user from memory, on a free port."""

    def __init__(self, tmp_path: Path):
        self.port = free_port()
        self.log = (tmp_path / "pymap.log").open("w")
        self.process = subprocess.Popen(
            [str(PYMAP), "--host", "127.0.0.1", "--port", str(self.port), "--no-tls",
             "dict", "--demo-user", USER, "--demo-password", PASSWORD],
            stdout=self.log, stderr=subprocess.STDOUT)
        self._wait_until_listening()

    def _wait_until_listening(self) -> None:
        for _ in range(300):
            assert self.process.poll() is None, "pymap exited: see pymap.log"
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("pymap did not start listening")

    def url(self, port: int | None = None, timeout: float = 5) -> str:
        return (f"imap://{USER}:s3cret%20pass@127.0.0.1:{port or self.port}/INBOX"
                f"?timeout={timeout}")

    def client(self) -> imaplib.IMAP4:
        conn = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        conn.login(USER, PASSWORD)
        conn.select("INBOX")
        return conn

    def append(self, raw: bytes) -> None:
        conn = self.client()
        try:
            kind, data = conn.append("INBOX", None, None, raw)
            assert kind == "OK", data
        finally:
            conn.logout()

    def unseen(self) -> int:
        conn = self.client()
        try:
            kind, data = conn.uid("SEARCH", None, "UNSEEN")
            assert kind == "OK"
            return len(data[0].split())
        finally:
            conn.logout()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGCONT)
            self.process.terminate()
            self.process.wait(timeout=10)
        self.log.close()


@pytest.fixture
def mailbox(app, tmp_path):
    server = ImapServer(tmp_path)
    app.config["IMAP_URL"] = server.url()
    yield server
    server.stop()


@pytest.fixture
def app_config():
    return {"MAIL_FROM": "Voice <voice@voice.example>", "REPLY_ADDRESS": "reply@voice.example"}


@pytest.fixture
def conversation(app, customer):
    return factories.mailed_case(customer)


def mail(sender: str, to: str, body: str, message_id: str, in_reply_to: str = "") -> bytes:
    message = EmailMessage()
    message["From"], message["To"] = sender, to
    message["Subject"] = "Re: Your feedback got a reply"
    message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
    message.set_content(f"{body}\n\nOn Mon, 3 Jun 2024 at 10:12, Voice <{to}> wrote:\n"
                        "> We shipped the PDF export.\n")
    return message.as_bytes()


def receive(app, url: str | None = None) -> inbound.ReceiveSummary:
    with app.app_context():
        try:
            settings = imap.parse_imap_url(url or app.config["IMAP_URL"])
            return inbound.receive_from_mailbox(settings)
        finally:
            db.session.remove()


def rows(app) -> list[InboundMail]:
    return factories.detached_all(select(InboundMail).order_by(InboundMail.id))


def thread(app, case_id: int) -> list[CaseNote]:
    return factories.detached_all(select(CaseNote).where(
        CaseNote.case_id == case_id, CaseNote.kind == "customer").order_by(CaseNote.id))


def test_a_signed_reply_lands_on_its_case_and_is_marked_seen(app, customer, mailbox,
                                                             conversation):
    case_id, reply_to, message_id = conversation
    mailbox.append(mail(customer.email, reply_to, "Works now, thank you!", "<r1@mail.example>",
                        in_reply_to=message_id))
    assert mailbox.unseen() == 1

    result = app.test_cli_runner().invoke(args=["mail", "receive"])

    assert result.exit_code == 0, result.output
    assert "1 matched, 0 kept aside, 0 already stored" in result.output
    [note] = thread(app, case_id)
    assert (note.body, note.via, note.author_id) == ("Works now, thank you!", "mail",
                                                      customer.id)
    [row] = rows(app)
    assert (row.status, row.case_id, row.message_id) == ("matched", case_id,
                                                         "<r1@mail.example>")
    with app.app_context():
        case = db.session.get(Case, case_id)
        assert case.last_message_by_customer and case.last_message_preview.startswith("Works")
    assert mailbox.unseen() == 0
    assert receive(app).received == 0  # nothing unseen is left


def test_unsigned_and_wrong_sender_mails_are_kept_aside(app, customer, make_user, mailbox,
                                                        conversation):
    case_id, reply_to, _ = conversation
    stranger = make_user()
    mailbox.append(mail(customer.email, "reply@voice.example", "No token here.",
                        "<u1@mail.example>"))
    mailbox.append(mail(stranger.email, reply_to, "I found this address.",
                        "<s1@mail.example>"))

    summary = receive(app)

    assert (summary.matched, summary.kept_aside) == (0, 2)
    unsigned, wrong = rows(app)
    assert (unsigned.status, unsigned.reason) == ("kept_aside", reply_tokens.UNSIGNED)
    assert unsigned.body == "No token here."
    assert wrong.status == "kept_aside" and wrong.reason.startswith("wrong sender:")
    assert thread(app, case_id) == []
    assert mailbox.unseen() == 0  # stored, so seen: staff have them at /admin/mail


def test_a_server_that_is_down_loses_nothing_and_the_next_run_picks_it_up(
        app, customer, mailbox, conversation):
    case_id, reply_to, _ = conversation
    mailbox.append(mail(customer.email, reply_to, "Sent while you were down.",
                        "<d1@mail.example>"))

    # Nobody listens on the port: connection refused.
    app.config["IMAP_URL"] = mailbox.url(port=free_port())
    result = app.test_cli_runner().invoke(args=["mail", "receive"])
    assert result.exit_code == 1
    assert "Mailbox unavailable, will retry" in result.output
    # The server hangs (stopped): the greeting never comes, the client's timeout ends it.
    os.kill(mailbox.process.pid, signal.SIGSTOP)
    try:
        with pytest.raises(imap.MailboxUnavailable):
            receive(app, mailbox.url(timeout=1))
    finally:
        os.kill(mailbox.process.pid, signal.SIGCONT)
    assert rows(app) == [] and thread(app, case_id) == []

    assert mailbox.unseen() == 1  # still on the server, unseen
    assert receive(app, mailbox.url()).matched == 1
    assert len(thread(app, case_id)) == 1 and mailbox.unseen() == 0


def test_a_crash_between_the_commit_and_the_seen_flag_stores_the_mail_once(
        app, customer, mailbox, conversation, monkeypatch):
    case_id, reply_to, _ = conversation
    mailbox.append(mail(customer.email, reply_to, "Only once, please.", "<c1@mail.example>"))
    real_mark_seen = imap.ImapMailbox.mark_seen

    def hang_up(self, uid):
        raise imap.MailboxUnavailable("connection lost")

    monkeypatch.setattr(imap.ImapMailbox, "mark_seen", hang_up)
    with pytest.raises(imap.MailboxUnavailable):
        receive(app)
    assert len(rows(app)) == 1 and mailbox.unseen() == 1  # committed, not yet seen

    monkeypatch.setattr(imap.ImapMailbox, "mark_seen", real_mark_seen)
    summary = receive(app)
    assert (summary.matched, summary.duplicates) == (0, 1)
    assert len(rows(app)) == 1 and len(thread(app, case_id)) == 1
    assert mailbox.unseen() == 0


def test_the_same_mail_delivered_twice_is_stored_once(app, customer, mailbox, conversation):
    case_id, reply_to, _ = conversation
    twice = mail(customer.email, reply_to, "Delivered twice.", "<t1@mail.example>")
    mailbox.append(twice)
    mailbox.append(twice)

    summary = receive(app)

    assert (summary.matched, summary.duplicates) == (1, 1)
    assert len(rows(app)) == 1 and len(thread(app, case_id)) == 1
    assert mailbox.unseen() == 0


def test_two_receivers_on_one_mailbox_store_each_mail_once(app, customer, mailbox,
                                                           conversation):
    case_id, reply_to, _ = conversation
    for number in range(3):
        mailbox.append(mail(customer.email, reply_to, f"Reply {number}.",
                            f"<p{number}@mail.example>"))
    settings = imap.parse_imap_url(mailbox.url())

    results = run_in_threads(app, lambda i: inbound.receive_from_mailbox(settings), 2)

    assert all(isinstance(r, inbound.ReceiveSummary) for r in results), results
    assert sum(r.matched for r in results) == 3
    assert len(rows(app)) == 3 and len(thread(app, case_id)) == 3
    assert mailbox.unseen() == 0


def test_a_mail_over_the_size_bound_is_kept_aside_from_its_header(app, customer, mailbox,
                                                                  conversation):
    _, reply_to, _ = conversation
    mailbox.append(mail(customer.email, reply_to, "z" * 5000, "<big@mail.example>"))
    with app.app_context():
        settings = imap.parse_imap_url(app.config["IMAP_URL"])
        summary = inbound.receive_from_mailbox(settings, max_bytes=1000)
    assert summary.kept_aside == 1
    [row] = rows(app)
    assert (row.reason, row.message_id) == (inbound.TOO_LARGE, "<big@mail.example>")
    assert row.from_address == customer.email


def test_a_wrong_password_is_an_unavailable_mailbox_not_a_crash(app, mailbox):
    with pytest.raises(imap.MailboxUnavailable, match="AUTHENTICATIONFAILED|Invalid"):
        receive(app, f"imap://{USER}:wrong@127.0.0.1:{mailbox.port}/INBOX?timeout=5")


def test_the_command_explains_a_missing_or_bad_url(app):
    app.config["IMAP_URL"] = ""
    result = app.test_cli_runner().invoke(args=["mail", "receive"])
    assert result.exit_code != 0 and "VOICE_IMAP_URL is not set" in result.output
    app.config["IMAP_URL"] = "http://example.com"
    result = app.test_cli_runner().invoke(args=["mail", "receive"])
    assert result.exit_code != 0 and "imap://user:pass@host:port/INBOX" in result.output


def test_the_pause_between_passes_doubles_after_each_failure_up_to_a_cap():
    assert [inbound_commands.next_pause(30, n) for n in range(6)] == [30, 60, 120, 240, 480, 600]
    assert inbound_commands.next_pause(0.5, 2) == 2.0
    assert inbound_commands.next_pause(900, 3) == 900  # an interval above the cap is kept


def wait_for(predicate, what: str, seconds: float = 60):
    """Poll until ``predicate()`` (a bound on waiting, not a timing assertion)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.1)
    raise AssertionError(f"gave up waiting for {what}")


def test_the_loop_rides_out_a_hung_server_and_stops_on_sigterm(
        app, customer, mailbox, conversation, database_urls, backend, tmp_path):
    case_id, reply_to, message_id = conversation
    mailbox.append(mail(customer.email, reply_to, "Read me in the loop.", "<loop@mail.example>",
                        in_reply_to=message_id))
    os.kill(mailbox.process.pid, signal.SIGSTOP)  # hung before the loop starts
    env = {**os.environ, "FLASK_APP": "voice", "VOICE_DATABASE_URL": database_urls[backend],
           "VOICE_SECRET_KEY": app.config["SECRET_KEY"], "VOICE_IMAP_URL": mailbox.url(timeout=1),
           "VOICE_MAIL_FROM": app.config["MAIL_FROM"],
           "VOICE_REPLY_ADDRESS": app.config["REPLY_ADDRESS"]}
    out = (tmp_path / "receive.out").open("w+")
    loop = subprocess.Popen([str(PYMAP.with_name("flask")), "mail", "receive", "--loop",
                             "--interval", "0.2"], env=env, stdout=out, stderr=subprocess.STDOUT,
                            cwd=tmp_path)
    try:
        wait_for(lambda: "will retry" in (tmp_path / "receive.out").read_text(),
                 "the first pass to fail")
        assert rows(app) == []
        os.kill(mailbox.process.pid, signal.SIGCONT)
        wait_for(lambda: len(thread(app, case_id)) == 1, "the reply to land")
    finally:
        loop.terminate()
        assert loop.wait(timeout=30) == 0
    printed = (tmp_path / "receive.out").read_text()
    assert "Reading replies from imap://127.0.0.1" in printed
    assert "1 matched, 0 kept aside" in printed and "Mail receiving stopped." in printed
    assert mailbox.unseen() == 0


def test_the_whole_loop_a_staff_message_mailed_answered_by_mail_lands_on_its_case(
        app, staff, customer, mailbox):
    case_id = factories.case(customer_id=customer.id)
    factories.staff_message(staff, case_id, "Could you send us the invoice number?")
    sent = Inbox()
    with SmtpServer(free_port(), sent) as smtp:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{smtp.port}?timeout=5"
        with app.app_context():
            assert delivery.deliver_due().sent >= 1
    [outgoing] = [m for m in sent.messages if m["To"] == customer.email]
    assert outgoing["Reply-To"].startswith("reply+")

    answer = EmailMessage()  # what the customer's mail client writes when they hit Reply
    answer["From"], answer["To"] = customer.email, outgoing["Reply-To"]
    answer["Subject"] = "Re: " + outgoing["Subject"]
    answer["Message-ID"] = "<answer@mail.example>"
    answer["In-Reply-To"] = outgoing["Message-ID"].strip()
    answer["References"] = outgoing["Message-ID"].strip()
    quoted = outgoing.get_body(("plain",)).get_content()
    answer.set_content("It is INV-2024-0042.\n\nOn Mon, 3 Jun 2024 at 10:12, Voice "
                       f"<{outgoing['Reply-To']}> wrote:\n"
                       + "".join(f"> {line}\n" for line in quoted.splitlines()))
    mailbox.append(answer.as_bytes())

    assert receive(app).matched == 1
    [note] = thread(app, case_id)
    assert (note.body, note.via, note.author_id) == ("It is INV-2024-0042.", "mail", customer.id)
