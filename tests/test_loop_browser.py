"""The notifications page in Chromium: mark read without a reload, the bell follows."""

from __future__ import annotations

import pytest

from tests.conftest import sign_in
from voice.accounts.models import User
from voice.database import write_transaction
from voice.extensions import db
from voice.loop import service
from voice.loop.models import Notification

pytestmark = pytest.mark.browser


def test_mark_read_and_mark_all_read_without_reloading(app, page, customer):
    with app.app_context(), write_transaction():
        user = db.session.get(User, customer.id)
        for subject in ("First notice", "Second notice", "Third notice"):
            service.notify([user], kind="idea_status_changed", subject=subject, mail=False)
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    sign_in(page, customer)
    page.goto("/notifications")
    page.evaluate("window.loopMarker = 'same page'")
    bell = page.locator("[data-unread-count]")
    assert bell.inner_text() == "3"

    second = page.locator("li.notification", has_text="Second notice")
    second.get_by_role("button", name="Mark read").click()
    page.get_by_text("Marked read.").wait_for()
    assert bell.inner_text() == "2"
    assert "unread" not in second.get_attribute("class")
    assert second.get_by_role("button", name="Mark read").count() == 0
    assert page.locator("[data-unread-total]").inner_text() == "2"
    assert page.evaluate("window.loopMarker") == "same page"  # no reload
    with app.app_context():
        read = db.session.scalars(
            db.select(Notification.subject).where(Notification.read_at.is_not(None))).all()
    assert read == ["Second notice"]

    page.get_by_role("button", name="Mark all read").click()
    page.get_by_text("All notifications marked read.").wait_for()
    assert page.locator("[data-unread-count]").count() == 0
    assert page.locator("li.notification.unread").count() == 0
    assert page.evaluate("window.loopMarker") == "same page"
    assert errors == []
