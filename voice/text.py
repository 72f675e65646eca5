"""Markdown that is safe to show: rendered with markdown-it, then cleaned by nh3.

Raw HTML in the source is escaped by the renderer, and whatever comes out is
still passed through nh3's allow-list, so no script, style, event handler or
``javascript:`` link survives either step.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markupsafe import Markup

_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
_markdown.enable("strikethrough")

ALLOWED_TAGS = {
    "p", "br", "hr", "em", "strong", "del", "code", "pre", "blockquote",
    "ul", "ol", "li", "a", "h1", "h2", "h3", "h4", "h5", "h6",
    "table", "thead", "tbody", "tr", "th", "td", "img",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "img": {"src", "alt", "title"}, "ol": {"start"}}


def render_markdown(source: str | None) -> Markup:
    html = _markdown.render(source or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener noreferrer",
    )
    return Markup(clean)


def plain_excerpt(source: str | None, length: int = 200) -> str:
    """The first ``length`` characters of the text, without markup, for lists and mail."""
    text = nh3.clean(_markdown.render(source or ""), tags=set())
    text = " ".join(text.split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


# Spreadsheet formula leads (OWASP "CSV injection"): a cell starting with one of these
# is prefixed with a quote so a spreadsheet shows it as text instead of running it.
FORMULA_LEADS = ("=", "+", "-", "@", "\t", "\r", "|", "%")


def csv_cell(value: object) -> object:
    """``value`` for a CSV cell: text that a spreadsheet would run as a formula is quoted."""
    if isinstance(value, str) and value[:1] in FORMULA_LEADS:
        return "'" + value
    return value


def one_line(value: object) -> str:
    """Text with every run of whitespace (newlines included) folded to one space."""
    return " ".join(str(value or "").split())
