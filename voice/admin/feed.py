"""The Atom 1.0 feed of the "You asked, we did" updates (RFC 4287), served at /updates.atom.

Built with ElementTree, never by joining strings: every title, name and body goes in as
element text or an attribute value, so ``<script>``, ``&``, ``]]>`` or a lone ``<`` in an
update come out escaped and the document stays well-formed. The body is the same
sanitised Markdown the pages show (``voice.text.render_markdown``), carried as
``type="html"`` text (escaped HTML, which every reader unescapes once and then treats as
HTML). Every address is absolute on ``BASE_URL`` (``VOICE_BASE_URL``), the one the mail
uses, since a feed reader fetches from elsewhere. An entry's ``id`` is the absolute
address of the update's page: it never changes once published.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime

from voice.admin.service import UpdateView
from voice.clock import isoformat
from voice.mail import absolute
from voice.pages import update as update_path
from voice.text import render_markdown

ATOM = "http://www.w3.org/2005/Atom"
MEDIA_TYPE = "application/atom+xml; charset=utf-8"
FEED_TITLE = "You asked, we did"
FEED_SUBTITLE = "What we shipped because customers asked for it."
FEED_AUTHOR = "Voice"
#: What the feed shows when nothing is published yet (Atom requires an ``updated``).
NEVER = datetime(1970, 1, 1, tzinfo=UTC).replace(tzinfo=None)

ET.register_namespace("", ATOM)


def _add(parent: ET.Element, tag: str, text: str | None = None, **attributes: str) -> ET.Element:
    element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attributes)
    if text is not None:
        element.text = text
    return element


def _author(parent: ET.Element, name: str) -> None:
    _add(_add(parent, "author"), "name", name)


def _content(view: UpdateView) -> str:
    """The entry's HTML: the sanitised body, then the ideas it delivers."""
    html = str(render_markdown(view.update.body))
    if view.ideas:
        items = ET.Element("ul")
        for idea in view.ideas:
            link = ET.SubElement(ET.SubElement(items, "li"), "a",
                                 {"href": absolute(f"/ideas/{idea.id}")})
            link.text = idea.title
        html += "<p>Delivers:</p>" + ET.tostring(items, encoding="unicode", method="html")
    return html


def _entry(feed: ET.Element, view: UpdateView) -> None:
    update = view.update
    url = absolute(update_path(update.id))
    entry = _add(feed, "entry")
    _add(entry, "id", url)
    _add(entry, "title", update.title, type="text")
    _add(entry, "published", isoformat(update.published_at))
    _add(entry, "updated", isoformat(update.published_at))
    _add(entry, "link", rel="alternate", type="text/html", href=url)
    for idea in view.ideas:
        _add(entry, "link", rel="related", type="text/html", title=idea.title,
             href=absolute(f"/ideas/{idea.id}"))
    _author(entry, view.author.display_name if view.author else FEED_AUTHOR)
    _add(entry, "content", _content(view), type="html")


def last_modified(views: list[UpdateView]) -> datetime:
    """The newest publication time (naive UTC), or :data:`NEVER` for an empty feed."""
    return max((v.update.published_at for v in views), default=NEVER)


def build_feed(views: list[UpdateView]) -> bytes:
    """The feed document (UTF-8, with its XML declaration) of ``views``, in their order
    (newest first as :func:`voice.admin.service.list_updates` gives them)."""
    home = absolute("/updates")
    feed = ET.Element(f"{{{ATOM}}}feed")
    _add(feed, "id", home)
    _add(feed, "title", FEED_TITLE, type="text")
    _add(feed, "subtitle", FEED_SUBTITLE, type="text")
    _add(feed, "updated", isoformat(last_modified(views)))
    _add(feed, "link", rel="self", type="application/atom+xml", href=absolute("/updates.atom"))
    _add(feed, "link", rel="alternate", type="text/html", href=home)
    _author(feed, FEED_AUTHOR)
    for view in views:
        _entry(feed, view)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True)
