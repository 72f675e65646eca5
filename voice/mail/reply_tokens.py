"""Signed reply addresses: a customer answers a conversation's mail and it finds its case.

A conversation's mail carries one token, signed with the app's ``SECRET_KEY`` under a
salt of its own (itsdangerous ``TimestampSigner``), naming the case, the user it was
sent to and when it was made; it expires after ``REPLY_TOKEN_DAYS`` (180).

The token is ``<case>-<user>.<time>.<signature>`` (about 40 characters: a plus address's
local part must stay under 64). It goes in two places of the mail:

* the Reply-To, a plus address of the reply mailbox ``REPLY_ADDRESS``
  (``reply@voice.example`` -> ``reply+<token>@voice.example``);
* the Message-ID, ``<case-<id>.<token>.<nonce>@host>`` (the nonce keeps two mails of the
  same second apart: receivers drop a mail whose Message-ID they already have), which a
  reply names in In-Reply-To and References even when the client answers the From.

``read_reply`` looks in each place (the addresses, In-Reply-To, References, then the
subject), so a relay that lower-cases the address still leaves the headers to match.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from email.utils import getaddresses, parseaddr

from flask import current_app
from itsdangerous import BadSignature, BadTimeSignature, SignatureExpired, TimestampSigner

#: The salt of reply tokens: a token signed for anything else (a session, an unsubscribe
#: link) never reads as one.
SALT = "voice.mail.reply-address"
DEFAULT_DAYS = 180

# <case>-<user>.<timestamp>.<signature>, signature and timestamp in URL-safe base64.
TOKEN = re.compile(r"(\d{1,18})-(\d{1,18})\.([A-Za-z0-9_-]{4,12})\.([A-Za-z0-9_-]{20,90})")
PLUS = re.compile(r"\+(" + TOKEN.pattern + r")@", re.ASCII)
MESSAGE_ID = re.compile(r"<?case-(\d{1,18})\.(" + TOKEN.pattern + r")(?:\.[A-Za-z0-9]+)?@",
                        re.ASCII)
IN_TEXT = re.compile(r"(?<![A-Za-z0-9_.-])(" + TOKEN.pattern + r")(?![A-Za-z0-9_-])",
                     re.ASCII)

# Why a reply token did not match, in the words the staff page shows.
UNSIGNED = "unsigned: no reply token"
FORGED = "forged: the reply token's signature is wrong"
EXPIRED = "expired: the reply token is too old"


@dataclass(frozen=True)
class ReplyMatch:
    """What the places of a mail said: the case and user, or None and why not."""

    case_id: int | None = None
    user_id: int | None = None
    reason: str = UNSIGNED

    @property
    def matched(self) -> bool:
        return self.case_id is not None and self.user_id is not None


class _Signer(TimestampSigner):
    """A TimestampSigner whose clock can be given (tests, the expiry)."""

    def __init__(self, secret_key: str, at: float | None = None):
        super().__init__(secret_key, salt=SALT, sep=".")
        self.at = at

    def get_timestamp(self) -> int:
        return int(self.at if self.at is not None else time.time())


def _signer(now: datetime | None = None) -> _Signer:
    at = now.timestamp() if now is not None else None
    return _Signer(str(current_app.config["SECRET_KEY"]), at)


def token_days() -> int:
    return int(current_app.config.get("REPLY_TOKEN_DAYS", DEFAULT_DAYS))


def sign(case_id: int, user_id: int, now: datetime | None = None) -> str:
    """The token for (case, user), made at ``now`` (default: the real clock)."""
    return _signer(now).sign(f"{int(case_id)}-{int(user_id)}").decode("ascii")


def check(token: str, now: datetime | None = None) -> ReplyMatch:
    """The case and user of a token, or why it is refused (forged, expired)."""
    found = TOKEN.fullmatch(token or "")
    if not found:
        return ReplyMatch(reason=UNSIGNED)
    try:
        _signer(now).unsign(token, max_age=token_days() * 86400)
    except SignatureExpired:
        return ReplyMatch(reason=EXPIRED)
    except (BadTimeSignature, BadSignature):
        return ReplyMatch(reason=FORGED)
    return ReplyMatch(int(found.group(1)), int(found.group(2)), reason="")


def reply_mailbox() -> tuple[str, str]:
    """(local part, domain) of ``REPLY_ADDRESS``, by default the sender's address."""
    address = parseaddr(current_app.config.get("REPLY_ADDRESS", "")
                        or current_app.config.get("MAIL_FROM", ""))[1]
    local, _, domain = address.rpartition("@")
    if not local or not domain:
        return "reply", "localhost"
    return local.split("+", 1)[0], domain


def reply_address(case_id: int, user_id: int, now: datetime | None = None) -> tuple[str, str]:
    """(the Reply-To address, the Message-ID) of a conversation mail to ``user_id``.

    Both carry the signed token; give them to ``queue_mail(reply_to=, message_id=)``.
    """
    token = sign(case_id, user_id, now)
    local, domain = reply_mailbox()
    nonce = secrets.token_hex(4)
    return f"{local}+{token}@{domain}", f"<case-{int(case_id)}.{token}.{nonce}@{domain}>"


def _candidates(to_addresses: Iterable[str], in_reply_to: str, references: str,
                subject: str) -> list[str]:
    """Every token-looking string of a mail, in the order the places are trusted."""
    found: list[str] = []
    for _, address in getaddresses([a for a in to_addresses if a]):
        found += [m.group(1) for m in PLUS.finditer(address)]
    for header in (in_reply_to or "", references or ""):
        for m in MESSAGE_ID.finditer(header):
            if m.group(1) == m.group(3):  # the Message-ID's case is the token's case
                found.append(m.group(2))
    found += [m.group(1) for m in IN_TEXT.finditer(subject or "")]
    return list(dict.fromkeys(found))


def match_reply(to_addresses: Iterable[str], in_reply_to: str = "", references: str = "",
                subject: str = "", now: datetime | None = None) -> ReplyMatch:
    """Try each place of a mail; the first valid token wins, else the most telling refusal.

    A forged token outranks an expired one in the reason (someone tried), and both
    outrank "unsigned".
    """
    refusals: list[str] = []
    for token in _candidates(to_addresses, in_reply_to, references, subject):
        result = check(token, now)
        if result.matched:
            return result
        refusals.append(result.reason)
    for reason in (FORGED, EXPIRED):
        if reason in refusals:
            return ReplyMatch(reason=reason)
    return ReplyMatch(reason=UNSIGNED)


def read_reply(to_addresses: Iterable[str], in_reply_to: str = "", references: str = "",
               subject: str = "", now: datetime | None = None) -> tuple[int, int] | None:
    """(case_id, user_id) of a reply, or None (``match_reply`` says why)."""
    result = match_reply(to_addresses, in_reply_to, references, subject, now)
    if result.case_id is None or result.user_id is None:
        return None
    return result.case_id, result.user_id
