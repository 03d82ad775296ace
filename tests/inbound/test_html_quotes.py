"""Quote and signature containers in reply HTML (inbound.html_quotes)."""

from __future__ import annotations

from inbound.clean import clean_reply
from inbound.html_quotes import clean_html_reply

# --- HTML --------------------------------------------------------------------------------------


def test_html_blockquote_and_gmail_attribution_are_removed() -> None:
    html = (
        '<div dir="ltr">Thanks!</div><div class="gmail_quote"><div class="gmail_attr">On Tue wrote:</div>'
        '<blockquote class="gmail_quote" style="border-left:1px solid #ccc">Old &amp; done</blockquote></div>'
    )

    assert clean_html_reply(html) == '<div dir="ltr">Thanks!</div><div class="gmail_quote"></div>'


def test_gmail_indent_blockquote_is_the_senders_own_text() -> None:
    html = '<div>See:</div><blockquote style="margin:0 0 0 40px;border:none;padding:0">Clause 5</blockquote>'

    assert clean_html_reply(html) == html


def test_outlook_reply_header_removes_the_rest_of_its_parent_only() -> None:
    html = (
        '<html><body><div>New &nbsp;text</div><div id="appendonsend"></div><hr>'
        '<div id="divRplyFwdMsg"><b>From:</b> x</div><div>Old body</div></body></html>'
    )

    assert clean_html_reply(html) == "<html><body><div>New &nbsp;text</div></body></html>"


def test_html_answers_between_quotes_are_kept() -> None:
    html = (
        "<blockquote type=cite>Browser?</blockquote><p>Firefox.</p>"
        "<blockquote type=cite>OS?</blockquote><p>Linux.</p>"
    )

    assert clean_reply("", html).text == "Firefox.\n\nLinux."


def test_html_forward_inside_a_quote_container_is_kept() -> None:
    html = (
        '<div>FYI</div><div class="gmail_quote"><div class="gmail_attr">'
        "---------- Forwarded message ---------<br>From: Olga &lt;olga@example.org&gt;</div>"
        "<div>Order 1042 is late</div></div>"
    )

    assert "Order 1042 is late" in clean_reply("", html).text
    assert "Forwarded message" in clean_reply("", html).text


def test_clean_reply_reports_removed_quote_and_signature_from_html() -> None:
    html = (
        '<div>Ok</div><div class="moz-signature">-- <br>Ivan</div>'
        '<div class="moz-cite-prefix">On 11/22/26 10:15, Anna wrote:</div>'
        '<blockquote type="cite">Old</blockquote>'
    )

    cleaned = clean_reply("Ok\n-- \nIvan\n", html)

    assert cleaned.text == "Ok"
    assert "Old" in cleaned.quoted
    assert "On 11/22/26 10:15, Anna wrote:" in cleaned.quoted
    assert "Ivan" in cleaned.signature


def test_outlook_com_stop_spelling_rule_removes_the_rest_of_its_parent() -> None:
    html = (
        '<div dir="ltr">Fine, thanks.<br><div><hr id="stopSpelling">Date: Thu<br>Subject: Hi<br>'
        "<div>Old body</div></div></div><p>after</p>"
    )

    assert clean_html_reply(html) == '<div dir="ltr">Fine, thanks.<br><div></div></div><p>after</p>'


def test_clean_reply_without_html_uses_the_text_rules() -> None:
    assert clean_reply("Yes.\n\n> Old\n", None).text == "Yes."


def test_html_that_is_all_quote_falls_back_to_the_text_part() -> None:
    cleaned = clean_reply("Text part answer", "<blockquote>Everything quoted</blockquote>")

    assert cleaned.text == "Text part answer"
