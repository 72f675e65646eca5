"""Reading an inbound mail: who sent it, where it went, what it answers, its new text.

Pure (the ``email`` package and the standard library), so any message, however odd,
is tested without a server (tests/test_mail_inbound_parse.py). ``parse`` never raises
on a message's content: a header it cannot read is read raw, a body it cannot decode is
decoded with replacement characters, a missing Message-ID is made from the bytes (so
the same mail read twice is still stored once).

The receiver (voice.admin.inbound) decides what becomes of it; the IMAP client
(voice.mail.imap) fetches it.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from email import message_from_bytes, policy
from email.header import decode_header, make_header
from email.message import EmailMessage, Message
from email.utils import getaddresses, parseaddr

from voice.mail.quotes import html_to_text, new_text, unflow

#: Characters of a body read at most; a longer one is cut here and flagged ``oversized``.
MAX_TEXT = 100_000
MESSAGE_ID_MAX = 300
#: The headers a mail's recipients are read from (a plus address may be in any).
RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
_BULK = {"bulk", "junk", "list", "auto_reply", "auto-reply"}


@dataclass(frozen=True)
class RawMail:
    """One message as fetched: its bytes, and whether only its header could be fetched."""

    raw: bytes
    size: int = 0  # the server's size of the whole message (0: not known)
    truncated: bool = False  # too big: ``raw`` is the header alone


@dataclass(frozen=True)
class ParsedMail:
    message_id: str
    from_address: str
    to_addresses: tuple[str, ...]
    in_reply_to: str
    references: str
    subject: str
    text: str  # the new text: quoted history and signature stripped
    full_text: str  # the whole body as text (bounded), kept when the new text is empty
    automatic: bool = False  # an auto-reply, a bounce, bulk mail: never a customer's answer
    oversized: bool = False  # the body was cut at MAX_TEXT, or the mail was too big
    unauthenticated: bool = False  # the receiving server found its DMARC check failed


def _raw_header(message: Message, name: str) -> str:
    """A header decoded by hand (RFC 2047 words), for one the parser chokes on."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            try:
                return str(make_header(decode_header(str(value))))
            except (ValueError, LookupError, UnicodeError):
                return str(value)
    return ""


def header(message: Message, name: str) -> str:
    """One header as text, "" when absent; never raises on a malformed one."""
    try:
        value = message.get(name)
        return " ".join(str(value).split()) if value is not None else ""
    except Exception:  # noqa: BLE001 - the email package's parser raises odd errors
        return " ".join(_raw_header(message, name).split())


def headers(message: Message, name: str) -> list[str]:
    try:
        return [" ".join(str(v).split()) for v in message.get_all(name) or []]
    except Exception:  # noqa: BLE001 - as in header()
        raw = _raw_header(message, name)
        return [raw] if raw else []


def recipients(message: Message) -> tuple[str, ...]:
    """Every address the mail was sent to, from each recipient header, each once."""
    found: list[str] = []
    for name in RECIPIENT_HEADERS:
        found += [address for _, address in getaddresses(headers(message, name)) if address]
    return tuple(dict.fromkeys(found))


def message_id_of(message: Message, raw: bytes) -> str:
    """The Message-ID, or one made from the bytes: ``<sha256.<hex>@inbound.invalid>``."""
    value = header(message, "Message-ID").strip()
    if value and not value.startswith("<"):
        value = f"<{value}>"
    if not value or len(value) > MESSAGE_ID_MAX or " " in value:
        value = f"<sha256.{hashlib.sha256(raw).hexdigest()[:48]}@inbound.invalid>"
    return value


def is_automatic(message: Message, from_address: str) -> bool:
    """An auto-reply (out of office), a delivery report or bulk mail (RFC 3834)."""
    auto = header(message, "Auto-Submitted").lower()
    if auto and auto != "no":
        return True
    if header(message, "X-Autoreply") or header(message, "X-Autorespond"):
        return True
    if header(message, "Precedence").lower() in _BULK:
        return True
    if message.get_content_type() == "multipart/report":
        return True
    local = from_address.split("@", 1)[0].lower()
    return local in ("mailer-daemon", "postmaster")


def failed_dmarc(message: Message) -> bool:
    """An ``Authentication-Results`` header (RFC 8601) says the From domain's DMARC check
    failed: the sender is likely forged. Only a failure counts: a sender can add a header
    claiming a pass, never one that helps it by claiming a failure."""
    return any(re.search(r"\bdmarc\s*=\s*fail\b", value, re.IGNORECASE)
               for value in headers(message, "Authentication-Results"))


def _decoded(part: Message) -> str:
    try:
        content = part.get_content()  # type: ignore[attr-defined]
        if isinstance(content, str):
            return content
    except (LookupError, UnicodeError, KeyError, ValueError, AssertionError):
        pass
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:
        return payload.decode("utf-8", errors="replace")


def _body_part(message: EmailMessage) -> Message | None:
    try:
        return message.get_body(preferencelist=("plain", "html"))
    except (KeyError, ValueError, AttributeError, IndexError):
        return None


def body_text(message: EmailMessage) -> str:
    """The body as plain text: the text/plain part, else the HTML one made text."""
    part = _body_part(message)
    if part is None:
        return ""
    text = _decoded(part)
    if part.get_content_type() == "text/html":
        return html_to_text(text)
    if part.get_param("format", "", header="content-type") == "flowed":
        delsp = str(part.get_param("delsp", "", header="content-type")).lower() == "yes"
        text = unflow(text, delsp=delsp)
    return text


def parse(raw: bytes, *, truncated: bool = False, limit: int = MAX_TEXT) -> ParsedMail:
    """Everything the receiver needs of a message (see the module doc)."""
    message = message_from_bytes(raw, policy=policy.default)
    assert isinstance(message, EmailMessage)  # policy.default makes EmailMessages
    from_address = parseaddr(header(message, "From"))[1]
    text = "" if truncated else body_text(message)
    oversized = truncated or len(text) > limit
    text = text[:limit]
    return ParsedMail(
        message_id=message_id_of(message, raw),
        from_address=from_address,
        to_addresses=recipients(message),
        in_reply_to=header(message, "In-Reply-To"),
        references=" ".join(headers(message, "References")),
        subject=header(message, "Subject"),
        text=new_text(text),
        full_text=text.replace("\r\n", "\n").strip(),
        automatic=is_automatic(message, from_address),
        oversized=oversized,
        unauthenticated=failed_dmarc(message),
    )
