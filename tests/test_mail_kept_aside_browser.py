"""The page of mail kept aside in Chromium: at 390 px, by keyboard, without surprises.

A long mail from a long address fits a phone (nothing scrolls sideways, axe finds no
serious violation); staff attach it to a case with the keyboard alone and see the
result; a wrong case number keeps what they typed beside the sentence.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import sign_in
from tests.test_a11y_browser import _phone_checks

LONG_ADDRESS = "maximiliana.featherstonehaugh-worthington.accounts-payable@example-holdings.net"
LONG_BODY = ("The export drops the purchase-order number every single time; see "
             "https://example.com/billing/invoices/2026/export?format=pdf&include=purchase-orders"
             "\n\n") * 30


@pytest.fixture
def app_config():
    return {"REPLY_ADDRESS": "reply@voice.example", "INBOUND_COUNT_SECONDS": 0}


@pytest.mark.browser
def test_kept_aside_mail_works_on_a_phone_and_by_keyboard(app, page, staff, customer):
    case_id = factories.case(customer_id=customer.id)
    factories.inbound_mail(LONG_ADDRESS, body=LONG_BODY, subject="Re: " + "invoices " * 12)
    mine = factories.inbound_mail(customer.email, body="Here is the missing number: PO-1234.")
    sign_in(page, staff)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/admin")
    page.get_by_role("navigation", name="Staff").get_by_role(
        "link", name="Mail kept aside (2)").click()
    expect(page.get_by_role("heading", name="Mail kept aside", level=1)).to_be_visible()
    page.wait_for_load_state("load")  # its stylesheets applied before the layout is measured
    assert _phone_checks(page) == []

    field = page.locator(f"#mail-{mine}-case_id")
    field.focus()
    page.keyboard.type("999999")
    page.keyboard.press("Enter")
    expect(page.get_by_text("There is no case #999999.")).to_be_visible()
    expect(page.locator(f"#mail-{mine}-case_id")).to_have_value("999999")

    page.locator(f"#mail-{mine}-case_id").fill(str(case_id))
    page.keyboard.press("Enter")
    expect(page.get_by_text(f"Mail attached to case #{case_id} as the customer's message."))\
        .to_be_visible()
    expect(page.get_by_role("link", name="Mail kept aside (1)")).to_be_visible()
    page.goto(f"/admin/cases/{case_id}")
    expect(page.get_by_text("Here is the missing number: PO-1234.")).to_be_visible()
