"""The Atom feed of "You asked, we did" (/updates.atom, issue 15): valid Atom 1.0 as a real
feed parser (feedparser) and ElementTree read it, absolute links, hostile text inert,
cacheable with validators, and a bounded number of statements."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from html.parser import HTMLParser

import feedparser
import pytest

from tests import factories
from tests.conftest import counting_statements

BASE = "https://voice.example"
A = "{http://www.w3.org/2005/Atom}"
START = datetime(2025, 3, 1, 9, 30)
RFC3339 = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$")
HOSTILE = "<script>alert(1)</script> Tom & Jerry ]]> 1 < 2"


@pytest.fixture
def app_config() -> dict:
    return {"BASE_URL": BASE}


@pytest.fixture
def people(app):
    return {"staff": factories.user("staff"), "customer": factories.user()}


def _feed(app):
    answer = app.test_client().get("/updates.atom")
    assert answer.status_code == 200
    return answer


def _root(answer) -> ET.Element:
    root = ET.fromstring(answer.data)
    assert root.tag == f"{A}feed"
    return root


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, list]] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.found.append((tag, attrs))


def _tags(html: str) -> list[tuple[str, list]]:
    """The elements (tag, attributes) a browser would make of ``html``."""
    parser = _Tags()
    parser.feed(html)
    return parser.found


def test_the_feed_is_valid_atom_newest_first_with_absolute_links(app, people):
    first = factories.idea(people["customer"], "Export to CSV")
    second = factories.idea(people["customer"], "Dark mode")
    older = factories.published_update(people["staff"], [first], "CSV export", "It **works**.",
                                       at=START)
    newer = factories.published_update(people["staff"], [first, second], "Dark mode is here",
                                       "Easy on the eyes.", at=START + timedelta(days=2))
    answer = _feed(app)
    assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"

    parsed = feedparser.parse(answer.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    assert parsed.feed.title == "You asked, we did"
    assert [e.id for e in parsed.entries] == [f"{BASE}/updates/{newer}", f"{BASE}/updates/{older}"]
    top = parsed.entries[0]
    assert top.title == "Dark mode is here"
    assert top.link == f"{BASE}/updates/{newer}"
    assert top.author == "Staff 1"
    assert top.published_parsed[:5] == (2025, 3, 3, 9, 30)
    assert [link.href for link in top.links if link.rel == "related"] == [
        f"{BASE}/ideas/{first}", f"{BASE}/ideas/{second}"]
    assert "<strong>works</strong>" in parsed.entries[1].content[0].value

    root = _root(answer)
    for tag in ("id", "title", "updated", "author"):
        assert root.find(f"{A}{tag}") is not None, tag
    links = {link.get("rel"): link.get("href") for link in root.findall(f"{A}link")}
    assert links == {"self": f"{BASE}/updates.atom", "alternate": f"{BASE}/updates"}
    assert root.findtext(f"{A}updated") == "2025-03-03T09:30:00Z"
    for entry in root.findall(f"{A}entry"):
        for tag in ("id", "title", "updated", "published", "content"):
            assert entry.find(f"{A}{tag}") is not None, tag
        assert RFC3339.match(entry.findtext(f"{A}updated"))
        assert entry.find(f"{A}content").get("type") == "html"


def test_hostile_titles_and_bodies_stay_well_formed_and_inert(app, people):
    idea_id = factories.idea(people["customer"], f"Idea {HOSTILE}")
    factories.published_update(people["staff"], [idea_id], f"Title {HOSTILE}",
                               f"Body {HOSTILE}\n\n<img src=x onerror=alert(2)>", at=START)
    answer = _feed(app)
    root = _root(answer)  # well-formed, or ElementTree raises
    entry = root.find(f"{A}entry")
    assert entry.findtext(f"{A}title") == f"Title {HOSTILE}"  # text, exactly as typed
    html = entry.findtext(f"{A}content")
    tags = _tags(html)
    assert {tag for tag, _ in tags} <= {"p", "ul", "li", "a"}
    assert all(not name.startswith("on") for _, attrs in tags for name, _ in attrs)
    assert "&lt;script&gt;" in html and "Tom &amp; Jerry ]]&gt; 1 &lt; 2" in html
    related = [link for link in entry.findall(f"{A}link") if link.get("rel") == "related"]
    assert related[0].get("title") == f"Idea {HOSTILE}"

    parsed = feedparser.parse(answer.data)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.entries[0].title == f"Title {HOSTILE}"


def test_the_feed_holds_the_last_50(app, people):
    idea_id = factories.idea(people["customer"])
    ids = [factories.published_update(people["staff"], [idea_id], f"Update {n}",
                                      at=START + timedelta(hours=n)) for n in range(52)]
    entries = _root(_feed(app)).findall(f"{A}entry")
    assert len(entries) == 50
    assert entries[0].findtext(f"{A}id") == f"{BASE}/updates/{ids[-1]}"
    assert entries[-1].findtext(f"{A}id") == f"{BASE}/updates/{ids[2]}"


def test_an_empty_feed_is_still_valid(app):
    answer = _feed(app)
    parsed = feedparser.parse(answer.data)
    assert parsed.bozo == 0 and parsed.version == "atom10" and parsed.entries == []
    assert _root(answer).findtext(f"{A}updated") == "1970-01-01T00:00:00Z"


def test_the_feed_is_cacheable_and_answers_304_until_a_new_update(app, people):
    idea_id = factories.idea(people["customer"])
    factories.published_update(people["staff"], [idea_id], at=START)
    client = app.test_client()
    answer = client.get("/updates.atom")
    assert answer.cache_control.public and answer.cache_control.max_age == 300
    assert answer.headers["Last-Modified"] == "Sat, 01 Mar 2025 09:30:00 GMT"
    etag = answer.headers["ETag"]
    assert client.get("/updates.atom", headers={"If-None-Match": etag}).status_code == 304
    since = {"If-Modified-Since": answer.headers["Last-Modified"]}
    assert client.get("/updates.atom", headers=since).status_code == 304

    factories.published_update(people["staff"], [idea_id], "Another", at=START + timedelta(1))
    again = client.get("/updates.atom", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag


def test_the_feed_costs_the_same_statements_for_2_or_20_updates(app, people):
    idea_ids = [factories.idea(people["customer"], f"Idea number {n}") for n in range(3)]

    def statements_for_feed() -> int:
        with counting_statements(app) as statements:
            _feed(app)
        return len(statements)

    for n in range(2):
        factories.published_update(people["staff"], idea_ids, f"Update {n}", at=START)
    few = statements_for_feed()
    for n in range(18):
        factories.published_update(people["staff"], idea_ids, f"More {n}", at=START)
    assert statements_for_feed() == few


@pytest.mark.parametrize("path", ["/", "/updates"])
def test_pages_announce_the_feed_in_their_head(app, path):
    html = app.test_client().get(path).get_data(as_text=True)
    head = html.split("</head>")[0]
    assert re.search(r'<link rel="alternate" type="application/atom\+xml"[^>]*'
                     r'href="/updates\.atom"', head)
