"""Identity from the host product (issue 15): a JWT the host signs becomes an API token.

The host's backend signs ``{sub, email, name, exp, attributes?}`` with HS256 and the
shared ``VOICE_IDENTIFY_SECRET``; :func:`identify` checks it (:func:`read_identity`) and,
in one write transaction, finds the customer by ``sub`` (``external_identities``), or on
first sight links the customer account that has the email, or creates one (no usable
password); then updates the name and the email (when no other account has it), replaces
the attributes when the token carries them, and issues a bearer token.

Every refusal is ``Unauthorized`` with the code ``invalid_identity`` and is raised before
anything is written or inside the transaction (rolled back whole): a bad signature, any
algorithm but HS256 (``none``, RS256, a token signed with a public key as HMAC secret),
a missing claim or an unknown top-level one (the standard ``iat nbf iss aud jti`` are
allowed and, but for ``nbf``, ignored), ``exp`` passed or more than 24 h ahead, an email
or an account that is staff, a deactivated account, an attribute that is not a string of
at most 500 characters or a finite number. Replay: a token works until its ``exp``, as
many times as it is sent (no ``jti`` ledger); that is why ``exp`` is at most 24 h away.
"""

from __future__ import annotations

import hashlib
import math
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import jwt
from sqlalchemy import delete, select, text

from voice import signals
from voice.accounts.models import ApiToken, ExternalIdentity, User, UserAttribute
from voice.accounts.service.checks import DISPLAY_NAME_MAX, normalise_email
from voice.accounts.service.queries import token_digest, user_by_email
from voice.accounts.service.tokens import TOKEN_BYTES
from voice.clock import utcnow
from voice.database import is_postgresql, write_transaction
from voice.errors import Invalid, NotFound, Unauthorized
from voice.extensions import db

SOURCE = "identify"
ALGORITHMS = ["HS256"]
MAX_AHEAD = timedelta(hours=24)
MAX_TOKEN = 64 * 1024
MAX_SUBJECT = 255
MAX_ATTRIBUTES = 50
MAX_TEXT = 500
REQUIRED = ("sub", "email", "name", "exp")
ALLOWED = frozenset((*REQUIRED, "attributes", "iat", "nbf", "iss", "aud", "jti"))
ATTRIBUTE_NAME = re.compile(r"[a-z][a-z0-9_]{0,39}\Z")
#: PyJWT checks the signature, the algorithm and that the claims are there; the times
#: are checked here, against voice.clock, and aud/iss/jti are not used.
DECODE_OPTIONS: Any = {
    "require": list(REQUIRED), "verify_exp": False, "verify_nbf": False,
    "verify_iat": False, "verify_aud": False, "verify_iss": False, "verify_sub": False,
    "verify_jti": False,
}

AttributeValue = str | int | float


@dataclass(frozen=True)
class Identity:
    """The checked claims: ``attributes`` None when the token carries none (kept as
    they are), else the host's whole set (the stored set is replaced by it)."""

    subject: str
    email: str
    name: str
    attributes: dict[str, AttributeValue] | None


def refuse(message: str) -> NoReturn:
    raise Unauthorized(message, code="invalid_identity")


def require_secret(secret: str | None) -> str:
    """The configured secret; NotFound ``identify_off`` when identify is not turned on."""
    if not secret:
        raise NotFound("Identify is not turned on here (no VOICE_IDENTIFY_SECRET).",
                       code="identify_off")
    return secret


def is_number(value: object) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def read_identity(token: object, secret: str, now: datetime | None = None) -> Identity:
    """The identity a valid token carries; Unauthorized ``invalid_identity`` otherwise."""
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN:
        refuse("The identity token is missing.")
    try:
        claims = jwt.decode(token, secret, algorithms=ALGORITHMS, options=DECODE_OPTIONS)
    except jwt.MissingRequiredClaimError as error:
        refuse(f"The identity token has no {error.claim!r} claim.")
    except jwt.InvalidTokenError:
        refuse("The identity token is not signed with this site's HS256 secret.")
    unknown = sorted(set(claims) - ALLOWED)
    if unknown:
        refuse(f"The identity token has claims Voice does not know: {', '.join(unknown)}.")
    check_times(claims, now or utcnow())
    return Identity(subject=check_subject(claims["sub"]), email=check_email(claims["email"]),
                    name=check_name(claims["name"]),
                    attributes=check_attributes(claims.get("attributes")))


def check_times(claims: dict[str, Any], now: datetime) -> None:
    """``exp`` a number after ``now`` and at most 24 h ahead; ``nbf``, if any, passed."""
    exp, nbf = claims["exp"], claims.get("nbf")
    if not is_number(exp) or not math.isfinite(exp):
        refuse("The identity token's exp is not a time.")
    timestamp = (now - datetime(1970, 1, 1)).total_seconds()
    if exp <= timestamp:
        refuse("The identity token has expired.")
    if exp > timestamp + MAX_AHEAD.total_seconds():
        refuse("The identity token's exp is more than 24 hours ahead.")
    if nbf is not None and (not is_number(nbf) or not nbf <= timestamp):
        refuse("The identity token is not valid yet.")


def check_subject(sub: object) -> str:
    if not isinstance(sub, str) or not sub.strip() or len(sub) > MAX_SUBJECT:
        refuse(f"The identity token's sub is a string of 1 to {MAX_SUBJECT} characters.")
    return sub


def check_email(email: object) -> str:
    if not isinstance(email, str):
        refuse("The identity token's email is not an email address.")
    try:
        return normalise_email(email)
    except Invalid:
        refuse("The identity token's email is not an email address.")


def check_name(name: object) -> str:
    """The name with its white space made single spaces, cut to the display name's limit."""
    words = " ".join(name.split()) if isinstance(name, str) else ""
    if not words:
        refuse("The identity token's name is empty.")
    return words[:DISPLAY_NAME_MAX].rstrip()


def check_attributes(attributes: object) -> dict[str, AttributeValue] | None:
    """None for none; else at most 50 names ``[a-z][a-z0-9_]{0,39}``, each a string of at
    most 500 characters or a finite number (never a boolean, a list, an object or null)."""
    if attributes is None:
        return None
    if not isinstance(attributes, dict) or len(attributes) > MAX_ATTRIBUTES:
        refuse(f"The identity token's attributes are an object of at most {MAX_ATTRIBUTES}.")
    for name, value in attributes.items():
        if not ATTRIBUTE_NAME.match(name):
            refuse(f"The attribute name {name[:50]!r} is not [a-z][a-z0-9_]{{0,39}}.")
        if isinstance(value, str):
            if len(value) > MAX_TEXT:
                refuse(f"The attribute {name} is longer than {MAX_TEXT} characters.")
        elif not is_number(value) or not finite(value):
            refuse(f"The attribute {name} is neither a string nor a finite number.")
    return dict(attributes)


def finite(number: int | float) -> bool:
    try:
        return math.isfinite(float(number))
    except OverflowError:  # an integer past a double's range
        return False


# --- the write --------------------------------------------------------------------------


def identify(token: object, secret: str | None) -> tuple[User, str]:
    """The customer the host's token names, created or updated, and a new bearer token.

    Errors: 404 ``identify_off`` without a secret; 401 ``invalid_identity`` (module
    docstring), with nothing written."""
    identity = read_identity(token, require_secret(secret))
    raw = secrets.token_urlsafe(TOKEN_BYTES)
    with write_transaction():
        lock_identity(identity)
        user = linked_user(identity) or link_user(identity)
        if identity.attributes is not None:
            replace_attributes(user.id, identity.attributes)
        db.session.add(ApiToken(user_id=user.id, token_hash=token_digest(raw)))
    return user, raw


def lock_key(text_value: str) -> int:
    """A signed 64-bit advisory lock key for ``text_value``."""
    digest = hashlib.sha256(f"voice-identify:{text_value}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def lock_identity(identity: Identity) -> None:
    """On PostgreSQL, lock the subject and the email until the transaction ends (in one
    order), so two first calls for one person make one account, and two people claiming
    one email meet no unique violation. SQLite's BEGIN IMMEDIATE already serialises."""
    if not is_postgresql():
        return
    for key in sorted({lock_key("sub:" + identity.subject), lock_key("email:" + identity.email)}):
        db.session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def locked_user(user_id: int) -> User | None:
    return db.session.scalar(select(User).where(User.id == user_id).with_for_update()
                             .execution_options(populate_existing=True))


def check_usable(user: User) -> None:
    if user.role != "customer":
        refuse("That email or identity belongs to a staff account; staff sign in themselves.")
    if not user.active:
        refuse("That account is deactivated.")


def linked_user(identity: Identity) -> User | None:
    """The account already linked to this ``sub``, updated; None on first sight."""
    user_id = db.session.scalar(select(ExternalIdentity.user_id).where(
        ExternalIdentity.source == SOURCE, ExternalIdentity.subject == identity.subject))
    user = locked_user(user_id) if user_id is not None else None
    if user is None:
        return None
    check_usable(user)
    if identity.email != user.email:
        holder = user_by_email(identity.email)
        if holder is not None and holder.role != "customer":
            refuse("That email belongs to a staff account; staff sign in themselves.")
        if holder is None:  # another customer's address: the account keeps its own
            user.email = identity.email
    user.display_name = identity.name
    return user


def link_user(identity: Identity) -> User:
    """First sight of this ``sub``: the customer with the email (not linked to another
    ``sub``) or a new one, linked."""
    holder = user_by_email(identity.email)
    if holder is None:
        user = create_identified_user(identity)
    else:
        user = locked_user(holder.id) or refuse("That account is gone.")
        check_usable(user)
        other = db.session.scalar(select(ExternalIdentity.id).where(
            ExternalIdentity.user_id == user.id, ExternalIdentity.source == SOURCE))
        if other is not None:
            refuse("That email belongs to an account linked to another identity.")
        user.display_name = identity.name
    db.session.add(ExternalIdentity(user_id=user.id, source=SOURCE, subject=identity.subject))
    return user


def create_identified_user(identity: Identity) -> User:
    """A customer with no usable password (the hash matches none), granted like any new
    account (``user_registered``, in this transaction)."""
    user = User(email=identity.email, display_name=identity.name,
                password_hash="!identify:" + secrets.token_hex(16), role="customer")
    db.session.add(user)
    db.session.flush()
    signals.user_registered.send(user)
    return user


def replace_attributes(user_id: int, attributes: dict[str, AttributeValue]) -> None:
    """The user's attributes become exactly ``attributes``, each typed."""
    db.session.execute(delete(UserAttribute).where(UserAttribute.user_id == user_id)
                       .execution_options(synchronize_session=False))
    now = utcnow()
    for name, value in attributes.items():
        is_text = isinstance(value, str)
        db.session.add(UserAttribute(
            user_id=user_id, name=name, kind="string" if is_text else "number",
            text_value=value if is_text else None,
            number_value=None if is_text else float(value), updated_at=now))


def attributes_of(user_id: int) -> dict[str, AttributeValue]:
    """What the host told about the user, by name: strings, and numbers (an integral one
    as an int)."""
    rows = db.session.scalars(select(UserAttribute).where(UserAttribute.user_id == user_id)
                              .order_by(UserAttribute.name))
    return {row.name: (row.text_value or "") if row.kind == "string"
            else attribute_number(row.number_value) for row in rows}


def attribute_number(number: float | None) -> int | float:
    value = number or 0.0
    return int(value) if value.is_integer() and abs(value) < 2**53 else value
