"""Accessibility of the main pages (issue 13): form fields carry aria-invalid and
aria-describedby only when they have something to say; axe-core (vendored from npm,
run by Playwright in Chromium) finds no serious or critical violation; every page is
reachable from the navigation; nothing scrolls sideways at 390 px."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest

from tests import factories
from tests.conftest import sign_in
from voice.admin import service as admin
from voice.ideas import service as ideas

NONE_ATTRIBUTE = re.compile(r'[\w-]+="None"')


def _sample(app, staff, customer) -> dict[str, int]:
    """An idea and a case in progress (their badges are coloured), one open survey and
    one market (ids by kind)."""
    with app.app_context():
        made = {
            "idea": factories.idea(customer),
            "survey": factories.survey(staff).id,
            "market": factories.market(staff).id,
            "case": factories.case(customer_id=customer.id),
        }
        ideas.change_status(staff, made["idea"], "in_progress", "We are on it.")
        admin.change_case(staff, made["case"], state="in_progress")
        return made


# --- line 1: no aria-invalid="None" -----------------------------------------------------


def test_form_pages_carry_no_none_attribute(app, login, customer, staff):
    ids = _sample(app, staff, customer)
    anonymous = login()
    signed_in = login(customer)
    as_staff = login(staff)
    pages = [(anonymous, "/login"), (anonymous, "/register"), (signed_in, "/ideas/new"),
             (as_staff, "/admin/markets/new"), (signed_in, f"/surveys/{ids['survey']}")]
    for browser, path in pages:
        response = browser.get(path)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert NONE_ATTRIBUTE.findall(html) == [], path


def test_an_invalid_field_is_announced_with_its_error(login):
    browser = login()
    response = browser.post("/register", data={"email": "not-an-email", "password": "x",
                                               "display_name": ""})
    assert response.status_code in (200, 400, 422)
    html = response.get_data(as_text=True)
    invalid = re.findall(r"<input[^>]*aria-invalid=\"true\"[^>]*>", html)
    assert invalid, "no field is marked invalid after a bad submit"
    for tag in invalid:
        described = re.search(r'aria-describedby="([^"]+)"', tag)
        assert described, tag
        for target in described.group(1).split():
            assert f'id="{target}"' in html, f"{target} is not on the page"
    assert NONE_ATTRIBUTE.findall(html) == []


# --- line 3: every page is linked from the navigation ----------------------------------


class _Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        href = dict(attrs).get("href")
        if tag == "a" and href:
            self.hrefs.append(href)


def _crawl(browser, start: str, limit: int = 60) -> set[str]:
    """Paths reached by following same-site links breadth-first from ``start``."""
    seen: set[str] = set()
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = browser.get(path)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        for href in parser.hrefs:
            url = urlparse(urljoin("http://localhost" + path, href))
            if url.netloc == "localhost" and not url.path.startswith(("/static", "/api")) \
                    and not url.path.endswith((".csv", ".json")):
                queue.append(url.path)
    return seen


def test_customer_navigation_reaches_the_updates(login, customer):
    assert "/updates" in _crawl(login(customer), "/")


STAFF_PAGES = ("/admin/surveys", "/admin/markets", "/admin/cases", "/admin/cases/mine",
               "/admin/updates", "/admin/audit", "/admin/scores", "/updates")
ADMIN_PAGES = ("/admin/rules", "/admin/teams", "/admin/areas", "/admin/users")


def test_staff_navigation_reaches_every_staff_page(login, staff):
    reached = _crawl(login(staff), "/admin")
    missing = [path for path in STAFF_PAGES if path not in reached]
    assert missing == []


def test_admin_navigation_reaches_every_admin_page(login, admin):
    reached = _crawl(login(admin), "/admin")
    missing = [path for path in STAFF_PAGES + ADMIN_PAGES if path not in reached]
    assert missing == []


# --- line 2 and line 4: axe-core and 390 px in Chromium --------------------------------


def _main_pages(ids: dict[str, int]) -> tuple[list[str], list[str]]:
    public = ["/", "/ideas", f"/ideas/{ids['idea']}", "/surveys", f"/surveys/{ids['survey']}",
              "/markets", f"/markets/{ids['market']}", "/login", "/register"]
    return public, ["/admin", "/admin/cases"]


def _axe_serious(page) -> list[str]:
    # add_script_tag(path=...) inlines the file, which the CSP blocks; the vendored
    # file served from /static is "self" and loads.
    page.add_script_tag(url="/static/vendor/axe-core/axe.min.js")
    result = page.evaluate("async () => await axe.run()")
    found = []
    for violation in result["violations"]:
        nodes = [node["target"] for node in violation["nodes"]]
        if violation["impact"] in ("serious", "critical") and nodes:
            found.append(f"{violation['id']} ({violation['impact']}): {violation['help']} "
                         f"at {nodes[:5]}")
    return found


def _visit_all(page, staff, ids, check) -> list[str]:
    public, staff_pages = _main_pages(ids)
    problems: list[str] = []
    for path in public:
        page.goto(path)
        problems += [f"{path}: {p}" for p in check(page)]
    sign_in(page, staff)
    for path in staff_pages:
        page.goto(path)
        problems += [f"{path}: {p}" for p in check(page)]
    return problems


@pytest.mark.browser
def test_axe_finds_no_serious_violation_on_the_main_pages(app, page, staff, customer):
    ids = _sample(app, staff, customer)
    problems = _visit_all(page, staff, ids, _axe_serious)
    assert problems == [], "\n".join(problems)


WIDEST = """() => [...document.querySelectorAll('body *')]
  .filter(e => e.getBoundingClientRect().right > 391 && !e.closest('.table-scroll'))
  .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


def _sideways(page) -> list[str]:
    width = page.evaluate("document.documentElement.scrollWidth")
    if width <= 390:
        return []
    return [f"scrollWidth {width} > 390, past the edge: {page.evaluate(WIDEST)}"]


@pytest.mark.browser
def test_no_page_scrolls_sideways_at_390_px(app, page, staff, customer):
    ids = _sample(app, staff, customer)
    page.set_viewport_size({"width": 390, "height": 844})
    problems = _visit_all(page, staff, ids, _sideways)
    assert problems == [], "\n".join(problems)


@pytest.mark.browser
def test_the_focus_ring_is_plain_to_see(page):
    page.goto("/login")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand link
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
    assert ring[0] != "none" and ring[1] >= 2, ring


@pytest.mark.browser
def test_the_header_does_not_stack_at_390_px(page, staff):
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, staff)
    page.goto("/admin")
    rows = page.evaluate("""() => new Set([...document.querySelectorAll('.nav-links li')]
        .map(li => Math.round(li.getBoundingClientRect().top))).size""")
    assert rows <= 2, f"the main links stack on {rows} rows"
