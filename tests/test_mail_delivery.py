"""Mail delivery against a real SMTP server (aiosmtpd on a free loopback port).

Multipart messages with the unsubscribe headers, a server that is down and
then up (kept, retried with backoff, delivered once), permanent refusals,
giving up after the last attempt, a crashed sender's claim taken over, and
concurrent senders that deliver each mail exactly once.
"""

from __future__ import annotations

import email
import io
import socket
import threading
from datetime import timedelta
from email import policy
from functools import partial
from urllib.parse import urlsplit

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult
from sqlalchemy import func, select

from tests import factories
from tests.conftest import run_in_threads
from voice.clock import utcnow
from voice.extensions import db
from voice.loop.models import Notification
from voice.mail import OutboxMail
from voice.mail import delivery as mailer
from voice.mail import smtp as transports

BASE_URL = "https://voice.example.org"
MAIL_FROM = "Voice <voice@example.org>"


@pytest.fixture
def app_config():
    return {"BASE_URL": BASE_URL, "MAIL_FROM": MAIL_FROM, "SMTP_URL": ""}


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Inbox:
    """An aiosmtpd handler that keeps every message it accepts."""

    def __init__(self, refuse: set[str] | None = None):
        self.refuse = refuse or set()
        self.messages: list[email.message.EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.logins: list[tuple[str, str]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 No such mailbox here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
        return "250 Message accepted for delivery"

    def authenticate(self, server, session, envelope, mechanism, auth_data):
        self.logins.append((auth_data.login.decode(), auth_data.password.decode()))
        return AuthResult(success=True)


class SmtpServer:
    def __init__(self, port: int, inbox: Inbox, **kwargs):
        self.port, self.inbox = port, inbox
        self.controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)

    def __enter__(self) -> SmtpServer:
        self.controller.start()
        return self

    def __exit__(self, *exc) -> None:
        self.controller.stop()


@pytest.fixture
def smtp(app):
    """A running SMTP server; the app's SMTP_URL points at it."""
    inbox = Inbox()
    with SmtpServer(free_port(), inbox) as server:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}?timeout=5"
        yield inbox


class Clock:
    """The mailer's utcnow, moved forward by the test (frozen otherwise). It starts a
    minute ahead, so the mails the test writes (at the real time) are due."""

    def __init__(self):
        self.now = utcnow() + timedelta(minutes=1)

    def __call__(self):
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch):
    fake = Clock()
    monkeypatch.setattr(mailer, "utcnow", fake)
    return fake


# Notifications made here: the loop's notify, with this file's kind, subject, body, link.
notify = partial(factories.notifications, kind="case_reply",
                 subject="Your feedback got a reply", body="Thanks for telling us.",
                 link="/ideas/1")


def mails(app) -> list[OutboxMail]:
    with app.app_context():
        rows = list(db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)))
        db.session.expunge_all()
        return rows


def deliver(app, **kwargs) -> mailer.DeliveryReport:
    with app.app_context():
        try:
            return mailer.deliver_due(**kwargs)
        finally:
            db.session.remove()


# --- a delivered mail -------------------------------------------------------------------


def test_a_case_reply_reaches_the_customer_in_app_and_as_a_multipart_mail(
    app, customer, smtp, login
):
    notify([customer], subject="Re: <b>your</b> feedback",
           body="We fixed it.\n<script>alert(1)</script>\n\nThanks & regards", link="/ideas/7")

    report = deliver(app)

    assert (report.sent, report.retried, report.failed) == (1, 0, 0)
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id)).where(
            Notification.user_id == customer.id, Notification.kind == "case_reply")) == 1
    assert len(smtp.messages) == 1
    message = smtp.messages[0]
    assert smtp.envelopes[0] == ("voice@example.org", [customer.email])
    assert message["From"] == MAIL_FROM
    assert message["To"] == customer.email
    assert message["Subject"] == "Re: <b>your</b> feedback"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["Message-ID"].startswith("<voice.") and "@example.org>" in message["Message-ID"]
    assert message.get_content_type() == "multipart/alternative"
    parts = [part.get_content_type() for part in message.iter_parts()]
    assert parts == ["text/plain", "text/html"]

    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    assert "<script>alert(1)</script>" in text  # plain text is plain
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    assert "&lt;b&gt;your&lt;/b&gt;" in html and "Thanks &amp; regards" in html
    assert f"{BASE_URL}/ideas/7" in text and f'href="{BASE_URL}/ideas/7"' in html

    unsubscribe = message["List-Unsubscribe"]
    assert unsubscribe.startswith(f"<{BASE_URL}/unsubscribe/") and unsubscribe.endswith(">")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    url = unsubscribe[1:-1]
    assert url in text and url in html

    [row] = mails(app)
    assert (row.status, row.attempts, row.last_error, row.claimed_by) == ("sent", 1, "", None)
    assert row.sent_at is not None and row.category == "case_reply"

    # The one-click unsubscribe of RFC 8058: a POST to the link, no session, no CSRF token.
    response = login().client.post(urlsplit(url).path)
    assert response.status_code == 200
    assert "Replies to your feedback" in response.get_data(as_text=True)
    notify([customer], subject="Another reply")
    assert len(mails(app)) == 1  # no new mail
    with app.app_context():
        assert db.session.scalar(select(func.count(Notification.id))) == 2  # still in-app


def test_smtp_credentials_from_the_url_are_used(app, customer):
    inbox = Inbox()
    port = free_port()
    with SmtpServer(port, inbox, authenticator=inbox.authenticate, auth_require_tls=False):
        app.config["SMTP_URL"] = f"smtp://mailer%40example.org:s%3Acret@127.0.0.1:{port}"
        notify([customer])
        assert deliver(app).sent == 1
    assert inbox.logins == [("mailer@example.org", "s:cret")]
    assert len(inbox.messages) == 1


# --- failures, retries, backoff -----------------------------------------------------------


def test_a_server_that_is_down_keeps_the_mail_and_it_is_retried_with_backoff(
    app, customer, clock
):
    port = free_port()  # nobody listens here yet
    app.config["SMTP_URL"] = f"smtp://127.0.0.1:{port}?timeout=5"
    notify([customer])

    first = deliver(app)
    assert (first.sent, first.retried, first.failed) == (0, 1, 0)
    [row] = mails(app)
    assert (row.status, row.attempts, row.claimed_by) == ("pending", 1, None)
    assert "unreachable" in row.last_error
    assert row.next_attempt_at == clock.now + timedelta(seconds=60)  # base delay

    # Not due yet: the next pass leaves it alone.
    clock.advance(59)
    assert deliver(app).attempted == 0
    assert mails(app)[0].attempts == 1

    clock.advance(1)
    assert deliver(app).retried == 1
    [row] = mails(app)
    assert row.attempts == 2
    assert row.next_attempt_at == clock.now + timedelta(seconds=120)  # doubled

    inbox = Inbox()
    with SmtpServer(port, inbox):
        clock.advance(120)
        report = deliver(app)
        assert report.sent == 1
        assert deliver(app).attempted == 0  # sent once, never again
    assert len(inbox.messages) == 1
    [row] = mails(app)
    assert (row.status, row.attempts, row.last_error) == ("sent", 3, "")


def test_the_backoff_doubles_up_to_its_cap(app):
    with app.app_context():
        app.config.update(MAIL_RETRY_BASE_SECONDS=60, MAIL_RETRY_MAX_SECONDS=3600)
        delays = [mailer.retry_delay(n).total_seconds() for n in range(1, 9)]
    assert delays == [60, 120, 240, 480, 960, 1920, 3600, 3600]


def test_after_the_last_attempt_a_mail_is_failed_and_left_alone(app, customer, clock):
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{free_port()}?timeout=5", MAIL_MAX_ATTEMPTS=3)
    notify([customer])
    statuses = []
    for _ in range(3):
        deliver(app)
        statuses.append(mails(app)[0].status)
        clock.advance(3600)
    assert statuses == ["pending", "pending", "failed"]
    assert deliver(app).attempted == 0
    [row] = mails(app)
    assert row.attempts == 3 and "unreachable" in row.last_error


def test_a_refused_recipient_fails_at_once_and_the_batch_goes_on(app, make_user, clock):
    good, bad = make_user(), make_user()
    inbox = Inbox(refuse={bad.email})
    with SmtpServer(free_port(), inbox) as server:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}"
        notify([bad, good])
        report = deliver(app)
    assert (report.sent, report.failed, report.retried) == (1, 1, 0)
    by_address = {row.to_address: row for row in mails(app)}
    assert by_address[bad.email].status == "failed"
    assert "550" in by_address[bad.email].last_error
    assert by_address[good.email].status == "sent"
    assert [env[1] for env in inbox.envelopes] == [[good.email]]


def test_a_crashed_senders_claim_is_taken_over_after_the_timeout(app, customer, smtp, clock):
    notify([customer])
    with app.app_context():
        [stuck] = mailer.claim_due("crashed-worker", 10)
    assert mails(app)[0].status == "sending"

    assert deliver(app).attempted == 0  # the claim is fresh: not taken
    clock.advance(601)  # older than MAIL_CLAIM_TIMEOUT_SECONDS (600)
    assert deliver(app).sent == 1
    [row] = mails(app)
    assert (row.status, row.attempts) == ("sent", 2)
    assert len(smtp.messages) == 1

    with app.app_context():  # the crashed sender wakes up: its claim is gone
        assert mailer.mark_delivered(stuck) is False
    assert mails(app)[0].status == "sent"


# --- concurrency --------------------------------------------------------------------------


@pytest.mark.parametrize("senders", [2, 4])
def test_concurrent_senders_deliver_each_mail_exactly_once(app, make_user, smtp, senders):
    users = [make_user() for _ in range(3)]
    for number in range(12):
        notify(users, subject=f"Update {number}")  # 36 mails
    ids = {row.id for row in mails(app)}
    assert len(ids) == 36

    def send(index: int) -> mailer.DeliveryReport:
        return mailer.deliver_due(worker=f"sender-{index}", batch_size=3)

    reports = run_in_threads(app, send, senders)

    assert all(isinstance(report, mailer.DeliveryReport) for report in reports), reports
    assert sum(report.sent for report in reports) == 36
    assert len(smtp.messages) == 36
    delivered = sorted(int(m["Message-ID"].split(".")[1]) for m in smtp.messages)
    assert delivered == sorted(ids)  # every mail, none twice
    rows = mails(app)
    assert {(row.status, row.attempts) for row in rows} == {("sent", 1)}


# --- no SMTP server configured: the log -------------------------------------------------


def test_mail_send_without_smtp_logs_each_mail_and_marks_it_logged(app, customer, tmp_path):
    app.config["MAIL_LOG_FILE"] = str(tmp_path / "mail.log")
    notify([customer], subject="Your idea is planned")
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code == 0, result.output
    # issue 13: the mail goes to the log file, the terminal gets its batch's summary line
    written = (tmp_path / "mail.log").read_text()
    assert "Subject: Your idea is planned" in written
    assert f"mail to {customer.email} (logged" in written
    assert "0 sent, 1 logged" in result.output
    [row] = mails(app)
    assert (row.status, row.attempts) == ("logged", 1)

    status = app.test_cli_runner().invoke(args=["mail", "status"])
    assert "logged   1" in status.output and "pending  0" in status.output


def test_mail_send_without_smtp_prints_one_line_per_batch_and_writes_the_mails_to_a_file(
    app, make_user, tmp_path
):
    people = [make_user(email=f"reader{n}@example.org") for n in range(5)]
    notify(people, subject="Your idea shipped")
    log_file = tmp_path / "logs" / "mail.log"
    result = app.test_cli_runner().invoke(
        args=["mail", "send", "--batch-size", "2", "--log-file", str(log_file)])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert len(lines) == 3, result.output  # batches of 2, 2 and 1
    assert all(line.startswith("Mail to ") and str(log_file) in line for line in lines)
    assert [line.rsplit(": ", 1)[1] for line in lines] == [
        "0 sent, 2 logged, 0 to retry, 0 failed.", "0 sent, 2 logged, 0 to retry, 0 failed.",
        "0 sent, 1 logged, 0 to retry, 0 failed."]
    assert "Subject:" not in result.output and "@example.org" not in result.output
    written = log_file.read_text()
    assert written.count("--- mail to ") == 5
    assert all(f"--- mail to {person.email} (logged" in written for person in people)
    assert written.count("Subject: Your idea shipped") == 5
    assert {row.status for row in mails(app)} == {"logged"}

    again = app.test_cli_runner().invoke(args=["mail", "send", "--log-file", str(log_file)])
    assert again.output.splitlines() == [f"Mail to {log_file} (no VOICE_SMTP_URL): nothing "
                                         "to deliver."]
    assert log_file.read_text() == written


def test_mail_send_refuses_a_malformed_smtp_url(app):
    app.config["SMTP_URL"] = "http://mail.example.org"
    result = app.test_cli_runner().invoke(args=["mail", "send"])
    assert result.exit_code != 0
    assert "smtp://user:pass@host:port" in result.output


def test_the_log_transport_writes_the_plain_text(app, customer):
    notify([customer], body="Body line")
    stream = io.StringIO()
    with app.app_context():
        report = mailer.deliver_due(transports.LogTransport(stream))
    assert report.logged == 1
    assert "Body line" in stream.getvalue()
    assert f"List-Unsubscribe: <{BASE_URL}/unsubscribe/" in stream.getvalue()


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("smtp://mail.example.org", ("mail.example.org", 25, "", "", False, False)),
        ("smtp://u:p@mail.example.org:2525", ("mail.example.org", 2525, "u", "p", False, False)),
        ("smtp://u:p@mail.example.org?starttls=1", ("mail.example.org", 587, "u", "p", False,
                                                     True)),
        ("smtps://a%40b.c:p%2Fw@mx.example.org", ("mx.example.org", 465, "a@b.c", "p/w", True,
                                                   False)),
    ],
)
def test_parse_smtp_url(url, expected):
    s = transports.parse_smtp_url(url)
    assert (s.host, s.port, s.username, s.password, s.implicit_tls, s.starttls) == expected


def test_parse_smtp_url_empty_and_wrong():
    assert transports.parse_smtp_url("") is None
    with pytest.raises(ValueError):
        transports.parse_smtp_url("mailto:someone@example.org")


def test_the_mail_loop_delivers_in_the_background_and_stops_on_sigterm(
    app, customer, database_urls, backend, tmp_path
):
    import os
    import signal
    import subprocess
    import sys
    import time

    notify([customer], subject="Delivered by the loop")
    env = dict(os.environ, VOICE_DATABASE_URL=database_urls[backend],
               VOICE_SECRET_KEY="test-secret", VOICE_SMTP_URL="", FLASK_APP="voice")
    log_file = tmp_path / "mail.log"
    loop = subprocess.Popen(
        [sys.executable, "-m", "flask", "mail", "send", "--loop", "--interval", "0.2",
         "--log-file", str(log_file)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while mails(app)[0].status != "logged" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert mails(app)[0].status == "logged"
    finally:
        loop.send_signal(signal.SIGTERM)
        output, _ = loop.communicate(timeout=60)
    assert loop.returncode == 0, output
    assert "Subject: Delivered by the loop" in log_file.read_text()  # issue 13: in the file
    assert "0 sent, 1 logged" in output
    assert output.rstrip().endswith("Mail delivery stopped.")
