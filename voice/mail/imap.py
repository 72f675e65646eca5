"""Reading the reply mailbox over IMAP (``VOICE_IMAP_URL``), with the standard imaplib.

imaplib, not imap-tools: the receiver needs five commands (LOGIN, SELECT, UID SEARCH
UNSEEN, UID FETCH with BODY.PEEK, UID STORE +FLAGS \\Seen), and imaplib has them
without a dependency; imap-tools' conveniences (its own message objects, bulk flag
helpers that mark as it fetches) would have to be worked around to mark a mail seen
only after it is committed.

The protocol that loses nothing:

1. fetch the unseen mails with ``BODY.PEEK[]`` (peeking sets no flag);
2. the caller stores each one in its own transaction (``InboundMail.message_id`` is
   unique, so one read twice is stored once);
3. only then ``mark_seen`` flags it ``\\Seen``.

A crash between 2 and 3 reads the mail again next time and stores nothing new. A server
that is down, refuses the login or hangs up raises ``MailboxUnavailable``: the loop logs
it and tries again later, the mails wait on the server.
"""

from __future__ import annotations

import contextlib
import imaplib
import re
import ssl
from dataclasses import dataclass
from types import TracebackType
from urllib.parse import parse_qs, unquote, urlsplit

from voice.mail.inbound import RawMail

TRUE = {"1", "true", "yes", "on"}
#: A mail larger than this is fetched as its header alone (and kept aside as too large).
DEFAULT_MAX_BYTES = 10 * 1024 * 1024
SIZE = re.compile(rb"RFC822\.SIZE (\d+)")


class MailboxUnavailable(Exception):
    """The IMAP server is not there, refused us, or hung up: try again later."""


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    username: str = ""
    password: str = ""
    mailbox: str = "INBOX"
    implicit_tls: bool = False  # imaps://
    starttls: bool = False  # imap://...?starttls=1
    timeout: float = 30.0

    def describe(self) -> str:
        scheme = "imaps" if self.implicit_tls else "imap"
        return f"{scheme}://{self.host}:{self.port}/{self.mailbox}"


def parse_imap_url(url: str) -> ImapSettings | None:
    """``imap://user:pass@host:port/INBOX?starttls=1&timeout=10`` or ``imaps://``; None if
    empty. imap:// defaults to port 143, imaps:// to 993; the path names the mailbox
    (INBOX by default); user, password and mailbox are URL-decoded."""
    url = (url or "").strip()
    if not url:
        return None
    parts = urlsplit(url)
    if parts.scheme not in ("imap", "imaps") or not parts.hostname:
        raise ValueError("VOICE_IMAP_URL looks like imap://user:pass@host:port/INBOX "
                         "or imaps://...")
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    implicit = parts.scheme == "imaps"
    try:
        port = parts.port or (993 if implicit else 143)
        timeout = float(query.get("timeout", 30))
    except ValueError:
        raise ValueError("VOICE_IMAP_URL has a port or timeout that is not a number") from None
    return ImapSettings(
        host=parts.hostname, port=port,
        username=unquote(parts.username or ""), password=unquote(parts.password or ""),
        mailbox=unquote(parts.path.lstrip("/")) or "INBOX", implicit_tls=implicit,
        starttls=not implicit and query.get("starttls", "").lower() in TRUE,
        timeout=timeout,
    )


@dataclass(frozen=True)
class FetchedMail:
    uid: str
    mail: RawMail


def _quoted(mailbox: str) -> str:
    return '"' + mailbox.replace("\\", "\\\\").replace('"', '\\"') + '"'


class ImapMailbox:
    """One IMAP session on the reply mailbox: ``with ImapMailbox(settings) as box: ...``."""

    def __init__(self, settings: ImapSettings, max_bytes: int = DEFAULT_MAX_BYTES):
        self.settings = settings
        self.max_bytes = max_bytes
        self.connection: imaplib.IMAP4 | None = None

    def __enter__(self) -> ImapMailbox:
        try:
            self.connection = self._open()
        except (OSError, imaplib.IMAP4.error, EOFError) as error:
            raise MailboxUnavailable(f"{self.settings.describe()}: {_describe(error)}") from error
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        self.close()

    def _open(self) -> imaplib.IMAP4:
        s = self.settings
        if s.implicit_tls:
            conn: imaplib.IMAP4 = imaplib.IMAP4_SSL(
                s.host, s.port, ssl_context=ssl.create_default_context(), timeout=s.timeout)
        else:
            conn = imaplib.IMAP4(s.host, s.port, timeout=s.timeout)
        try:
            if s.starttls:
                conn.starttls(ssl_context=ssl.create_default_context())
            conn.login(s.username, s.password)
            kind, data = conn.select(_quoted(s.mailbox))
            if kind != "OK":
                raise imaplib.IMAP4.error(f"cannot open mailbox {s.mailbox}: {data!r}")
        except BaseException:
            with contextlib.suppress(OSError, imaplib.IMAP4.error, EOFError):
                conn.shutdown()
            raise
        return conn

    def _command(self, *args: str) -> list[object]:
        """One UID command; MailboxUnavailable unless the server answers OK."""
        if self.connection is None:
            raise MailboxUnavailable("not connected")
        try:
            kind, data = self.connection.uid(*args)
        except (OSError, imaplib.IMAP4.error, EOFError) as error:
            raise MailboxUnavailable(f"{self.settings.describe()}: {_describe(error)}") from error
        if kind != "OK":
            raise MailboxUnavailable(f"{self.settings.describe()}: {args[0]} {data!r}")
        return list(data)

    def unseen(self, limit: int = 50) -> list[str]:
        """The UIDs of the unseen mails, oldest first, at most ``limit``."""
        data = self._command("SEARCH", "UNSEEN")
        uids = b" ".join(d for d in data if isinstance(d, bytes)).split()
        return [uid.decode("ascii") for uid in sorted(uids, key=int)[:limit]]

    def size(self, uid: str) -> int | None:
        for item in self._command("FETCH", uid, "(RFC822.SIZE)"):
            meta = item[0] if isinstance(item, tuple) else item
            if isinstance(meta, bytes) and (found := SIZE.search(meta)):
                return int(found.group(1))
        return None

    def fetch(self, uid: str) -> FetchedMail | None:
        """The mail's bytes without marking it seen (None: it is gone from the mailbox).
        Over ``max_bytes``, only its header is fetched (``truncated``)."""
        size = self.size(uid)
        if size is None:
            return None
        truncated = size > self.max_bytes
        part = "BODY.PEEK[HEADER]" if truncated else "BODY.PEEK[]"
        for item in self._command("FETCH", uid, f"({part})"):
            if isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], bytes):
                return FetchedMail(uid, RawMail(item[1], size=size, truncated=truncated))
        return None

    def mark_seen(self, uid: str) -> None:
        """Flag the mail \\Seen: call it after the mail is committed, never before."""
        self._command("STORE", uid, "+FLAGS.SILENT", r"(\Seen)")

    def close(self) -> None:
        if self.connection is None:
            return
        with contextlib.suppress(OSError, imaplib.IMAP4.error, EOFError):
            self.connection.logout()
        self.connection = None


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"
