"""Accessibility of the main pages (issue 13): form fields carry aria-invalid and
aria-describedby only when they have something to say; axe-core (vendored from npm,
run by Playwright in Chromium) finds no serious or critical violation; every page is
reachable from the navigation; every page a visitor, a customer, staff or an admin can
reach works at 820 and 390 px (nothing scrolls sideways: a wide table scrolls in its own
named, focusable region; no select is squeezed; axe finds nothing serious at 390 px)."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin, urlparse

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.conftest import sign_in
from voice.admin import service as admin
from voice.ideas import service as ideas
from voice.markets import service as markets

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
    """Pages (answering 200 with HTML) reached by following same-site links breadth-first
    from ``start``; at most ``limit`` paths are tried."""
    seen: set[str] = set()
    pages: set[str] = set()
    queue = [start]
    while queue and len(seen) < limit:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        response = browser.get(path)
        if response.status_code != 200 or "html" not in response.content_type:
            continue
        pages.add(path)
        parser = _Links()
        parser.feed(response.get_data(as_text=True))
        for href in parser.hrefs:
            url = urlparse(urljoin("http://localhost" + path, href))
            if url.netloc == "localhost" and not url.path.startswith(("/static", "/api")) \
                    and not url.path.endswith((".csv", ".json")):
                queue.append(url.path)
    return pages


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
    result = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
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
  .filter(e => e.getBoundingClientRect().right > innerWidth + 1 && !e.closest('.table-scroll'))
  .slice(0, 6).map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : ''))"""


def _sideways(page) -> list[str]:
    width, room = page.evaluate("[document.documentElement.scrollWidth, innerWidth]")
    if width <= room:
        return []
    return [f"scrollWidth {width} > {room}, past the edge: {page.evaluate(WIDEST)}"]


REGIONS = """() => {
  const found = [];
  for (const table of document.querySelectorAll('table'))
    if (!table.closest('.table-scroll')) found.push('a table outside a .table-scroll region');
  for (const region of document.querySelectorAll('.table-scroll'))
    if (region.getAttribute('role') !== 'region' || region.getAttribute('tabindex') !== '0'
        || !(region.getAttribute('aria-label') || '').trim())
      found.push('a .table-scroll without role=region, tabindex=0 and a name');
  return found; }"""

# A select is squeezed when the text of its chosen option does not fit its box while it
# shares its row with another field (Pico's grid gives each an equal share from 768 px).
# Alone on its row, on a phone, a long option may be cut: there is no more room.
SQUEEZED_SELECTS = """() => {
  const ctx = document.createElement('canvas').getContext('2d');
  const fields = [...document.querySelectorAll('input:not([type=hidden]), select, textarea')]
    .filter(e => e.offsetParent && !e.closest('.table-scroll'));
  const beside = (a, b) => { const r = a.getBoundingClientRect(), q = b.getBoundingClientRect();
    return q.bottom > r.top && q.top < r.bottom && (q.right <= r.left || q.left >= r.right); };
  return fields.filter(s => s.tagName === 'SELECT' && s.selectedOptions.length)
    .filter(s => { const style = getComputedStyle(s); ctx.font = style.font;
      const inner = s.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
      return ctx.measureText(s.selectedOptions[0].text).width > inner + 1
        && fields.some(other => other !== s && beside(s, other)); })
    .map(s => `select ${s.name} cuts "${s.selectedOptions[0].text}" short`); }"""


def _layout_checks(page) -> list[str]:
    return _sideways(page) + page.evaluate(SQUEEZED_SELECTS)


def _phone_checks(page) -> list[str]:
    return _layout_checks(page) + page.evaluate(REGIONS) + _axe_serious(page)


# Long content, so that titles, names and tables are as wide as real ones get.
LONG_NAME = "Maximiliana Featherstonehaugh-Worthington"
LONG_TITLE = ("Let every invoice export carry the purchase-order number, the cost centre "
              "and a tax breakdown")
LONG_TEAM = "Invoices, receipts and purchase orders (EMEA)"
LONG_URL = "https://example.com/billing/invoices/2026/export?format=pdf&include=purchase-orders"
LONG_TEXT = f"The export drops the purchase-order number every single time; see {LONG_URL}"
LONG_OUTCOMES = ("Yes, before the end of the first quarter", "Yes, but only for the web app",
                 "No, it slips to the second half of the year", "No, it is cancelled")


def _seed_people(make_user) -> dict[str, object]:
    return {"customer": make_user("customer", name=LONG_NAME),
            "other": make_user("customer"), "staff": make_user("staff", name=LONG_NAME),
            "admin": make_user("admin", name=LONG_NAME)}


def _seed_content(app, people) -> None:
    """Every kind of row a page lists, with long titles, labels and texts: ideas (voted,
    commented, moved on), an answered survey, traded markets (one resolved), a team and
    a rule, routed cases with notes, notifications and a published update."""
    customer, other, staff, boss = (people[k] for k in ("customer", "other", "staff", "admin"))
    with app.app_context():
        area = factories.area(LONG_TEAM, LONG_TEXT)
        idea_id = factories.idea(customer, LONG_TITLE, LONG_TEXT, area.slug, voters=[other],
                                 comments=[(other, LONG_TEXT), (staff, LONG_TEXT)])
        factories.idea(other, LONG_TITLE + " (again)", LONG_TEXT, voters=[customer])
        ideas.change_status(staff, idea_id, "planned", LONG_TEXT)
        made = factories.survey(staff, title=LONG_TITLE, description=LONG_TEXT)
        factories.response(made.id, customer, factories.good_answers(made, text=LONG_TEXT))
        factories.response(made.id, other, factories.good_answers(made, nps=2))
        for number in range(2):
            factories.market(staff, LONG_OUTCOMES, question=f"{LONG_TITLE} ({number})?",
                             description=LONG_TEXT, idea_id=idea_id,
                             trades=[(customer, 0, 20_000_000), (other, 2, 5_000_000)])
        resolved = factories.market(staff, question=LONG_TITLE + "?",
                                    trades=[(customer, 0, 3_000_000)])
        markets.resolve_market(staff, resolved.id, resolved.outcomes[0], LONG_TEXT)
        team_id = factories.team(boss, LONG_TEAM, LONG_TEXT, areas=[area.id],
                                 owners=[staff.email])
        factories.reply_template(boss, team_id, LONG_TITLE[:80], LONG_TEXT)
        factories.rule(boss, name=LONG_TITLE[:80], source="idea_created", team_id=team_id,
                       keywords="purchase-order, cost centre, invoice, receipt, tax")
        case_id = factories.case(customer_id=customer.id, team_id=team_id, title=LONG_TITLE)
        admin.add_note(staff, case_id, LONG_TEXT)
        admin.change_case(staff, case_id, state="in_progress", assignee_id=staff.id)
        factories.notifications([customer, staff], kind="idea_status", subject=LONG_TITLE,
                                body=LONG_TEXT, link=f"/ideas/{idea_id}")
        admin.publish_update(staff, LONG_TITLE, LONG_TEXT, [idea_id])


def _kind(path: str) -> str:
    """``/ideas/7`` and ``/ideas/9`` are pages of one kind, ``/ideas/#``; ``/admin/`` is
    ``/admin``."""
    return re.sub(r"/\d+(?=/|$)", "/#", path.rstrip("/")) or "/"


#: Who walks the site, from where, in order, and for which side: each kind of page is
#: checked once per side, as the first walker of that side who reaches it. The customer
#: holds positions and has notifications, the visitor adds the sign-in pages; the admin
#: sees every staff page, and the public ones with their staff panels.
WALKERS = (("customer", "/", "public"), ("anonymous", "/", "public"),
           ("admin", "/admin", "staff"), ("staff", "/admin", "staff"))


@pytest.mark.browser
def test_every_page_works_on_a_phone_and_a_small_screen(app, page, login, make_user):
    """Each kind of page, reached by following links, at 820 px (a tablet: Pico's grids
    put fields side by side from 768 px) then at 390 px: nothing scrolls sideways (a
    wide table scrolls in its own named, focusable region), no select is cut short, and
    axe finds no serious violation."""
    people = _seed_people(make_user)
    _seed_content(app, people)
    problems: list[str] = []
    checked: set[tuple[str, str]] = set()
    for role, start, side in WALKERS:
        user = people.get(role)
        page.context.clear_cookies()
        if user is not None:
            sign_in(page, user)
        for path in sorted(_crawl(login(user), start, 400)):
            if (side, _kind(path)) in checked:
                continue
            checked.add((side, _kind(path)))
            page.set_viewport_size({"width": 820, "height": 900})
            response = page.goto(path)
            assert response is not None and response.ok, f"{role} {path}"
            problems += [f"{role} {path} at 820 px: {p}" for p in _layout_checks(page)]
            page.set_viewport_size({"width": 390, "height": 844})
            problems += [f"{role} {path} at 390 px: {p}" for p in _phone_checks(page)]
    assert {"/admin/cases/#", "/admin/rules/#", "/admin/teams/#", "/admin/surveys/#/results",
            "/admin/markets/#", "/ideas/#"} <= {kind for side, kind in checked if side == "staff"}
    assert {"/me/positions", "/markets/leaderboard", "/notifications", "/ideas/#",
            "/login"} <= {kind for side, kind in checked if side == "public"}
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


@pytest.mark.browser
def test_a_long_name_keeps_the_account_links_beside_the_brand_at_390_px(page, make_user):
    person = make_user("staff", name=LONG_NAME)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, person)
    page.goto("/ideas")
    header = page.evaluate("""() => {
        const nav = document.querySelector('.site-header nav');
        const account = nav.querySelector(':scope > ul:last-child');
        const brand = nav.querySelector('.brand').closest('li');
        const items = [brand, ...account.querySelectorAll('li')];
        const name = account.querySelector('li:nth-last-child(2) a');
        return {rows: new Set(items.map(e => Math.round(e.getBoundingClientRect().top))).size,
                cut: name.scrollWidth > name.clientWidth, text: name.textContent.trim(),
                right: Math.max(...items.map(e => e.getBoundingClientRect().right))}; }""")
    assert header["rows"] == 1, header
    assert header["cut"] and header["text"] == LONG_NAME, header
    assert header["right"] <= 390, header


FOCUSED_REGION = """() => { const e = document.activeElement;
    return e.classList.contains('table-scroll') ? e.getAttribute('aria-label') : null; }"""


@pytest.mark.browser
def test_a_wide_table_scrolls_in_its_region_by_keyboard_with_a_ring(app, page, customer, staff):
    """"My positions" at 390 px: the page does not scroll sideways, the table's region
    does; Tab reaches the region (named after the market), shows the focus ring, and the
    arrow keys scroll it."""
    with app.app_context():
        factories.market(staff, LONG_OUTCOMES, question=LONG_TITLE + "?",
                         trades=[(customer, 0, 20_000_000)])
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, customer)
    page.goto("/me/positions")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    region = page.locator(".table-scroll")
    expect(region).to_have_attribute("tabindex", "0")  # newer Chromiums focus any scroller
    assert region.evaluate("e => e.scrollWidth > e.clientWidth"), "the table fits: not wide"
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_REGION) is not None:
            break
    assert page.evaluate(FOCUSED_REGION) == f"Your position: {LONG_TITLE}?"
    ring = region.evaluate("""e => { const s = getComputedStyle(e);
        return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
    assert ring[0] != "none" and ring[1] >= 2, ring
    assert region.evaluate("e => e.scrollLeft") == 0
    page.keyboard.press("ArrowRight")
    expect(region).not_to_have_js_property("scrollLeft", 0)
