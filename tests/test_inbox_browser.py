"""In Chromium: staff work the inbox from the keyboard (j/k move, x ticks, Enter opens)
and close the ticked cases with one reply, which each customer reads."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import sign_in
from voice.admin.models import Case
from voice.extensions import db
from voice.loop.models import Notification

pytestmark = pytest.mark.browser


def test_keyboard_navigation_and_bulk_close(app, page, staff, make_user):
    alice, bob = make_user(name="Alice Customer"), make_user(name="Bob Customer")
    first = factories.case(customer_id=alice.id, source_id=1, title="Alice's export times out")
    second = factories.case(customer_id=bob.id, source_id=2, title="Bob cannot log in")
    third = factories.case(customer_id=bob.id, source_id=3, title="Bob wants dark mode")
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))

    sign_in(page, staff)
    page.goto("/admin/cases?state=open")
    assert page.locator("#inbox-keys").is_visible()  # the help line, shown with the keys
    rows = page.locator("tr.case-row")
    ids = [int(rows.nth(n).get_attribute("data-case-id")) for n in range(rows.count())]
    assert sorted(ids) == sorted([first, second, third])

    # j moves to the first case: its row is marked and its link has the (visible) focus
    page.keyboard.press("j")
    assert "is-current" in rows.nth(0).get_attribute("class")
    assert page.evaluate("document.activeElement.matches('tr.case-row a[data-case-link]')")
    assert page.evaluate("document.activeElement.matches(':focus-visible')")
    page.keyboard.press("x")  # ticks the first
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("x")  # ticks the third
    page.keyboard.press("k")
    assert "is-current" in rows.nth(1).get_attribute("class")
    assert "is-current" not in rows.nth(2).get_attribute("class")
    ticked = [rows.nth(n).locator("input[type=checkbox]").is_checked() for n in range(3)]
    assert ticked == [True, False, True]

    # typing in a field is left alone: "j" goes into the reply
    page.get_by_label("Reply to each customer").fill("Fixed in today's release, thank you!")
    page.keyboard.press("j")
    assert page.get_by_label("Reply to each customer").input_value().endswith("!j")
    page.get_by_label("Reply to each customer").fill("Fixed in today's release, thank you!")
    page.get_by_role("button", name="Close the ticked cases with this reply").click()
    assert page.get_by_text("2 cases closed").is_visible()
    closed = {ids[0], ids[2]}
    with app.app_context():
        states = {c.id: c.state for c in db.session.scalars(db.select(Case))}
        assert {i for i, s in states.items() if s == "closed"} == closed
        told = {n.user_id for n in db.session.scalars(db.select(Notification))}
    owners = {first: alice.id, second: bob.id, third: bob.id}
    assert told == {owners[i] for i in closed}

    # Enter opens the case the keys are on
    page.goto("/admin/cases?state=done")
    page.keyboard.press("j")
    page.keyboard.press("Enter")
    page.wait_for_url("**/admin/cases/*")
    assert page.url.rsplit("/", 1)[1].isdigit()
    assert int(page.url.rsplit("/", 1)[1]) in closed
    assert errors == []
