"""Hostile input in Chromium: no dialog fires and the CSP never has to block anything.

One world whose every text field holds a different payload of the corpus (each
payload lands in one or two fields; tests/test_xss.py puts each payload in every
field and checks the HTML of every page). The most important pages are opened as
the customer and as an admin; the interactive ones are hovered and tabbed through,
so on* handlers would fire if any had slipped into the markup. A CSP violation
in the console also fails the test: it means markup from a user tried to run.
"""

from __future__ import annotations

import pytest

from tests.conftest import sign_in
from tests.test_authorization import build_world, fast_hashing  # noqa: F401
from tests.test_xss import FIELDS, LIMITS, PAYLOADS

pytestmark = pytest.mark.browser


def rotated_texts() -> dict[str, str]:
    texts = {}
    for index, name in enumerate(FIELDS):
        payload = PAYLOADS[index % len(PAYLOADS)]
        texts[name] = f"{name.replace('_', ' ')} {payload}"[:LIMITS.get(name, 2000)]
    return texts


def poke(page) -> None:
    """Send every element the events that payloads hook (mouseover, focus, load...) and
    tab through the page: a handler in the markup would fire."""
    page.evaluate("""() => {
        for (const element of document.querySelectorAll('body *')) {
            for (const name of ['mouseover', 'mouseenter', 'focus', 'load', 'error']) {
                element.dispatchEvent(new Event(name));
            }
        }
    }""")
    for _ in range(8):
        page.keyboard.press("Tab")


def test_no_payload_runs_in_chromium(app, page, make_user, token_for,
                                     fast_hashing):  # noqa: F811
    world = build_world(app, make_user, token_for, rotated_texts())
    ids = world.ids
    violations: list[str] = []
    errors: list[str] = []
    page.on("console", lambda message: violations.append(message.text)
            if "Content Security Policy" in message.text else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    public = ["/", "/ideas", f"/ideas/{ids['idea_id']}", "/surveys",
              f"/surveys/{ids['survey_id']}", "/markets", f"/markets/{ids['market_id']}",
              "/markets/leaderboard", "/updates", f"/updates/{ids['update_id']}"]
    own = ["/me", "/me/activity", "/me/positions", "/notifications"]
    staff = ["/admin", "/admin/cases", f"/admin/cases/{ids['case_id']}",
             f"/admin/surveys/{ids['survey_id']}/results",
             f"/admin/surveys/{ids['survey_id']}", f"/admin/markets/{ids['market_id']}",
             f"/admin/teams/{ids['team_id']}", f"/admin/rules/{ids['rule_id']}",
             "/admin/rules", "/admin/areas", "/admin/users", "/admin/updates",
             "/admin/audit"]
    visited = 0
    for path in public:
        page.goto(path)
        poke(page)
        visited += 1
    sign_in(page, world.customer)
    for path in public[:3] + own:
        page.goto(path)
        poke(page)
        visited += 1
    sign_in(page, world.admin)
    for path in staff + [f"/ideas/{ids['idea_id']}"]:
        response = page.goto(path)
        assert response.status == 200, path
        poke(page)
        visited += 1
    assert visited == 31
    assert page.dialogs == []
    assert violations == []
    assert errors == []
    # the payloads were on the page as text
    page.goto(f"/ideas/{ids['idea_id']}")
    assert "<script>alert('xss1')</script>" in page.locator("main").inner_text()
