"""Links both ways (issue 15): an update lists the ideas it delivers, and each delivered
idea's page says "Shipped in: <update>", asked of the staff side through
``signals.idea_updates_requested`` (ideas never imports admin)."""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from tests import factories
from tests.conftest import counting_statements
from voice import signals

START = datetime(2025, 3, 1, 9, 30)


def _shipped_line(html: str) -> str:
    found = re.search(r'<p class="shipped-in">(.*?)</p>', html, re.S)
    return found.group(1) if found else ""


def test_a_delivered_idea_links_to_every_update_that_shipped_it(app):
    staff, customer = factories.user("staff"), factories.user()
    idea_id = factories.idea(customer, "Export to CSV")
    other = factories.idea(customer, "Dark mode")
    first = factories.published_update(staff, [idea_id], "CSV <b>export</b>", at=START)
    second = factories.published_update(staff, [idea_id, other], "CSV for teams",
                                        at=START + timedelta(days=3))
    client = app.test_client()
    line = _shipped_line(client.get(f"/ideas/{idea_id}").get_data(as_text=True))
    assert line.startswith("Shipped in: ")
    links = re.findall(r'<a href="(/updates/\d+)">([^<]*)</a>', line)
    assert links == [(f"/updates/{second}", "CSV for teams"),
                     (f"/updates/{first}", "CSV &lt;b&gt;export&lt;/b&gt;")]  # newest first

    update_page = client.get(f"/updates/{second}").get_data(as_text=True)
    assert f'href="/ideas/{idea_id}"' in update_page and f'href="/ideas/{other}"' in update_page


def test_an_idea_never_shipped_has_no_line(app):
    idea_id = factories.idea(factories.user())
    assert _shipped_line(app.test_client().get(f"/ideas/{idea_id}").get_data(as_text=True)) == ""


def test_the_staff_side_answers_for_many_ideas_in_one_statement(app):
    staff, customer = factories.user("staff"), factories.user()
    ideas = [factories.idea(customer, f"Idea number {n}") for n in range(4)]
    factories.published_update(staff, ideas[:2], "First", at=START)
    factories.published_update(staff, ideas[1:3], "Second", at=START + timedelta(1))
    with app.app_context(), counting_statements(app) as statements:
        answers = signals.idea_updates_requested.send(tuple(ideas))
    assert len(statements) == 1
    [(_, shipped)] = answers
    assert {i: [s.title for s in found] for i, found in shipped.items()} == {
        ideas[0]: ["First"], ideas[1]: ["Second", "First"], ideas[2]: ["Second"]}
