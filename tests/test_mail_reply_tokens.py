"""Signed reply addresses: the token, where it is read from, and the headers on the wire.

A conversation's mail carries a token (itsdangerous, the app's key, a salt of its own)
in a plus address of the reply mailbox and in its Message-ID; ``read_reply`` finds it in
any of the places a reply names it, and refuses a forged, re-salted or expired one with
a reason. A real SMTP server (aiosmtpd) sees the Reply-To and Message-ID headers.
"""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from itsdangerous import TimestampSigner
from sqlalchemy import select

from tests.test_mail_delivery import Inbox, SmtpServer, free_port
from voice.clock import utcnow
from voice.config import finish_config
from voice.database import write_transaction
from voice.extensions import db
from voice.mail import (
    OutboxMail,
    match_reply,
    queue_mail,
    read_reply,
    reply_address,
    reply_tokens,
)
from voice.mail import delivery as mailer
from voice.mail.imap import parse_imap_url
from voice.mail.smtp import LogTransport

MAIL_FROM = "Voice <voice@example.org>"


@pytest.fixture
def app_config():
    return {"BASE_URL": "https://voice.example.org", "MAIL_FROM": MAIL_FROM,
            "REPLY_ADDRESS": "reply@voice.example", "SMTP_URL": ""}


def test_the_reply_address_is_a_plus_address_of_the_reply_mailbox_carrying_a_signed_token(app):
    with app.app_context():
        reply_to, message_id = reply_address(12, 34)
        local, domain = reply_to.split("@")
        assert domain == "voice.example" and local.startswith("reply+")
        assert len(local) <= 64  # RFC 5321's limit on a local part
        token = local.removeprefix("reply+")
        assert token.startswith("12-34.")
        assert message_id.startswith(f"<case-12.{token}.") and message_id.endswith(
            "@voice.example>")
        assert read_reply([reply_to]) == (12, 34)
        assert read_reply([], in_reply_to=message_id) == (12, 34)
        # Two mails of the same case and second still have two Message-IDs.
        assert reply_address(12, 34)[1] != message_id


def test_big_ids_still_fit_in_a_local_part(app):
    with app.app_context():
        reply_to, _ = reply_address(2**31 - 1, 2**31 - 1)
        assert len(reply_to.split("@")[0]) <= 64
        assert read_reply([reply_to]) == (2**31 - 1, 2**31 - 1)


def test_the_default_reply_mailbox_is_the_sender_address(app):
    app.config["REPLY_ADDRESS"] = ""
    with app.app_context():
        reply_to, message_id = reply_address(1, 2)
        assert reply_to.startswith("voice+1-2.") and reply_to.endswith("@example.org")
        assert message_id.endswith("@example.org>")


def test_the_reply_address_defaults_to_the_sender_address_in_the_config(app):
    config = {"MAIL_FROM": "Support <help@shop.example>", "SECRET_KEY": "k"}
    finish_config(config, app.instance_path)
    assert config["REPLY_ADDRESS"] == "help@shop.example"
    config = {"MAIL_FROM": "x@y.example", "REPLY_ADDRESS": "in@voice.example", "SECRET_KEY": "k"}
    finish_config(config, app.instance_path)
    assert config["REPLY_ADDRESS"] == "in@voice.example"


def test_each_place_of_a_reply_is_read(app):
    with app.app_context():
        reply_to, message_id = reply_address(5, 6)
        token = reply_to.split("+", 1)[1].split("@")[0]
        named = f'"Voice" <{reply_to}>'
        assert read_reply([named]) == (5, 6)
        assert read_reply(["someone@else.example", reply_to]) == (5, 6)
        assert read_reply([], references=f"<abc@mail.example> {message_id}") == (5, 6)
        assert read_reply([], subject=f"Re: your feedback [{token}]") == (5, 6)
        assert read_reply(["reply@voice.example"]) is None
        assert match_reply(["reply@voice.example"]).reason == reply_tokens.UNSIGNED


def test_a_message_id_whose_case_differs_from_its_token_is_not_read(app):
    with app.app_context():
        _, message_id = reply_address(5, 6)
        tampered = message_id.replace("<case-5.", "<case-9.")
        assert read_reply([], in_reply_to=tampered) is None


def test_a_forged_token_is_refused_with_its_reason(app):
    with app.app_context():
        reply_to, _ = reply_address(5, 6)
        forged = reply_to.replace("reply+5-6.", "reply+5-7.")  # another user, same signature
        result = match_reply([forged])
        assert not result.matched and result.reason == reply_tokens.FORGED
        assert read_reply([forged]) is None


def test_a_token_signed_with_another_key_or_salt_is_refused(app):
    with app.app_context():
        other_salt = TimestampSigner("test-secret", salt="voice.unsubscribe", sep=".")
        token = other_salt.sign("5-6").decode()
        assert match_reply([f"reply+{token}@voice.example"]).reason == reply_tokens.FORGED
        other_key = TimestampSigner("not-the-key", salt=reply_tokens.SALT, sep=".")
        token = other_key.sign("5-6").decode()
        assert match_reply([f"reply+{token}@voice.example"]).reason == reply_tokens.FORGED


def test_a_token_expires_after_the_configured_days(app):
    made = utcnow() - timedelta(days=181)
    with app.app_context():
        reply_to, message_id = reply_address(5, 6, now=made)
        result = match_reply([reply_to], in_reply_to=message_id)
        assert result.reason == reply_tokens.EXPIRED and read_reply([reply_to]) is None
        # 179 days is still in time.
        reply_to, _ = reply_address(5, 6, now=utcnow() - timedelta(days=179))
        assert read_reply([reply_to]) == (5, 6)
        app.config["REPLY_TOKEN_DAYS"] = 30
        assert match_reply([reply_to]).reason == reply_tokens.EXPIRED


def test_a_valid_token_wins_over_a_forged_one_in_another_place(app):
    with app.app_context():
        reply_to, message_id = reply_address(5, 6)
        forged = reply_to.replace("reply+5-6.", "reply+5-7.")
        assert read_reply([forged], in_reply_to=message_id) == (5, 6)


def test_queue_mail_stores_the_reply_address_and_message_id(app):
    with app.app_context():
        reply_to, message_id = reply_address(3, 4)
        with write_transaction():
            queue_mail("ann@example.org", name="Ann", kind="case_reply", subject="Re: it",
                       template="notification", reply_to=reply_to, message_id=message_id)
            queue_mail("bob@example.org", name="Bob", kind="case_reply", subject="Plain",
                       template="notification")
        rows = db.session.scalars(select(OutboxMail).order_by(OutboxMail.id)).all()
        assert [(r.reply_to, r.message_id) for r in rows] == [(reply_to, message_id), ("", "")]


def test_delivery_sets_reply_to_and_message_id_over_real_smtp(app):
    inbox = Inbox()
    with SmtpServer(free_port(), inbox) as server:
        app.config["SMTP_URL"] = f"smtp://127.0.0.1:{server.port}?timeout=5"
        with app.app_context():
            reply_to, message_id = reply_address(3, 4)
            with write_transaction():
                queue_mail("ann@example.org", name="Ann", kind="case_reply",
                           subject="Re: your feedback", template="notification",
                           reply_to=reply_to, message_id=message_id)
                queue_mail("bob@example.org", name="Bob", kind="case_reply",
                           subject="Plain", template="notification")
            report = mailer.deliver_due()
            assert report.sent == 2
    by_to = {m["To"]: m for m in inbox.messages}
    conversation = by_to["ann@example.org"]
    assert conversation["Reply-To"] == reply_to
    # A long Message-ID may be folded onto its own line (legal: RFC 5322 allows folding
    # white space before the "<"); unfolded, it is the one the outbox row holds.
    assert conversation["Message-ID"].strip() == message_id
    assert conversation["From"] == MAIL_FROM
    plain = by_to["bob@example.org"]
    assert plain["Reply-To"] is None
    assert plain["Message-ID"].startswith("<voice.")
    with app.app_context():
        # What a client puts in a reply to it is read back to the case and the user.
        assert read_reply([conversation["Reply-To"]],
                          in_reply_to=conversation["Message-ID"]) == (3, 4)


def test_the_mail_log_shows_the_reply_address(app):
    stream = io.StringIO()
    with app.app_context():
        reply_to, message_id = reply_address(3, 4)
        with write_transaction():
            queue_mail("ann@example.org", name="Ann", kind="case_reply", subject="Re: it",
                       template="notification", reply_to=reply_to, message_id=message_id)
        assert mailer.deliver_due(LogTransport(stream)).logged == 1
    assert f"Reply-To: {reply_to}\n" in stream.getvalue()


@pytest.mark.parametrize(("url", "expected"), [
    ("imap://mail.example.org", ("mail.example.org", 143, "", "", "INBOX", False, False)),
    ("imaps://u%40x.org:p%2Fw@mx.example.org/Replies%20In",
     ("mx.example.org", 993, "u@x.org", "p/w", "Replies In", True, False)),
    ("imap://u:p@mx.example.org:1143/INBOX?starttls=1&timeout=7",
     ("mx.example.org", 1143, "u", "p", "INBOX", False, True)),
])
def test_parse_imap_url(url, expected):
    s = parse_imap_url(url)
    assert (s.host, s.port, s.username, s.password, s.mailbox, s.implicit_tls,
            s.starttls) == expected
    assert parse_imap_url("  ") is None


@pytest.mark.parametrize("url", ["http://mx.example.org", "imap://", "imap://h:port/",
                                 "imap://h/INBOX?timeout=soon"])
def test_a_malformed_imap_url_is_refused_with_a_sentence(url):
    with pytest.raises(ValueError, match="VOICE_IMAP_URL"):
        parse_imap_url(url)
