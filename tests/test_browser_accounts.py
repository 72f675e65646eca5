"""A person registers and signs out in Chromium; the page shows no script errors."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser


def test_register_and_sign_out_in_a_browser(page):
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto("/register")
    page.get_by_label("Display name").fill("Brow Ser")
    page.get_by_label("Email").fill("brow@example.com")
    page.get_by_label("Password", exact=False).first.fill("long-enough-pw")
    page.get_by_label("Repeat the password").fill("long-enough-pw")
    page.get_by_role("main").get_by_role("button", name="Register").click()
    assert page.get_by_text("Welcome to Voice, Brow Ser.").is_visible()
    page.get_by_role("button", name="Sign out").click()
    assert page.get_by_role("link", name="Sign in").is_visible()
    assert errors == []
