"""Markdown that is safe to show: rendered with markdown-it, then cleaned by nh3.

Raw HTML in the source is escaped by the renderer, and whatever comes out is
still passed through nh3's allow-list, so no script, style, event handler or
``javascript:`` link survives either step.
"""

from __future__ import annotations

import nh3
from markdown_it import MarkdownIt
from markdown_it.token import Token
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
    """The first ``length`` characters of the text, without markup, for lists and mail.

    Plain text, not HTML: ``&`` stays ``&`` (the templates escape it once; a text mail
    shows it as written)."""
    text = " ".join(markdown_text(source).split())
    return text if len(text) <= length else text[: length - 1].rstrip() + "…"


#: Inline tokens whose content is what a reader sees, and the breaks between lines.
_TEXT_TOKENS = {"text", "code_inline"}
_BREAKS = {"softbreak": " ", "hardbreak": "\n"}


def markdown_text(source: str | None) -> str:
    """Markdown as the plain text a reader of it sees: no ``**``, ``#``, ``-`` or
    ``[x](y)`` (a link is its text), each block (paragraph, heading, list item, code
    block, table row with its cells joined by `` | ``) apart by a blank line.

    For places that show a person's Markdown as text: the case page's source and the
    audit log, the excerpts of lists and mail. Entities are decoded, so the result is
    text to escape once, never HTML."""
    blocks: list[str] = []
    cells: list[str] = []
    in_table = False
    for token in _markdown.parse(source or ""):
        if token.type == "inline":
            (cells if in_table else blocks).append(_inline_text(token.children or []))
        elif token.type in ("fence", "code_block"):
            blocks.append(token.content.rstrip("\n"))
        elif token.type in ("table_open", "table_close"):
            in_table = token.type == "table_open"
        elif token.type == "tr_close":
            blocks.append(" | ".join(cells))
            cells = []
    return "\n\n".join(block for block in blocks if block.strip())


def _inline_text(children: list[Token]) -> str:
    return "".join(_seen(child) for child in children).strip()


def _seen(token: Token) -> str:
    """What a reader sees of one inline token (an image: its alt text)."""
    if token.type == "image":
        return _inline_text(token.children or [])
    return token.content if token.type in _TEXT_TOKENS else _BREAKS.get(token.type, "")


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
