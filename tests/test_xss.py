"""Hostile input: an XSS corpus in every text field, then every page that shows it.

For each payload, a world is built (tests.test_authorization.build_world) with the
payload typed into every text field a customer or staff member fills: display
name, idea title and description, comment, internal note, status note, survey
title, question, choice and text answer, market question, description and outcome
label, case reply and note, update title and body, team, rule and area names.
Then every GET page of the URL map is fetched as a customer and as an admin, and
every mail queued, and parsed: no <script> but the site's own, no on* attribute, no
javascript:/data:/vbscript: URL, no iframe/object/embed/math/base or SVG animate/set/use/
foreignObject element, no meta refresh. The browser pass is in tests/test_xss_browser.py.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import select

from tests.test_authorization import build_world, fast_hashing, fill  # noqa: F401
from voice.extensions import db

PAYLOADS = [
    "<script>alert('xss1')</script>",
    "<img src=x onerror=alert('xss2')>",
    "<svg onload=alert('xss3')><svg/onload=alert(3)>",
    "\"><script>alert('xss4')</script><input value=\"",
    "' onmouseover='alert(5)' autofocus onfocus='alert(5)",
    "[click me](javascript:alert('xss6')) [b](JaVaScRiPt:alert(6))",
    "<a href=\"jav&#x09;ascript:alert('xss7')\">link</a>",
    "<iframe src=\"data:text/html,<script>alert(8)</script>\"></iframe>",
    "&lt;script&gt;alert('xss9')&lt;/script&gt; &#60;img src=x onerror=alert(9)&#62;",
    "![x](x\" onerror=\"alert('xss10')) <math><mtext><table><mglyph><style>"
    "<img src=x onerror=alert(10)>",
    "{{7*7}} {% raw %}${7*7} #{7*7}",
    "</textarea></title><script>alert('xss12')</script><meta http-equiv=refresh "
    "content=\"0;url=javascript:alert(12)\">",
]

# Every text field of the world, with the prefix that meets its minimum length.
FIELDS = ["name", "idea", "description", "comment", "note", "survey", "question", "choice",
          "answer", "market", "market_description", "outcome", "case_reply", "case_note",
          "update_title", "update_body", "team", "rule", "area", "status_note"]
LIMITS = {"name": 80, "idea": 120, "outcome": 80, "team": 80, "area": 80, "rule": 120,
          "choice": 80, "survey": 200, "market": 200, "update_title": 200}

# Elements that run or load script. A plain <svg> is the site's own icon markup; what
# makes SVG dangerous (handlers, <script>, <animate>/<set> of an href, <use>, <foreignObject>)
# is caught on its own.
DANGEROUS_TAGS = {"iframe", "object", "embed", "math", "base", "frame", "frameset", "applet",
                  "animate", "set", "use", "foreignobject", "portal"}
SCRIPT_URL = re.compile(r"^\s*(javascript|vbscript|data)\s*:", re.IGNORECASE)
URL_ATTRS = {"href", "src", "action", "formaction", "xlink:href", "poster", "background",
             "srcdoc", "data"}


def texts_for(payload: str, tag: str = "") -> dict[str, str]:
    texts = {}
    for name in FIELDS:
        text = f"{name.replace('_', ' ')} {tag}{payload}"
        texts[name] = text[:LIMITS.get(name, 2000)]
    return texts


class Checker(HTMLParser):
    """Records executable markup in a page."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self.in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "script":
            src = dict(attrs).get("src") or ""
            if not src.startswith("/static/"):
                self.problems.append(f"<script src={src!r}>")
            self.in_script = True
        if tag in DANGEROUS_TAGS:
            self.problems.append(f"<{tag}>")
        if tag == "meta" and (dict(attrs).get("http-equiv") or "").lower() == "refresh":
            self.problems.append("<meta http-equiv=refresh>")
        for name, value in attrs:
            name = (name or "").lower()
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}={value!r}>")
            cleaned = re.sub(r"[\x00-\x20]", "", value or "")
            image = tag == "img" and cleaned.lower().startswith("data:image/")
            if name in URL_ATTRS and SCRIPT_URL.match(cleaned) and not image:
                self.problems.append(f"<{tag} {name}={value!r}>")

    handle_startendtag = handle_starttag

    def handle_endtag(self, tag):
        if tag == "script":
            self.in_script = False

    def handle_data(self, data):
        if self.in_script and data.strip():
            self.problems.append(f"inline script {data.strip()[:40]!r}")
        self.text.append(data)


def check_html(html: str) -> tuple[list[str], str]:
    checker = Checker()
    checker.feed(html)
    checker.close()
    return checker.problems, "".join(checker.text)


def page_paths(app, world) -> list[str]:
    paths = []
    for rule in sorted(app.url_map.iter_rules(), key=lambda r: r.rule):
        if "GET" not in rule.methods or rule.rule.startswith(("/api/", "/static/")):
            continue
        if rule.endpoint in ("accounts.export_data",):
            continue  # a JSON download, checked below
        paths.append(fill(rule, world))
    # the pages' other states: search results, filters, a second page of comments
    paths += ["/ideas?q=idea", "/ideas?sort=new", "/admin/cases?state=new"]
    return paths


def sweep(app, world, login) -> tuple[int, list[str], str]:
    """Fetch every page as a customer and an admin; (pages checked, problems, all text)."""
    problems, text, checked = [], [], 0
    for user in (world.customer, world.admin):
        browser = login(user)
        for path in page_paths(app, world):
            answer = browser.get(path)
            assert answer.status_code < 500, (path, answer.status_code)
            if answer.mimetype != "text/html":
                continue
            found, page_text = check_html(answer.get_data(as_text=True))
            problems += [f"{path} as {user.role}: {p}" for p in found]
            text.append(page_text)
            checked += 1
    # the JSON download and the API are JSON: never sniffed as HTML
    assert login(world.customer).get("/me/data.json").mimetype == "application/json"
    api = app.test_client()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/") and "GET" in rule.methods:
            answer = api.get(fill(rule, world), headers={"Authorization": world.tokens["admin"]})
            assert answer.mimetype in ("application/json", "text/csv"), rule.rule
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
    return checked, problems, "\n".join(text)


def check_mails(app) -> list[str]:
    from voice.loop.models import OutboxMail

    problems = []
    with app.app_context():
        for mail in db.session.scalars(select(OutboxMail)):
            found, _ = check_html(mail.body_html or "")
            problems += [f"mail {mail.kind}: {p}" for p in found]
    return problems


@pytest.mark.parametrize("number", range(len(PAYLOADS)), ids=lambda n: f"payload{n + 1}")
def test_payload_in_every_field_is_inert_on_every_page(app, make_user, token_for, login,
                                                       fast_hashing, number):  # noqa: F811
    payload = PAYLOADS[number]
    world = build_world(app, make_user, token_for, texts_for(payload))
    checked, problems, text = sweep(app, world, login)
    assert checked >= 60
    problems += check_mails(app)
    assert not problems, "\n".join(sorted(set(problems))[:40])
    # the words were shown, as words: the idea's title and the comment reached the page
    # text (so the check above looked at them); a template expression stayed literal
    assert "idea " in text and "comment " in text
    visible = {name for name in FIELDS if texts_for(payload)[name] in text}
    assert {"idea", "name", "survey", "market", "team"} <= visible or "&" in payload \
        or "[" in payload or "<" in payload, visible
    if payload.startswith("{{"):
        assert "idea {{7*7}}" in text and "idea 49" not in text


def test_every_field_shows_up_somewhere(app, make_user, token_for, login,
                                        fast_hashing):  # noqa: F811
    """With a plain marker in each field, each field's words reach some page: so the
    corpus runs really do put hostile text where people read it."""
    texts = {name: f"{name} marker{index:02d}zz" for index, name in enumerate(FIELDS)}
    world = build_world(app, make_user, token_for, texts)
    _, problems, text = sweep(app, world, login)
    assert not problems
    missing = [name for name in FIELDS if f"marker{FIELDS.index(name):02d}zz" not in text]
    assert missing == [], missing


def test_the_checker_sees_what_it_must():
    problems, _ = check_html(
        '<script>x()</script><img src=x onerror=y><a href=" java\tscript:z">a</a>'
        '<svg><animate attributeName="href" values="javascript:x"/></svg>'
        '<iframe src="data:text/html,x"></iframe>'
        '<meta http-equiv="refresh" content="0">')
    assert len(problems) == 8, problems
    clean, text = check_html('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>'
                             '<script src="/static/js/voice.js"></script>')
    assert clean == [] and "<script>alert(1)</script>" in text
