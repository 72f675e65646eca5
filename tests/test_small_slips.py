"""Issue 13's small slips: each stays fixed.

Mail preferences printed each description twice (and so each hint id twice); the case
page and the audit log showed raw Markdown; and the slips fixed earlier (singular counts,
kinds by their labels, a settled market's date, no "liquidity b" for customers) are
checked here where no other test pins them.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import timedelta
from html import unescape
from html.parser import HTMLParser

from sqlalchemy import select

from tests import factories
from voice.admin.models import Case
from voice.clock import utcnow
from voice.extensions import db
from voice.ideas import service as ideas
from voice.loop.service import CATEGORIES, preferences_for
from voice.markets import service as markets
from voice.surveys.scales import KIND_LABELS
from voice.text import markdown_text, plain_excerpt

MARKDOWN = ("# A heading\n\nPlease **export** the [invoice list](https://example.com/x) "
            "as *PDF*.\n\n- first\n- second\n\n`code` & more")
#: What a reader of MARKDOWN sees, and the marks that must not reach the page.
SEEN = ("A heading", "Please export the invoice list as PDF.", "first", "second",
        "code & more")
RAW_MARKS = ("**", "# A heading", "[invoice list]", "](https://", "*PDF*", "- first", "`code`")


class Ids(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.ids.extend(value for name, value in attrs if name == "id" and value)


def ids_of(page: str) -> Counter[str]:
    parser = Ids()
    parser.feed(page)
    return Counter(parser.ids)


def text(response) -> str:
    return unescape(response.get_data(as_text=True))


# --- mail preferences ---------------------------------------------------------------------


def test_mail_preferences_print_each_description_once_with_no_duplicate_id(app, login,
                                                                            staff):
    page = login(staff).get("/notifications/preferences").get_data(as_text=True)
    twice = [name for name, count in ids_of(page).items() if count > 1]
    assert twice == []
    shown = unescape(page)
    for category in CATEGORIES.values():
        assert shown.count(category.description) == 1, category.name
        # the hint is the check box's description
        assert f'aria-describedby="{category.name}-hint"' in page
        assert f'id="{category.name}-hint"' in page


def test_a_customer_is_not_offered_staff_mail_and_saving_leaves_it_alone(app, login,
                                                                         customer):
    staff_only = [c for c in CATEGORIES.values() if c.staff_only]
    assert staff_only, "the staff's case mail is a category of its own"
    client = login(customer)
    page = unescape(client.get("/notifications/preferences").get_data(as_text=True))
    for category in staff_only:
        assert category.label not in page and f'name="{category.name}"' not in page
    client.post("/notifications/preferences", data={"idea_status": "y"})
    with app.app_context():
        kept = preferences_for(customer)
    assert all(kept[c.name] for c in staff_only)  # untouched: still the default, on


# --- Markdown as text ---------------------------------------------------------------------


def test_markdown_text_is_what_a_reader_sees():
    plain = markdown_text(MARKDOWN)
    for words in SEEN:
        assert words in plain
    for mark in RAW_MARKS:
        assert mark not in plain
    assert plain.split("\n\n")[:2] == ["A heading", "Please export the invoice list as PDF."]
    assert markdown_text("| a | b |\n|---|---|\n| 1 | 2 |") == "a | b\n\n1 | 2"
    assert markdown_text("![a *chart*](c.png)") == "a chart"
    assert markdown_text(None) == "" and markdown_text("") == ""


def test_plain_excerpts_are_text_not_html():
    """An excerpt (notices, mail) was HTML-escaped, so "&" showed as "&amp;" once the
    page escaped it again."""
    assert plain_excerpt("Tom & Jerry <3 **bold**") == "Tom & Jerry <3 bold"
    assert plain_excerpt("word " * 100, 20) == "word word word word…"


def test_a_status_note_with_an_ampersand_reads_right_in_the_notice(app, login, staff,
                                                                   customer):
    idea_id = factories.idea(customer)
    with app.app_context():
        ideas.change_status(staff, idea_id, "planned", "Export & import are **planned**.")
    page = login(customer).get("/notifications").get_data(as_text=True)
    assert "Export &amp; import are planned." in page  # escaped once: "&" on screen
    assert "&amp;amp;" not in page and "**planned**" not in page


def test_the_case_page_shows_the_source_as_text(app, login, staff, customer):
    idea_id = factories.idea(customer, "Export the invoice list", MARKDOWN,
                             voters=[factories.user()], comments=[(staff, "On it.")])
    case_id = factories.case(source="idea_created", source_id=idea_id,
                             title="Export the invoice list")
    page = text(login(staff).get(f"/admin/cases/{case_id}"))
    source = page.split('id="source-heading"', 1)[1].split("</article>", 1)[0]
    for words in SEEN:
        assert words in source
    for mark in RAW_MARKS:
        assert mark not in source
    assert "1 vote, 1 comment." in source  # not "1 votes, 1 comments"


def test_a_gone_source_shows_what_was_routed_as_text(app, login, staff):
    with app.app_context():
        case_id = factories.case(source="idea_created", source_id=999_999, title="Gone")
        db.session.get(Case, case_id).excerpt = MARKDOWN
        db.session.commit()
    page = text(login(staff).get(f"/admin/cases/{case_id}"))
    source = page.split('id="source-heading"', 1)[1].split("</article>", 1)[0]
    assert "is gone" in source and "Please export the invoice list as PDF." in source
    for mark in RAW_MARKS:
        assert mark not in source


def test_the_audit_log_shows_notes_as_text(app, login, staff, customer):
    idea_id = factories.idea(customer)
    with app.app_context():
        ideas.change_status(staff, idea_id, "planned", MARKDOWN)
    page = text(login(staff).get("/admin/audit?action=idea.status"))
    row = re.search(r"<code>idea\.status</code>.*?</tr>", page, re.S).group(0)
    assert "open → planned: A heading Please export the invoice list as PDF." in row
    for mark in RAW_MARKS:
        assert mark not in row


# --- the slips fixed before ---------------------------------------------------------------


def test_the_case_page_names_question_kinds_by_their_labels(app, login, staff, customer):
    factories.nps_response(staff, customer, 3)
    with app.app_context():
        case_id = db.session.scalar(select(Case.id).where(Case.source_type == "survey_response"))
    page = text(login(staff).get(f"/admin/cases/{case_id}"))
    assert f"({KIND_LABELS['nps']})" in page
    assert "(nps)" not in page


def test_customers_see_no_liquidity_b(app, login, staff, customer):
    market_id = factories.market(staff).id
    for viewer in (None, customer):
        page = text(login(viewer).get(f"/markets/{market_id}")).lower()
        assert "liquidity" not in page
    assert "b = 100" in text(login(staff).get(f"/admin/markets/{market_id}"))  # staff's


def test_a_market_resolved_before_its_close_time_is_not_closed_on_that_date(app, login, staff,
                                                                            customer):
    closes = (utcnow() + timedelta(days=30)).replace(second=0, microsecond=0)
    made = factories.market(staff, closes_at=closes)
    with app.app_context():
        markets.resolve_market(staff, made.id, made.outcomes[0], "Shipped early.")
    future = closes.strftime("%d %b %Y %H:%M")
    for path in (f"/markets/{made.id}", "/markets?status=resolved"):
        page = text(login(customer).get(path))
        assert "· resolved " in page, path
        assert f"closed {future}" not in page and f"closes {future}" not in page, path


def test_the_audit_log_links_rules_and_teams_only_for_those_who_may_open_them(
        app, login, admin, staff):
    """Plain staff read the audit log, but rules and teams are admin pages (403 for them):
    their entries are named, not linked."""
    team_id = factories.team(admin, "Billing")
    rule_id = factories.rule(admin, name="Billing ideas", source="idea_created", team_id=team_id)
    for who, linked in ((admin, True), (staff, False)):
        page = login(who).get("/admin/audit").get_data(as_text=True)
        assert "rule #" in page and "team #" in page
        assert (f'href="/admin/rules/{rule_id}"' in page) is linked
        assert (f'href="/admin/teams/{team_id}"' in page) is linked
