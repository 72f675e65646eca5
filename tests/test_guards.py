"""Role guards: anonymous users go to sign in; customers get 403 on staff pages."""

from __future__ import annotations

import pytest
from flask import Blueprint

from voice.auth import staff_required


def add_staff_page(app):
    """A staff-only page registered just for this test, guarded like the real ones."""
    probe = Blueprint("probe", __name__)

    @probe.route("/probe/staff")
    @staff_required
    def staff_page():
        return "staff only"

    app.register_blueprint(probe)


def test_staff_guard(app, login, customer, staff, admin):
    add_staff_page(app)
    anonymous = login().get("/probe/staff")
    assert anonymous.status_code == 302
    assert anonymous.headers["Location"].startswith("/login?next=")
    assert login(customer).get("/probe/staff").status_code == 403
    assert login(staff).get("/probe/staff").get_data(as_text=True) == "staff only"
    assert login(admin).get("/probe/staff").status_code == 200


def test_error_pages_are_pages(app, login):
    response = login().get("/no/such/page")
    assert response.status_code == 404
    assert "<h1>Not found</h1>" in response.get_data(as_text=True)


def test_healthz_answers_with_the_database(app, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok", "database": "ok"}


def test_security_headers_on_every_response(app, client):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Strict-Transport-Security" not in response.headers


def test_session_cookie_flags(app, login, customer):
    browser = login()
    response = browser.post("/login", data={"email": customer.email,
                                            "password": "correct-horse-battery"})
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Secure" not in cookie


OPEN_REDIRECTS = ["https://evil.example/phish", "//evil.example/", "/.//evil.example/",
                  "/a/..//evil.example/x", "/./\t/evil.example", "\\\\evil.example"]


@pytest.mark.parametrize("back", OPEN_REDIRECTS)
def test_the_role_form_goes_back_only_within_the_site(app, login, admin, customer, back):
    """issue 13: the user list's role form redirected to any ``back`` it was sent."""
    response = login(admin).post(f"/admin/users/{customer.id}/role",
                                 data={"role": "customer", "back": back})
    assert response.status_code == 302
    location = response.headers["Location"]
    assert location.startswith("/") and "//" not in location, location
    assert "/." not in location and "\\" not in location and "\t" not in location, location


def test_the_role_form_goes_back_to_the_filtered_list(app, login, admin, customer):
    response = login(admin).post(f"/admin/users/{customer.id}/role",
                                 data={"role": "customer", "back": "/admin/users?role=staff"})
    assert response.headers["Location"] == "/admin/users?role=staff"
