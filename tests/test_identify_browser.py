"""The staff customer page with the host product's attributes (issue 15), in Chromium:
at 390 px nothing scrolls sideways, even with a 500-character unbroken value and a
40-character name, and axe finds no serious violation."""

from __future__ import annotations

import pytest

from tests import factories
from tests.conftest import sign_in
from tests.test_a11y_browser import _phone_checks


@pytest.fixture
def app_config() -> dict:
    return {"IDENTIFY_SECRET": factories.IDENTIFY_SECRET}


@pytest.mark.browser
def test_the_attributes_fit_a_phone(app, page, staff):
    person = factories.identified(plan="pro", monthly_revenue=1250.5,
                                  notes="x" * 500, **{"a" * 40: "long name"})
    sign_in(page, staff)
    page.set_viewport_size({"width": 390, "height": 844})
    response = page.goto(f"/admin/customers/{person.id}")
    assert response is not None and response.ok
    assert page.locator("dt", has_text="monthly_revenue").count() == 1
    assert page.locator("dd", has_text="1250.5").count() == 1
    assert _phone_checks(page) == []
