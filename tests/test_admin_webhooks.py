"""Webhooks against a real HTTP server on a loopback port: signed, retried, delivered once."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from tests import factories
from tests.conftest import run_in_threads
from voice.admin import service, webhooks
from voice.admin.models import WebhookDelivery
from voice.clock import utcnow
from voice.extensions import db

SECRET = "a-long-and-random-webhook-secret"


class Receiver:
    """An HTTP server that records each POST and answers with the next queued status."""

    def __init__(self):
        self.requests: list[dict] = []
        self.statuses: list[int] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                with receiver.lock:
                    receiver.requests.append({"headers": dict(self.headers), "body": body})
                    status = receiver.statuses.pop(0) if receiver.statuses else 200
                time.sleep(0.05)  # a slow receiver widens any window for a double send
                self.send_response(status)
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/voice"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)


@pytest.fixture
def receiver():
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def hooked_team(app, admin, receiver):
    with app.app_context():
        triage = service.ensure_defaults()
        service.update_team(admin, triage.id, name=triage.name, webhook_url=receiver.url,
                            webhook_secret=SECRET)
        return triage.id


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = list(db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)))
        for row in rows:
            db.session.expunge(row)
        return rows


def test_a_new_case_is_posted_signed(app, hooked_team, receiver, staff, customer):
    response_id = factories.nps_response(staff, customer).id
    [queued] = deliveries(app)
    assert queued.status == "pending" and queued.url == receiver.url
    with app.app_context():
        report = webhooks.deliver_due()
    assert (report.delivered, report.retried, report.failed) == (1, 0, 0)
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Voice-Event"] == "case.created"
    assert headers["X-Voice-Delivery"] == str(queued.id)
    assert webhooks.verify(SECRET, headers["X-Voice-Timestamp"], headers["X-Voice-Signature"],
                           body)
    assert not webhooks.verify("another-secret-of-some-length", headers["X-Voice-Timestamp"],
                               headers["X-Voice-Signature"], body)
    assert not webhooks.verify(SECRET, headers["X-Voice-Timestamp"],
                               headers["X-Voice-Signature"], body + b" ")
    stale = int(headers["X-Voice-Timestamp"]) + 3600
    assert not webhooks.verify(SECRET, headers["X-Voice-Timestamp"],
                               headers["X-Voice-Signature"], body, now=stale)
    payload = json.loads(body)
    assert payload["event"] == "case.created"
    assert payload["case"]["source"] == {"type": "survey_response", "id": response_id}
    assert payload["case"]["team"] == {"id": hooked_team, "name": "Triage"}
    assert payload["case"]["state"] == "new"
    [done] = deliveries(app)
    assert done.status == "delivered" and done.attempts == 1 and done.last_status == 200


def test_the_signature_is_hmac_sha256_of_timestamp_and_body():
    import hashlib
    import hmac

    expected = hmac.new(b"k" * 16, b"1700000000.{}", hashlib.sha256).hexdigest()
    assert webhooks.sign("k" * 16, 1700000000, b"{}") == f"sha256={expected}"


def test_a_failure_is_retried_with_backoff_and_then_delivered_once(
        app, hooked_team, receiver, staff, customer):
    factories.nps_response(staff, customer)
    receiver.statuses = [500]
    with app.app_context():
        first = webhooks.deliver_due()
    assert (first.delivered, first.retried) == (0, 1)
    [waiting] = deliveries(app)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert waiting.last_status == 500 and waiting.last_error == "HTTP 500"
    assert waiting.next_attempt_at > utcnow() + timedelta(seconds=50)  # 1 minute backoff
    with app.app_context():
        too_early = webhooks.deliver_due()
    assert too_early.delivered == 0 and len(receiver.requests) == 1
    with app.app_context():
        retry = webhooks.deliver_due(now=utcnow() + timedelta(minutes=2))
    assert retry.delivered == 1
    with app.app_context():
        again = webhooks.deliver_due(now=utcnow() + timedelta(hours=10))
    assert again.delivered == 0
    assert len(receiver.requests) == 2  # the failed try and the good one
    first_id = receiver.requests[0]["headers"]["X-Voice-Delivery"]
    assert receiver.requests[1]["headers"]["X-Voice-Delivery"] == first_id
    [done] = deliveries(app)
    assert done.status == "delivered" and done.attempts == 2


def test_an_unreachable_receiver_is_retried_then_given_up(app, admin, staff, customer):
    import socket

    with socket.socket() as probe:  # a loopback port with nobody listening
        probe.bind(("127.0.0.1", 0))
        dead = f"http://127.0.0.1:{probe.getsockname()[1]}/hook"
    with app.app_context():
        triage = service.ensure_defaults()
        service.update_team(admin, triage.id, name="Triage", webhook_url=dead,
                            webhook_secret=SECRET)
    factories.nps_response(staff, customer)
    moment = utcnow()
    for attempt in range(webhooks.MAX_ATTEMPTS):
        moment += timedelta(hours=7)  # past any backoff
        with app.app_context():
            report = webhooks.deliver_due(now=moment, timeout=2)
        last = attempt == webhooks.MAX_ATTEMPTS - 1
        assert (report.failed, report.retried) == ((1, 0) if last else (0, 1))
    [gave_up] = deliveries(app)
    assert gave_up.status == "failed" and gave_up.attempts == webhooks.MAX_ATTEMPTS
    assert gave_up.last_error


def test_two_workers_at_once_send_each_delivery_once(app, hooked_team, receiver, staff,
                                                     make_user):
    for _ in range(4):
        factories.nps_response(staff, make_user())

    def work(_index):
        report = webhooks.deliver_due(batch=10)
        return report.delivered

    results = run_in_threads(app, work, 3)
    assert sum(results) == 4, results
    sent = [r["headers"]["X-Voice-Delivery"] for r in receiver.requests]
    assert sorted(sent) == sorted(set(sent)) and len(sent) == 4


def test_no_webhook_no_delivery(app, staff, customer):
    factories.nps_response(staff, customer)
    assert deliveries(app) == []


def test_backoff_grows_and_is_capped():
    assert [webhooks.backoff(n).total_seconds() / 60 for n in (1, 2, 3, 4)] == [1, 2, 4, 8]
    assert webhooks.backoff(30) == timedelta(hours=6)


def test_the_command_delivers(app, hooked_team, receiver, staff, customer):
    factories.nps_response(staff, customer)
    result = app.test_cli_runner().invoke(args=["admin", "deliver-webhooks"])
    assert result.exit_code == 0, result.output
    assert "delivered 1" in result.output
    assert len(receiver.requests) == 1
