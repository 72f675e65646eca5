"""Where mail goes: an SMTP server named by ``VOICE_SMTP_URL``, or the log without one.

A transport sends built messages; it never touches the outbox (voice.mail.delivery
does). The errors it raises are sorted here into "this message was refused" and
"the server is not there", which decides whether the rest of a batch goes on.
"""

from __future__ import annotations

import contextlib
import logging
import smtplib
import ssl
import sys
from dataclasses import dataclass
from email.message import EmailMessage
from typing import IO, Protocol
from urllib.parse import parse_qs, unquote, urlsplit

from flask import current_app

logger = logging.getLogger("voice.mail")

TRUE = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    implicit_tls: bool = False  # smtps://
    starttls: bool = False  # smtp://...?starttls=1
    timeout: float = 30.0


def parse_smtp_url(url: str) -> SmtpSettings | None:
    """``smtp://user:pass@host:port?starttls=1&timeout=10`` or ``smtps://...``; None if empty.

    smtp:// defaults to port 25 (587 with starttls), smtps:// (TLS from the
    first byte) to port 465. User and password are URL-decoded.
    """
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("smtp", "smtps") or not parts.hostname:
        raise ValueError("VOICE_SMTP_URL looks like smtp://user:pass@host:port or smtps://...")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    implicit = parts.scheme == "smtps"
    starttls = not implicit and query.get("starttls", "").lower() in TRUE
    default_port = 465 if implicit else (587 if starttls else 25)
    return SmtpSettings(
        host=parts.hostname,
        port=parts.port or default_port,
        username=unquote(parts.username or ""),
        password=unquote(parts.password or ""),
        implicit_tls=implicit,
        starttls=starttls,
        timeout=float(query.get("timeout", 30)),
    )


class Transport(Protocol):
    name: str

    def send(self, message: EmailMessage) -> None: ...

    def close(self) -> None: ...


class SmtpTransport:
    """One SMTP connection, opened on the first send and reused for the batch."""

    name = "smtp"

    def __init__(self, settings: SmtpSettings):
        self.settings = settings
        self.connection: smtplib.SMTP | None = None

    def open(self) -> smtplib.SMTP:
        s = self.settings
        if s.implicit_tls:
            conn: smtplib.SMTP = smtplib.SMTP_SSL(
                s.host, s.port, timeout=s.timeout, context=ssl.create_default_context()
            )
        else:
            conn = smtplib.SMTP(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls:
                conn.starttls(context=ssl.create_default_context())
            if s.username:
                conn.login(s.username, s.password)
        except BaseException:
            conn.close()
            raise
        return conn

    def send(self, message: EmailMessage) -> None:
        if self.connection is None:
            self.connection = self.open()
        try:
            self.connection.send_message(message)
        except (OSError, smtplib.SMTPServerDisconnected):
            self.drop()
            raise

    def drop(self) -> None:
        if self.connection is not None:
            try:
                self.connection.close()
            finally:
                self.connection = None

    def close(self) -> None:
        if self.connection is not None:
            with contextlib.suppress(OSError, smtplib.SMTPException):
                self.connection.quit()
            self.drop()


class LogTransport:
    """No SMTP server configured: each mail goes to the log and to ``stream``."""

    name = "log"

    def __init__(self, stream: IO[str] | None = None):
        self.stream = stream if stream is not None else sys.stdout

    def send(self, message: EmailMessage) -> None:
        text = message.get_body(("plain",))
        logger.info("mail (not sent, no VOICE_SMTP_URL) to %s: %s", message["To"],
                    message["Subject"])
        self.stream.write(
            f"--- mail to {message['To']} (logged, not sent: VOICE_SMTP_URL is empty)\n"
            f"Subject: {message['Subject']}\n"
            + (f"List-Unsubscribe: {message['List-Unsubscribe']}\n"
               if message["List-Unsubscribe"] else "")
            + (f"Reply-To: {message['Reply-To']}\n" if message["Reply-To"] else "")
            + "\n" + (text.get_content() if text is not None else "") + "---\n"
        )
        self.stream.flush()

    def close(self) -> None:
        pass


def transport_from_config(stream: IO[str] | None = None) -> Transport:
    settings = parse_smtp_url(current_app.config.get("SMTP_URL", ""))
    return SmtpTransport(settings) if settings else LogTransport(stream)


#: The server refused this one message (the connection is still good): the batch goes on.
MESSAGE_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPSenderRefused,
                  smtplib.SMTPDataError, ValueError)
#: Anything else (smtplib's errors are OSErrors too): the server is not there, hung up or
#: refuses us (greeting, TLS, login), so every mail of the batch waits for the next try.
CONNECTION_ERRORS = (OSError,)


def is_permanent(error: Exception) -> bool:
    """A refusal that retrying cannot fix: every recipient or the message refused with 5xx."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return bool(error.recipients) and all(
            code >= 500 for code, _ in error.recipients.values()
        )
    if isinstance(error, smtplib.SMTPDataError):
        return error.smtp_code >= 500
    return isinstance(error, ValueError)  # a message that cannot be built


def describe(error: Exception) -> str:
    return f"{type(error).__name__}: {error}"
