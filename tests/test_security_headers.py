"""Security headers on every kind of response, and a static check of every template.

Headers: a Content-Security-Policy that allows no inline script or style and no
framing, X-Content-Type-Options nosniff, a Referrer-Policy, X-Frame-Options; HSTS
only when VOICE_HTTPS=1. Templates: no inline <script> body, no on*= handler, no
style= attribute or <style> element, no javascript: URL; page scripts use no
innerHTML, eval or document.write (the DOM side of XSS).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from tests.test_authorization import build_world, fast_hashing  # noqa: F401

ROOT = Path(__file__).resolve().parent.parent


def directives(csp: str) -> dict[str, list[str]]:
    parsed = {}
    for part in csp.split(";"):
        words = part.split()
        if words:
            parsed[words[0]] = words[1:]
    return parsed


def check_headers(response, where: str) -> None:
    headers = response.headers
    csp = directives(headers.get("Content-Security-Policy", ""))
    assert csp, f"no CSP on {where}"
    for name in ("script-src", "style-src", "default-src"):
        sources = csp.get(name, csp.get("default-src"))
        assert sources == ["'self'"], (where, name, sources)
        assert "'unsafe-inline'" not in sources and "'unsafe-eval'" not in sources
    assert csp["frame-ancestors"] == ["'none'"], where
    assert csp["object-src"] == ["'none'"], where
    assert csp["base-uri"] == ["'self'"] and csp["form-action"] == ["'self'"], where
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in ("strict-origin-when-cross-origin",
                                              "no-referrer"), where
    assert headers.get("X-Frame-Options") == "DENY", where
    assert "Strict-Transport-Security" not in headers, where


@pytest.fixture
def world(app, make_user, token_for, fast_hashing):  # noqa: F811
    return build_world(app, make_user, token_for)


def test_headers_on_every_kind_of_response(app, world, login):
    anonymous = login()
    staff = login(world.staff)
    customer = login(world.customer)
    api = app.test_client()
    bearer = {"Authorization": world.tokens["staff"]}
    sid, iid = world.ids["survey_id"], world.ids["idea_id"]
    responses = {
        "home page": anonymous.get("/"),
        "idea page": anonymous.get(f"/ideas/{iid}"),
        "sign-in redirect": anonymous.get("/me"),
        "form re-rendered with errors (400)": anonymous.post("/login", data={"email": "x"}),
        "CSRF refusal (400)": anonymous.client.post("/login", data={}),
        "page 403": customer.get("/admin"),
        "page 404": anonymous.get("/no/such/page"),
        "page 405": anonymous.client.put("/ideas"),
        "reset link page": anonymous.get(f"/reset-password/{world.ids['reset_token']}"),
        "staff page": staff.get("/admin/cases"),
        "CSV export": staff.get(f"/admin/surveys/{sid}/responses.csv"),
        "JSON download": customer.get("/me/data.json"),
        "API list": api.get("/api/v1/ideas"),
        "API object": api.get(f"/api/v1/ideas/{iid}"),
        "API 400": api.post("/api/v1/ideas", data="not json", headers=bearer),
        "API 401": api.get("/api/v1/me"),
        "API 403": api.get("/api/v1/admin/cases",
                           headers={"Authorization": world.tokens["customer"]}),
        "API 404": api.get("/api/v1/ideas/999999"),
        "API 405": api.put("/api/v1/ideas"),
        "API CSV": api.get(f"/api/v1/surveys/{sid}/responses.csv", headers=bearer),
        "API 204": api.delete("/api/v1/tokens/current",
                              headers={"Authorization": world.tokens["other"]}),
        "OpenAPI": api.get("/api/v1/openapi.json"),
        "static CSS": anonymous.get("/static/css/voice.css"),
        "static JS": anonymous.get("/static/js/voice.js"),
        "static 404": anonymous.get("/static/nope.js"),
        "health": anonymous.get("/healthz"),
    }
    statuses = {name: r.status_code for name, r in responses.items()}
    assert statuses["page 403"] == 403 and statuses["page 404"] == 404
    assert statuses["API 401"] == 401 and statuses["API 204"] == 204
    assert statuses["page 405"] == 405 and statuses["API 405"] == 405
    assert statuses["CSRF refusal (400)"] == 400 and statuses["static CSS"] == 200
    for name, response in responses.items():
        check_headers(response, name)
    assert responses["reset link page"].headers["Referrer-Policy"] == "no-referrer"


def test_rate_limited_and_unavailable_answers_carry_the_headers(app, monkeypatch):
    from tests.conftest import test_config
    from voice import create_app

    limited = create_app(test_config(app.config["SQLALCHEMY_DATABASE_URI"],
                                     RATELIMIT_ENABLED=True))
    client = limited.test_client()
    answers = [client.post("/api/v1/tokens", json={"email": "a@example.com",
                                                   "password": "wrong-password"})
               for _ in range(11)]
    assert answers[-1].status_code == 429
    check_headers(answers[-1], "API 429")


HSTS_PROBE = """
import json, os
from voice import create_app
app = create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "SECRET_KEY": "x",
                  "TESTING": True})
answer = app.test_client().get("/static/css/voice.css")
print(json.dumps({"hsts": answer.headers.get("Strict-Transport-Security"),
                  "secure_cookie": app.config.get("SESSION_COOKIE_SECURE")}))
"""


@pytest.mark.parametrize(("flag", "expected"), [("1", True), ("0", False)])
def test_hsts_only_with_voice_https(flag, expected):
    """The switch is read from the environment, as in production: a fresh process."""
    env = {"VOICE_HTTPS": flag, "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-c", HSTS_PROBE], cwd=ROOT, env=env,
                            capture_output=True, text=True, check=True, timeout=60)
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    if expected:
        assert seen["hsts"] == "max-age=31536000; includeSubDomains"
        assert seen["secure_cookie"] is True
    else:
        assert seen["hsts"] is None and not seen["secure_cookie"]


# --- the static check of the templates ------------------------------------------------------


class TemplateScanner(HTMLParser):
    """Collects what the CSP would block or what runs script from markup."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False
        self.script_has_src = False
        self.script_body = ""

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            name = (name or "").lower()
            if name.startswith("on") and re.fullmatch(r"on[a-z]+", name):
                self.problems.append(f"<{tag} {name}=...> event handler")
            if name == "style":
                self.problems.append(f"<{tag} style=...> inline style")
            if value and re.match(r"\s*(javascript|vbscript|data:text/html)",
                                  value, re.IGNORECASE):
                self.problems.append(f"<{tag} {name}={value!r}> script URL")
        if tag == "script":
            self.in_script = True
            self.script_has_src = any(n == "src" for n, _v in attrs)
            self.script_body = ""
        if tag == "style":
            self.problems.append("<style> element")

    def handle_data(self, data):
        if self.in_script:
            self.script_body += data

    def handle_endtag(self, tag):
        if tag == "script":
            if self.script_body.strip():
                self.problems.append(f"inline <script> body: {self.script_body.strip()[:60]!r}")
            if not self.script_has_src:
                self.problems.append("<script> without src")
            self.in_script = False


def templates() -> list[Path]:
    return sorted(p for p in (ROOT / "templates").rglob("*.html"))


def test_templates_hold_no_inline_script_style_or_handlers():
    found = templates()
    assert len(found) >= 40
    problems = []
    for path in found:
        text = path.read_text()
        # Mail bodies are read in mail clients, which drop <link>ed CSS: inline styles
        # are the norm there and no CSP applies. Script, handlers and URLs still count.
        mail = "mail" in path.relative_to(ROOT / "templates").parts
        scanner = TemplateScanner()
        scanner.feed(text)
        scanner.close()
        problems += [f"{path.relative_to(ROOT)}: {p}" for p in scanner.problems
                     if not (mail and "style" in p)]
        # what the parser may miss inside Jinja syntax
        for pattern, what in ((r"\son[a-z]+\s*=\s*[\"']", "event handler"),
                              (r"\sstyle\s*=\s*[\"']", "style attribute"),
                              (r"javascript:", "javascript: URL"),
                              (r"\|\s*safe\b(?![^}]*markdown)", "|safe on something")):
            if mail and what == "style attribute":
                continue
            for match in re.finditer(pattern, text, re.IGNORECASE):
                line = text[:match.start()].count("\n") + 1
                snippet = text[max(0, match.start() - 20):match.end() + 30].replace("\n", " ")
                if what == "|safe on something" and "markdown" in snippet:
                    continue
                problems.append(f"{path.relative_to(ROOT)}:{line}: {what}: {snippet!r}")
    assert not problems, "\n".join(sorted(set(problems)))


def test_page_scripts_never_write_html_from_strings():
    scripts = sorted((ROOT / "static" / "js").glob("*.js"))
    assert scripts
    problems = []
    for path in scripts:
        text = path.read_text()
        for pattern in (r"\.innerHTML\s*=", r"\.outerHTML\s*=", r"insertAdjacentHTML",
                        r"document\.write", r"\beval\s*\(", r"new\s+Function\s*\(",
                        r"setTimeout\s*\(\s*[\"']", r"setInterval\s*\(\s*[\"']"):
            for match in re.finditer(pattern, text):
                line = text[:match.start()].count("\n") + 1
                problems.append(f"{path.name}:{line}: {pattern}")
    assert not problems, problems


def test_the_scanner_catches_what_it_looks_for():
    scanner = TemplateScanner()
    scanner.feed('<script>alert(1)</script><a href="JavaScript:x" onclick="y">a</a>'
                 '<p style="color:red"></p><script src="/s.js"></script>')
    assert len(scanner.problems) == 5, scanner.problems


# --- Cache-Control on what is about the signed-in person (issue 13) -----------------------


def parameterless_get_paths(app) -> list[str]:
    return sorted({rule.rule for rule in app.url_map.iter_rules()
                   if "GET" in rule.methods and not rule.arguments
                   and not rule.rule.startswith("/static")})


def test_every_answer_for_a_signed_in_person_is_no_store(app, world, login):
    """Pages rendered for a signed-in user and API answers with a user: a shared cache or
    the browser's back button must not keep them (ASVS V8.2.1)."""
    iid = world.ids["idea_id"]
    customer, staff = login(world.customer), login(world.staff)
    api = app.test_client()
    answers = {f"customer {path}": customer.get(path) for path in parameterless_get_paths(app)
               if not path.startswith(("/admin", "/api/v1/admin"))}
    answers |= {f"staff {path}": staff.get(path) for path in parameterless_get_paths(app)
                if path.startswith("/admin")}
    answers |= {
        "idea page": customer.get(f"/ideas/{iid}"),
        "page 404": customer.get("/no/such/page"),
        "API me": api.get("/api/v1/me", headers={"Authorization": world.tokens["customer"]}),
        "API idea": api.get(f"/api/v1/ideas/{iid}",
                            headers={"Authorization": world.tokens["customer"]}),
        "API 404": api.get("/api/v1/ideas/999999",
                           headers={"Authorization": world.tokens["customer"]}),
        "API with the cookie": customer.get("/api/v1/me/notifications"),
        "API new token": api.post("/api/v1/tokens", json={"email": world.customer.email,
                                                          "password": "correct-horse-battery"}),
    }
    for where, answer in answers.items():
        if answer.status_code in (200, 201, 400, 403, 404):
            assert answer.headers.get("Cache-Control") == "no-store", (where, answer.status_code)


def test_signed_out_public_pages_stay_cacheable(app, world, login):
    anonymous = login()
    for path in ("/", "/ideas", f"/ideas/{world.ids['idea_id']}", "/markets"):
        assert "no-store" not in anonymous.get(path).headers.get("Cache-Control", ""), path
    assert "no-store" not in anonymous.get("/static/css/voice.css").headers.get(
        "Cache-Control", "")
