"""Webhooks: each new case POSTed as signed JSON to its team's URL, from an outbox.

Routing writes a ``WebhookDelivery`` row in the transaction that opens the case
(:func:`enqueue_case`), so a delivery exists exactly when its case does.
``flask --app voice admin deliver-webhooks`` (:func:`deliver_due`) sends what is due:

1. Claim: in one short write transaction, take up to ``batch`` due rows (pending, or
   "sending" whose claim expired because a worker died) and mark them "sending"
   until now + the claim time. PostgreSQL skips rows another worker has locked
   (FOR UPDATE SKIP LOCKED); SQLite's immediate transaction serialises the claims.
   So two workers never send the same delivery.
2. Send each claimed row, outside any transaction, with a timeout.
3. Record: 2xx is "delivered"; anything else is retried with exponential backoff
   (1, 2, 4, ... minutes, at most 6 hours) until :data:`MAX_ATTEMPTS`, then "failed".

Signature (the receiver's check is :func:`verify`): headers
``X-Voice-Timestamp: <unix seconds>`` and
``X-Voice-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>." + raw body, keyed
with the team's secret>``. Signing the timestamp with the body lets a receiver
refuse a replayed old request (``verify`` allows 5 minutes).
``X-Voice-Delivery`` is the delivery id (the same on every retry, to deduplicate),
``X-Voice-Event`` the event (``case.created``).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select

from voice.admin.models import Case, Team, WebhookDelivery
from voice.admin.serialize import case_json
from voice.clock import utcnow
from voice.database import is_postgresql, write_transaction
from voice.extensions import db

MAX_ATTEMPTS = 8
CLAIM_SECONDS = 120
TIMEOUT_SECONDS = 10
TOLERANCE_SECONDS = 300


def backoff(attempts: int) -> timedelta:
    """The wait after the ``attempts``-th failure: 1, 2, 4, ... minutes, at most 6 hours."""
    return timedelta(minutes=min(2 ** max(attempts - 1, 0), 360))


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def verify(secret: str, timestamp: str, signature: str, body: bytes,
           now: float | None = None, tolerance: int = TOLERANCE_SECONDS) -> bool:
    """A receiver's check: the signature matches and the timestamp is recent."""
    try:
        stamp = int(timestamp)
    except (TypeError, ValueError):
        return False
    if abs((time.time() if now is None else now) - stamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, stamp, body), signature or "")


def enqueue_case(case: Case) -> WebhookDelivery | None:
    """Queue the POST of a new case, in the caller's transaction (routing's)."""
    team = db.session.get(Team, case.team_id)
    if team is None or not team.webhook_url:
        return None
    body = json.dumps({"event": "case.created", "case": case_json(case, team=team)},
                      separators=(",", ":"), sort_keys=True)
    delivery = WebhookDelivery(team_id=team.id, case_id=case.id, url=team.webhook_url,
                               payload=body, next_attempt_at=utcnow())
    db.session.add(delivery)
    return delivery


@dataclass
class Claimed:
    id: int
    url: str
    payload: str
    secret: str
    attempts: int


@dataclass
class Report:
    delivered: int = 0
    retried: int = 0
    failed: int = 0


def _claim(batch: int, now: datetime) -> list[Claimed]:
    with write_transaction():
        stmt = (
            select(WebhookDelivery, Team.webhook_secret)
            .join(Team, Team.id == WebhookDelivery.team_id)
            .where(WebhookDelivery.status.in_(("pending", "sending")),
                   WebhookDelivery.next_attempt_at <= now)
            .order_by(WebhookDelivery.next_attempt_at, WebhookDelivery.id)
            .limit(batch)
        )
        if is_postgresql():
            stmt = stmt.with_for_update(skip_locked=True, of=WebhookDelivery)
        claimed = []
        for delivery, secret in db.session.execute(stmt).all():
            delivery.status = "sending"
            delivery.next_attempt_at = now + timedelta(seconds=CLAIM_SECONDS)
            claimed.append(Claimed(delivery.id, delivery.url, delivery.payload, secret or "",
                                   delivery.attempts))
    return claimed


def _post(item: Claimed, timeout: float) -> tuple[int | None, str]:
    body = item.payload.encode()
    stamp = int(time.time())
    request = urllib.request.Request(item.url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": "Voice-Webhooks/1",
        "X-Voice-Event": "case.created",
        "X-Voice-Delivery": str(item.id),
        "X-Voice-Timestamp": str(stamp),
        "X-Voice-Signature": sign(item.secret, stamp, body),
    })
    try:
        with urllib.request.urlopen(request, timeout=timeout) as answer:  # noqa: S310
            return answer.status, ""
    except urllib.error.HTTPError as error:
        return error.code, f"HTTP {error.code}"
    except (urllib.error.URLError, OSError, ValueError) as error:
        return None, str(getattr(error, "reason", error))[:500]


def _record(item: Claimed, status: int | None, error: str, report: Report) -> None:
    now = utcnow()
    with write_transaction():
        delivery = db.session.get(WebhookDelivery, item.id)
        if delivery is None or delivery.status != "sending":
            return
        delivery.attempts += 1
        delivery.last_status = status
        if status is not None and 200 <= status < 300:
            delivery.status = "delivered"
            delivery.delivered_at = now
            delivery.last_error = ""
            report.delivered += 1
        elif delivery.attempts >= MAX_ATTEMPTS:
            delivery.status = "failed"
            delivery.last_error = error or f"HTTP {status}"
            report.failed += 1
        else:
            delivery.status = "pending"
            delivery.last_error = error or f"HTTP {status}"
            delivery.next_attempt_at = now + backoff(delivery.attempts)
            report.retried += 1


def deliver_due(batch: int = 50, now: datetime | None = None,
                timeout: float = TIMEOUT_SECONDS) -> Report:
    """Send every due delivery once; returns what happened."""
    report = Report()
    for item in _claim(batch, now or utcnow()):
        status, error = _post(item, timeout)
        _record(item, status, error, report)
    return report


def recent_deliveries(team_id: int | None = None, limit: int = 20) -> list[WebhookDelivery]:
    stmt = select(WebhookDelivery).order_by(WebhookDelivery.id.desc()).limit(limit)
    if team_id is not None:
        stmt = stmt.where(WebhookDelivery.team_id == team_id)
    return list(db.session.scalars(stmt))


def pending_count() -> int:
    return db.session.scalar(select(func.count(WebhookDelivery.id)).where(
        or_(WebhookDelivery.status == "pending", WebhookDelivery.status == "sending"))) or 0
