"""Reading inbound mail without a server: the new text of replies from real clients.

The samples are shaped like what Gmail, Outlook (desktop, web, mobile), Apple Mail,
Thunderbird and Yahoo send, in plain text and HTML, in several languages; then the
headers (addresses, threading, a missing or odd Message-ID), charsets and encodings,
automatic mail, and size bounds.
"""

from __future__ import annotations

from email.message import EmailMessage

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from voice.mail import inbound, quotes

REPLY = "reply+12-34.aw9pZQ.zM2vZPhhHmNtXbFp8DnUylw1JmY@voice.example"


def raw_mail(body: str, *, subtype: str = "plain", html: str | None = None,
             **headers: str) -> bytes:
    message = EmailMessage()
    message["From"] = headers.pop("From", "Ann Customer <ann@example.com>")
    message["To"] = headers.pop("To", REPLY)
    message["Subject"] = headers.pop("Subject", "Re: Your feedback got a reply")
    message["Message-ID"] = headers.pop("Message_ID", "<CAF=abc123@mail.gmail.com>")
    for name, value in headers.items():
        message[name.replace("_", "-")] = value
    message.set_content(body, subtype=subtype)
    if html is not None:
        message.add_alternative(html, subtype="html")
    return message.as_bytes()


# --- quoted history: plain text ----------------------------------------------------------

PLAIN_SAMPLES = {
    "gmail": (
        "Thanks, that fixed it!\n\n"
        "On Mon, 3 Jun 2024 at 10:12, Voice <reply+12-34.aw9pZQ.sig@voice.example> wrote:\n"
        "> We shipped the PDF export.\n>\n> The Voice team\n"),
    "gmail wrapped attribution": (
        "Thanks, that fixed it!\n\n"
        "On Mon, Jun 3, 2024 at 10:12 AM Voice Customer Success Team <\n"
        "reply+12-34.aw9pZQ.sig@voice.example> wrote:\n\n"
        "> We shipped the PDF export.\n"),
    "apple mail": (
        "Thanks, that fixed it!\n\n"
        "> On 3 Jun 2024, at 10:12, Voice <reply@voice.example> wrote:\n"
        "> \n> We shipped the PDF export.\n"),
    "apple mail unquoted attribution": (
        "Thanks, that fixed it!\n\n"
        "On 3 Jun 2024, at 10:12, Voice <reply@voice.example> wrote:\n\n"
        "We shipped the PDF export.\n"),
    "thunderbird": (
        "Thanks, that fixed it!\n\n"
        "On 03/06/2024 10:12, Voice wrote:\n> We shipped the PDF export.\n"),
    "outlook desktop": (
        "Thanks, that fixed it!\n\n"
        "-----Original Message-----\nFrom: Voice <reply@voice.example>\n"
        "Sent: Monday, June 3, 2024 10:12 AM\nTo: Ann <ann@example.com>\n"
        "Subject: Your feedback got a reply\n\nWe shipped the PDF export.\n"),
    "outlook web": (
        "Thanks, that fixed it!\n\n"
        "________________________________\nFrom: Voice <reply@voice.example>\n"
        "Sent: 03 June 2024 10:12\nTo: Ann\nSubject: Your feedback got a reply\n\n"
        "We shipped the PDF export.\n"),
    "outlook bold headers": (
        "Thanks, that fixed it!\n\n"
        "*From:* Voice <reply@voice.example>\n*Sent:* Monday, June 3, 2024 10:12\n"
        "*To:* Ann\n*Subject:* Your feedback got a reply\n\nWe shipped the PDF export.\n"),
    "outlook date instead of sent": (
        "Thanks, that fixed it!\n\nFrom: Voice <reply@voice.example>\n"
        "Date: Monday, 3 June 2024 at 10:12\nTo: Ann\nSubject: Re: feedback\n\n"
        "We shipped the PDF export.\n"),
    "outlook for mac without sent": (
        "Thanks, that fixed it!\n\nFrom: Voice <reply@voice.example>\n"
        "Reply-To: reply@voice.example\nTo: Ann\nSubject: Re: feedback\n\n"
        "We shipped the PDF export.\n"),
    "yahoo": (
        "Thanks, that fixed it!\n\n"
        "On Monday, June 3, 2024 at 10:12:00 AM GMT+2, Voice <reply@voice.example> wrote:\n\n"
        "We shipped the PDF export.\n"),
    "french": (
        "Merci, c'est réglé !\n\n"
        "Le lun. 3 juin 2024 à 10:12, Voice <reply@voice.example> a écrit :\n"
        "> We shipped the PDF export.\n"),
    "french outlook": (
        "Merci, c'est réglé !\n\n-----Message d'origine-----\nDe : Voice\n"
        "Envoyé : lundi 3 juin 2024 10:12\nÀ : Ann\nObjet : Re\n\nWe shipped it.\n"),
    "german": (
        "Danke, das hat geholfen!\n\n"
        "Am Mo., 3. Juni 2024 um 10:12 Uhr schrieb Voice <reply@voice.example>:\n"
        "> We shipped the PDF export.\n"),
    "german outlook": (
        "Danke, das hat geholfen!\n\n-----Ursprüngliche Nachricht-----\nVon: Voice\n"
        "Gesendet: Montag, 3. Juni 2024 10:12\nAn: Ann\nBetreff: Re\n\nWe shipped it.\n"),
    "spanish": (
        "¡Gracias, funciona!\n\n"
        "El lun, 3 jun 2024 a las 10:12, Voice (<reply@voice.example>) escribió:\n"
        "> We shipped the PDF export.\n"),
    "italian": (
        "Grazie, funziona!\n\n"
        "Il giorno lun 3 giu 2024 alle ore 10:12 Voice <reply@voice.example> ha scritto:\n"
        "> We shipped the PDF export.\n"),
    "portuguese": (
        "Obrigado, funcionou!\n\n"
        "Em seg., 3 de jun. de 2024 às 10:12, Voice <reply@voice.example> escreveu:\n"
        "> We shipped the PDF export.\n"),
    "dutch": (
        "Bedankt, het werkt!\n\n"
        "Op ma 3 jun. 2024 om 10:12 schreef Voice <reply@voice.example>:\n"
        "> We shipped the PDF export.\n"),
    "swedish": (
        "Tack, det fungerar!\n\n"
        "Den mån 3 juni 2024 kl 10:12 skrev Voice <reply@voice.example>:\n"
        "> We shipped the PDF export.\n"),
    "polish": (
        "Dzięki, działa!\n\n"
        "W dniu pon., 3 cze 2024 o 10:12 Voice <reply@voice.example> napisał(a):\n"
        "> We shipped the PDF export.\n"),
    "finnish": (
        "Kiitos, toimii!\n\n"
        "ma 3. kesäk. 2024 klo 10.12 Voice (reply@voice.example) kirjoitti:\n"
        "> We shipped the PDF export.\n"),
    "russian": (
        "Спасибо, работает!\n\n"
        "пн, 3 июн. 2024 г. в 10:12, Voice <reply@voice.example>:\n"
        "> We shipped the PDF export.\n"),
    "japanese": (
        "ありがとうございます。\n\n"
        "2024年6月3日(月) 10:12 Voice <reply@voice.example>:\n"
        "> We shipped the PDF export.\n"),
    "chinese": (
        "谢谢，问题解决了！\n\n"
        "在 2024年6月3日 10:12，Voice <reply@voice.example> 写道：\n"
        "> We shipped the PDF export.\n"),
}
FIRST_LINES = {name: sample.split("\n", 1)[0] for name, sample in PLAIN_SAMPLES.items()}


@pytest.mark.parametrize("client", sorted(PLAIN_SAMPLES))
def test_quoted_history_is_cut_from_plain_text_replies(client):
    parsed = inbound.parse(raw_mail(PLAIN_SAMPLES[client]))
    assert parsed.text == FIRST_LINES[client]
    assert "PDF export" in parsed.full_text or "shipped it" in parsed.full_text


def test_an_answer_written_between_quoted_lines_is_kept():
    text = ("> Does the export work now?\nYes, it does.\n\n"
            "> Anything else?\nThe totals are rounded wrong.\n")
    assert quotes.new_text(text) == "Yes, it does.\n\nThe totals are rounded wrong."


def test_a_signature_after_dash_dash_space_is_cut():
    text = "It works now.\n\n-- \nAnn Customer\nHead of Finance, Example Ltd\n+44 20 7946 0000\n"
    assert quotes.new_text(text) == "It works now."
    # Clients that trim trailing spaces leave "--" alone on its line.
    assert quotes.new_text("It works now.\n--\nAnn\n") == "It works now."


@pytest.mark.parametrize("line", [
    "Sent from my iPhone", "Sent from my Galaxy", "Get Outlook for iOS",
    "Envoyé de mon iPhone", "Von meinem iPhone gesendet", "Enviado desde mi iPhone",
    "Sent from Mail for Windows",
])
def test_mobile_signatures_at_the_end_are_cut(line):
    assert quotes.new_text(f"It works now.\n\n{line}\n") == "It works now."


def test_text_that_only_mentions_writing_is_not_taken_for_an_attribution():
    text = ("On Monday my colleague tried the export again.\n"
            "She wrote: it still fails for March.\nCan you look?\n")
    assert quotes.new_text(text) == text.strip()
    # A "From:" line of the customer's own text without a header block after it stays.
    assert quotes.new_text("From: the billing page, I get an error.\nThanks") == (
        "From: the billing page, I get an error.\nThanks")


def test_wrapped_words_ending_in_wrote_are_kept_unless_quotes_follow():
    text = "On the invoice page\nthe total I wrote:\n42.00 is wrong\n"
    assert quotes.new_text(text) == text.strip()


def test_a_reply_that_is_only_quoted_history_is_empty():
    parsed = inbound.parse(raw_mail("On Mon, 3 Jun 2024, Voice wrote:\n> Hello\n"))
    assert parsed.text == "" and "Hello" in parsed.full_text


def test_blank_lines_are_tidied():
    assert quotes.new_text("\n\n  Hello  \n\n\n\nWorld\n\n\n") == "  Hello\n\nWorld"


def test_format_flowed_soft_breaks_are_joined():
    raw = ("From: ann@example.com\r\nTo: " + REPLY + "\r\nSubject: Re\r\n"
           "Message-ID: <flowed@example.com>\r\n"
           "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n"
           "This is a long line that the client \r\nwrapped softly.\r\n"
           "A hard break.\r\n\r\nOn Mon, Voice wrote:\r\n> quoted \r\n> text\r\n").encode()
    parsed = inbound.parse(raw)
    assert parsed.text == "This is a long line that the client wrapped softly.\nA hard break."
    assert quotes.unflow("Soft- \r\nbreak", delsp=True) == "Soft-break"
    assert quotes.unflow("Soft \r\nbreak") == "Soft break"


# --- HTML ------------------------------------------------------------------------------

GMAIL_HTML = (
    '<div dir="ltr">Thanks, <b>that</b> fixed&nbsp;it!<div><br></div><div>Ann</div></div>'
    '<br><div class="gmail_quote"><div dir="ltr" class="gmail_attr">On Mon, 3 Jun 2024 at '
    '10:12, Voice &lt;<a href="mailto:reply@voice.example">reply@voice.example</a>&gt; wrote:'
    '<br></div><blockquote class="gmail_quote" style="margin:0px 0px 0px 0.8ex">'
    '<div>We shipped the PDF export.</div><blockquote>Older</blockquote></blockquote></div>')
OUTLOOK_HTML = (
    '<html><head><style>p {margin:0}</style></head><body><div>Thanks, that fixed it!</div>'
    '<div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
    '<div id="divRplyFwdMsg"><font face="Calibri"><b>From:</b> Voice '
    '&lt;reply@voice.example&gt;<br><b>Sent:</b> Monday, June 3, 2024 10:12 AM<br>'
    '<b>To:</b> Ann<br><b>Subject:</b> Re</font></div><div>We shipped it.</div></body></html>')
APPLE_HTML = (
    '<html><body><div>Thanks, that fixed it!</div><div><br><blockquote type="cite">'
    '<div>On 3 Jun 2024, at 10:12, Voice &lt;reply@voice.example&gt; wrote:</div><br>'
    '<div>We shipped it.</div></blockquote></div></body></html>')


@pytest.mark.parametrize("html", [GMAIL_HTML, OUTLOOK_HTML, APPLE_HTML],
                         ids=["gmail", "outlook", "apple"])
def test_an_html_only_reply_is_made_text_and_its_history_cut(html):
    parsed = inbound.parse(raw_mail(html, subtype="html"))
    assert parsed.text.startswith("Thanks, that fixed it!")
    assert "shipped" not in parsed.text and "From:" not in parsed.text


def test_text_plain_is_preferred_to_html():
    parsed = inbound.parse(raw_mail("The plain words.", html="<p>The <b>HTML</b> words.</p>"))
    assert parsed.text == "The plain words."


def test_html_to_text_drops_scripts_and_styles_and_keeps_paragraphs():
    html = ("<style>.x{color:red}</style><script>alert(1)</script><p>One</p><p>Two<br>"
            "Three</p><ul><li>a</li><li>b</li></ul><pre>  keep\n    spacing</pre>")
    assert quotes.html_to_text(html).split("\n") == [
        "One", "Two", "Three", "a", "b", "  keep", "    spacing"]


def test_nested_blockquotes_are_marked_as_quoted():
    text = quotes.html_to_text("<p>New</p><blockquote>Old<blockquote>Older</blockquote>"
                               "Old again</blockquote><p>After</p>")
    assert text.split("\n") == ["New", "> Old", "> > Older", "> Old again", "After"]
    assert quotes.new_text(text) == "New\nAfter"


# --- headers ---------------------------------------------------------------------------


def test_addresses_and_threading_headers_are_read():
    parsed = inbound.parse(raw_mail(
        "Hi", To="Voice <reply@voice.example>", Cc=f"Bob <bob@example.com>, {REPLY}",
        Delivered_To="reply+x@voice.example", In_Reply_To="<case-12.tok@voice.example>",
        References="<a@x.example> <case-12.tok@voice.example>"))
    assert parsed.from_address == "ann@example.com"
    assert parsed.to_addresses == ("reply@voice.example", "bob@example.com", REPLY,
                                   "reply+x@voice.example")
    assert parsed.in_reply_to == "<case-12.tok@voice.example>"
    assert parsed.references == "<a@x.example> <case-12.tok@voice.example>"
    assert parsed.message_id == "<CAF=abc123@mail.gmail.com>"
    assert parsed.subject == "Re: Your feedback got a reply"


def test_folded_threading_headers_are_unfolded():
    raw = (b"From: ann@example.com\r\nTo: reply@voice.example\r\nSubject: Re\r\n"
           b"Message-ID:\r\n <folded@example.com>\r\n"
           b"In-Reply-To:\r\n <case-12.tok.n@voice.example>\r\n"
           b"References: <a@x.example>\r\n\t<case-12.tok.n@voice.example>\r\n\r\nHi\r\n")
    parsed = inbound.parse(raw)
    assert parsed.message_id == "<folded@example.com>"
    assert parsed.in_reply_to == "<case-12.tok.n@voice.example>"
    assert parsed.references == "<a@x.example> <case-12.tok.n@voice.example>"


def test_encoded_subject_and_sender_name_are_decoded():
    raw = (b"From: =?utf-8?q?Ren=C3=A9e?= <renee@example.com>\r\nTo: reply@voice.example\r\n"
           b"Subject: =?utf-8?b?UmU6IMOcYmVyIGRlbiBFeHBvcnQ=?=\r\nMessage-ID: <e@x>\r\n"
           b"Content-Type: text/plain; charset=iso-8859-1\r\n"
           b"Content-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe, es geht.\r\n")
    parsed = inbound.parse(raw)
    assert parsed.subject == "Re: Über den Export"
    assert parsed.from_address == "renee@example.com"
    assert parsed.text == "Grüße, es geht."


def test_a_missing_message_id_is_made_from_the_bytes_so_a_second_read_is_the_same():
    raw = b"From: ann@example.com\r\nTo: reply@voice.example\r\nSubject: Hi\r\n\r\nHello\r\n"
    first, second = inbound.parse(raw), inbound.parse(raw)
    assert first.message_id == second.message_id
    assert first.message_id.startswith("<sha256.") and first.message_id.endswith(
        "@inbound.invalid>")
    assert inbound.parse(raw + b"!").message_id != first.message_id


def test_an_overlong_or_bare_message_id_is_handled():
    assert inbound.parse(raw_mail("x", Message_ID="bare@example.com")).message_id == (
        "<bare@example.com>")
    long_id = "<" + "a" * 400 + "@example.com>"
    made = inbound.parse(raw_mail("x", Message_ID=long_id)).message_id
    assert made.startswith("<sha256.") and len(made) <= inbound.MESSAGE_ID_MAX


def test_an_unknown_charset_and_broken_bytes_do_not_raise():
    raw = (b"From: ann@example.com\r\nTo: reply@voice.example\r\nSubject: Hi\r\n"
           b"Message-ID: <c@x>\r\nContent-Type: text/plain; charset=x-unknown-42\r\n\r\n"
           b"caf\xe9 ok\r\n")
    assert inbound.parse(raw).text.startswith("caf")
    garbage = inbound.parse(b"\x00\xff garbage without headers")
    assert garbage.message_id.startswith("<sha256.") and garbage.from_address == ""
    parsed = inbound.parse(b"Subject: =?bogus?q?x?=\r\nFrom: <<<\r\n\r\nbody")
    assert parsed.text == "body"


def test_a_mail_with_only_an_attachment_has_no_text():
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ann@example.com", REPLY, "Scan"
    message["Message-ID"] = "<att@x>"
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf",
                           filename="scan.pdf")
    assert inbound.parse(message.as_bytes()).text == ""


def test_a_multipart_mixed_reply_with_an_attachment_reads_its_text():
    message = EmailMessage()
    message["From"], message["To"], message["Subject"] = "ann@example.com", REPLY, "Re"
    message["Message-ID"] = "<mixed@x>"
    message.set_content("Here is the screenshot.\n\nOn Mon, Voice wrote:\n> Can you?\n")
    message.add_attachment(b"\x89PNG", maintype="image", subtype="png", filename="s.png")
    assert inbound.parse(message.as_bytes()).text == "Here is the screenshot."


@pytest.mark.parametrize("headers", [
    {"Auto_Submitted": "auto-replied"}, {"Auto_Submitted": "auto-generated"},
    {"X_Autoreply": "yes"}, {"Precedence": "bulk"}, {"Precedence": "auto_reply"},
    {"From": "MAILER-DAEMON@mx.example.com"},
])
def test_automatic_mail_is_flagged(headers):
    assert inbound.parse(raw_mail("I am out of the office.", **headers)).automatic


def test_a_person_s_reply_is_not_automatic():
    assert not inbound.parse(raw_mail("Thanks", Auto_Submitted="no")).automatic
    assert not inbound.parse(raw_mail("Thanks")).automatic


def test_a_failed_dmarc_check_of_the_receiving_server_is_flagged():
    failed = raw_mail("Hi", Authentication_Results=(
        "mx.voice.example; spf=fail smtp.mailfrom=example.com; dmarc=fail header.from=example.com"))
    assert inbound.parse(failed).unauthenticated
    passed = raw_mail("Hi", Authentication_Results="mx.voice.example; dmarc=pass")
    assert not inbound.parse(passed).unauthenticated
    assert not inbound.parse(raw_mail("Hi")).unauthenticated


def test_a_body_over_the_bound_is_cut_and_flagged():
    parsed = inbound.parse(raw_mail("word " * 1000), limit=100)
    assert parsed.oversized and len(parsed.full_text) <= 100
    assert not inbound.parse(raw_mail("short")).oversized


def test_a_truncated_fetch_keeps_the_headers_and_is_flagged():
    header_only = raw_mail("the body that was not fetched").split(b"\n\n", 1)[0] + b"\n\n"
    parsed = inbound.parse(header_only, truncated=True)
    assert parsed.oversized and parsed.text == ""
    assert parsed.message_id == "<CAF=abc123@mail.gmail.com>"
    assert parsed.from_address == "ann@example.com"


# --- properties ------------------------------------------------------------------------

LINES = st.lists(st.one_of(
    st.text(max_size=40), st.sampled_from([
        "> quoted", "On Mon, Voice wrote:", "-- ", "-----Original Message-----",
        "From: Voice", "Sent: today", "Sent from my iPhone", "", "Thanks!"])), max_size=30)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=2000))
def test_any_bytes_parse_without_raising(raw):
    parsed = inbound.parse(raw)
    assert parsed.message_id.startswith("<") and len(parsed.message_id) <= inbound.MESSAGE_ID_MAX


@settings(max_examples=300, deadline=None)
@given(LINES)
def test_the_new_text_is_made_of_unquoted_lines_of_the_reply(lines):
    text = "\n".join(lines)
    kept = quotes.new_text(text)
    source = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n")
              .split("\n")]
    for line in kept.split("\n"):
        assert not line.lstrip().startswith(">")
        assert line == "" or line in source
    assert quotes.new_text(kept) == kept  # stripping twice changes nothing more
