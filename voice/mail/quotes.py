"""The new text of a reply: quoted history and signatures cut, HTML made plain text.

Pure (the standard library only), so it is tested exhaustively on real-looking mail
(tests/test_mail_inbound_parse.py). The rules, in the order they are applied:

1. The text is cut at the first line that starts the quoted history:
   * an attribution line, "On <date>, <someone> wrote:" and its forms in the common
     languages and clients (Gmail, Apple Mail, Thunderbird, Yahoo; fr, de, es, it, pt,
     nl, sv/da/no, pl, fi, ru, ja, zh). On one line it always cuts; wrapped over two or
     three lines (Gmail wraps long names) it cuts only when quoted lines or nothing follow;
   * Outlook's "-----Original Message-----" (and its translations), and its header block
     "From: ... / Sent: ..." (or Date:, in the common languages), bold or not, with or
     without the "____" rule above it.
2. Lines that start with ">" are dropped wherever they are (an answer written between
   the quoted lines stays).
3. The signature is cut: from a line "-- " (or "--") on, and "Sent from my iPhone"
   style lines at the end.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

_ATTRIBUTIONS = [
    r"on\b.{3,400}\bwrote\s*:",                          # en: Gmail, Apple Mail, Thunderbird
    r".{0,300}<[^<>\s]+@[^<>\s]+>\s+wrote\s*:",          # en: "Ann <a@b> wrote:"
    r"le\b.{3,400}\ba\s+[ée]crit\s*:",                   # fr
    r"am\b.{3,400}\bschrieb\b.{0,300}:",                 # de
    r"el\b.{3,400}\bescribi[óo]\s*:",                    # es
    r"il\b.{3,400}\bha\s+scritto\s*:",                   # it
    r"em\b.{3,400}\bescreveu\s*:",                       # pt
    r"op\b.{3,400}\bschreef\b.{0,300}:",                 # nl
    r".{3,400}\bskrev\b.{0,300}:",                       # sv, da, no
    r"(w\s+dniu|dnia)\b.{3,400}\b(napisa[łl]a?|pisze)\b.{0,300}:",   # pl
    r".{3,400}\bkirjoitti\s*:",                          # fi
    r".{3,400}(написал|написала|пишет)\b.{0,300}:",      # ru
    r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日.{0,400}[:：]",  # ja (Gmail)
    r"在.{3,400}写道\s*[:：]",                            # zh
]
ATTRIBUTION = re.compile(r"^\s*(?:" + "|".join(_ATTRIBUTIONS) + r")\s*$", re.IGNORECASE)
#: "<date>, <someone> <address>:" with no verb (Gmail in Russian, some webmails): only an
#: attribution when quoted lines (or nothing) follow.
WEAK_ATTRIBUTION = re.compile(r"^\s*.{0,300}<[^<>\s]+@[^<>\s]+>\)?\s*[:：]\s*$")

_ORIGINALS = ("original message", "ursprüngliche nachricht", "message d'origine",
              "mensaje original", "messaggio originale", "mensagem original",
              "oorspronkelijk bericht", "originalmeddelande", "oprindelig meddelelse",
              "opprinnelig melding", "alkuperäinen viesti", "исходное сообщение",
              "wiadomość oryginalna", "original nachricht")
ORIGINAL = re.compile(r"^\s*-{2,}\s*(?:" + "|".join(re.escape(o) for o in _ORIGINALS)
                      + r")\s*-{2,}\s*$", re.IGNORECASE)
RULE = re.compile(r"^\s*_{10,}\s*$")

_FROM = r"from|de|von|van|da|från|fra|od|от|lähettäjä|发件人|差出人"
_SENT = (r"sent|date|envoy[ée]|gesendet|datum|enviado|inviato|data|verzonden|skickat|"
         r"sendt|wysłano|wysłane|отправлено|lähetetty|发送时间|日付|送信日時")
_TO = r"to|à|an|para|a|aan|till|til|do|кому|vastaanottaja|收件人|宛先"
HEADER_FROM = re.compile(r"^\s*\*?(?:" + _FROM + r")\s*\*?\s*[:：]\s*\*?\s*\S", re.IGNORECASE)
HEADER_SENT = re.compile(r"^\s*\*?(?:" + _SENT + r")\s*\*?\s*[:：]", re.IGNORECASE)
HEADER_TO = re.compile(r"^\s*\*?(?:" + _TO + r")\s*\*?\s*[:：]", re.IGNORECASE)

SIGNATURE = re.compile(r"^--\s?$")
MOBILE = re.compile(
    r"^\s*(sent from my\b.{1,60}|sent from (outlook|mail|yahoo mail)\b.{0,60}|"
    r"get outlook for\b.{1,40}|envoy[ée] de mon\b.{1,40}|von meinem\b.{1,40}gesendet|"
    r"enviado desde mi\b.{1,40}|inviato da\b.{1,40}|verzonden (met|vanaf) mijn\b.{1,40}|"
    r"skickat från min\b.{1,40}|sendt fra min\b.{1,40}|wysłane z\b.{1,40})\s*$",
    re.IGNORECASE)

#: How many lines after "From:" the rest of Outlook's header block may come.
HEADER_SPAN = 6


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _rest_is_quoted(lines: list[str], start: int) -> bool:
    """Nothing but blank lines before a quoted line (or the end) from ``start`` on."""
    for line in lines[start:]:
        if line.strip():
            return _is_quote(line)
    return True


def _attribution_at(lines: list[str], index: int) -> bool:
    """An attribution starts at ``index``: on this line, or wrapped over two or three."""
    if ATTRIBUTION.match(lines[index]):
        return True
    if not lines[index].strip() or _is_quote(lines[index]):
        return False
    if WEAK_ATTRIBUTION.match(lines[index]):
        return _rest_is_quoted(lines, index + 1)
    for size in (2, 3):
        window = lines[index:index + size]
        if len(window) < size or any(not line.strip() or _is_quote(line) for line in window):
            return False
        joined = " ".join(line.strip() for line in window)
        if ATTRIBUTION.match(joined) or WEAK_ATTRIBUTION.match(joined):
            return _rest_is_quoted(lines, index + size)
    return False


def _header_block_at(lines: list[str], index: int) -> bool:
    """Outlook's "From: ... Sent: ..." (or "From/To/Subject") block starts here."""
    if not HEADER_FROM.match(lines[index]):
        return False
    following = lines[index + 1:index + 1 + HEADER_SPAN]
    if any(HEADER_SENT.match(line) for line in following):
        return True
    return sum(1 for line in following if HEADER_TO.match(line)) >= 1 and any(
        re.match(r"^\s*\*?(subject|objet|betreff|asunto|oggetto|assunto|onderwerp|ämne|emne|"
                 r"temat|тема|aihe|主题|件名)\s*\*?\s*[:：]", line, re.IGNORECASE)
        for line in following)


def history_start(lines: list[str]) -> int:
    """The index of the first line of the quoted history (``len(lines)``: none)."""
    for index, line in enumerate(lines):
        if ORIGINAL.match(line) or _attribution_at(lines, index) or _header_block_at(
                lines, index):
            return index
        if RULE.match(line) and index + 1 < len(lines) and _header_block_at(lines, index + 1):
            return index
    return len(lines)


def _cut_signature(lines: list[str]) -> list[str]:
    for index, line in enumerate(lines):
        if SIGNATURE.match(line):
            lines = lines[:index]
            break
    while lines and (not lines[-1].strip() or MOBILE.match(lines[-1])):
        lines = lines[:-1]
    return lines


def _tidy(lines: list[str]) -> str:
    """Trailing spaces gone, at most one blank line in a row, none at either end."""
    kept: list[str] = []
    for line in (line.rstrip() for line in lines):
        if not line and (not kept or not kept[-1]):
            continue
        kept.append(line)
    return "\n".join(kept).strip("\n")


def new_text(text: str) -> str:
    """The new part of a reply's plain text (see the module doc)."""
    lines = (text or "").replace("\r\n", "\n").replace("\r", "\n").split("\n")
    lines = lines[:history_start(lines)]
    lines = [line for line in lines if not _is_quote(line)]
    return _tidy(_cut_signature(lines))


def unflow(text: str, delsp: bool = False) -> str:
    """Plain text sent ``format=flowed`` (RFC 3676) with its soft line breaks joined."""
    out: list[str] = []
    joining = False
    for line in (text or "").replace("\r\n", "\n").split("\n"):
        if line.startswith(" ") and not _is_quote(line):
            line = line[1:]  # space-stuffing
        if joining and out and not _is_quote(line):
            out[-1] += line
        else:
            out.append(line)
        joining = line.endswith(" ") and not SIGNATURE.match(line) and not _is_quote(line)
        if joining and delsp:
            out[-1] = out[-1][:-1]
    return "\n".join(out)


# --- HTML -----------------------------------------------------------------------------

_BLOCKS = {"p", "div", "br", "tr", "li", "ul", "ol", "table", "h1", "h2", "h3", "h4",
           "h5", "h6", "hr", "pre", "section", "article", "header", "footer", "dl", "dt",
           "dd", "address", "center"}
_HIDDEN = {"script", "style", "head", "title", "template", "noscript"}


class _TextMaker(HTMLParser):
    """HTML to lines of text: blocks are lines, a blockquote's lines start with "> "."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.lines: list[str] = [""]
        self.depth = 0  # blockquotes
        self.hidden = 0
        self.pre = 0

    def _break(self) -> None:
        """End the current line (a line that holds only its "> " marks is reused)."""
        if self.lines[-1].strip(" >"):
            self.lines.append("")
        else:
            self.lines[-1] = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag == "blockquote":
            self._break()
            self.depth += 1
        elif tag == "br":
            self.lines.append("")
        elif tag in _BLOCKS:
            self._break()
            if tag == "pre":
                self.pre += 1

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("br", "hr"):
            self.lines.append("")

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(self.hidden - 1, 0)
        elif tag == "blockquote":
            self._break()
            self.depth = max(self.depth - 1, 0)
        elif tag in _BLOCKS:
            self._break()
            if tag == "pre":
                self.pre = max(self.pre - 1, 0)

    def handle_data(self, data: str) -> None:
        if self.hidden:
            return
        if self.pre:
            first, *rest = data.replace("\r\n", "\n").split("\n")
            self._write(first)
            for part in rest:
                self.lines.append("")
                self._write(part)
            return
        self._write(re.sub(r"\s+", " ", data))

    def _write(self, text: str) -> None:
        if not text:
            return
        if not self.lines[-1]:
            if not text.strip() and not self.pre:
                return
            self.lines[-1] = "> " * self.depth
            text = text.lstrip() if not self.pre else text
        self.lines[-1] += text


def html_to_text(html: str) -> str:
    """The text of an HTML mail body, quoted blocks marked with "> " as in plain text."""
    maker = _TextMaker()
    maker.feed(html or "")
    maker.close()
    text = "\n".join(line.rstrip() for line in maker.lines).replace("\xa0", " ")
    return text.strip("\n")
