"""The one HTML-to-text conversion (inbound.html_text), used by mail parsing and by reply cleaning."""

from __future__ import annotations

from inbound.html_text import html_to_text


def test_text_paragraphs_breaks_and_divs_become_lines() -> None:
    text = html_to_text("<div>Привет,</div><div>line<br>break</div><p>Para one</p><p>Para two</p>")
    assert text == "Привет,\nline\nbreak\n\nPara one\n\nPara two"


def test_text_lists_get_dashes_and_nested_lists_indent() -> None:
    text = html_to_text("<ul><li>one</li><li>two<ul><li>inner</li></ul></li></ul><ol><li>first</li></ol>")
    assert text == "- one\n- two\n  - inner\n- first"


def test_text_links_keep_url_only_when_text_differs() -> None:
    text = html_to_text(
        '<p><a href="https://e.com/help">help</a> <a href="https://e.com">https://e.com</a> '
        '<a href="mailto:a@e.com">a@e.com</a> <a href="javascript:x()">js</a></p>'
    )
    assert text == "help [https://e.com/help] https://e.com a@e.com js"


def test_text_blockquotes_are_prefixed_and_nest() -> None:
    text = html_to_text(
        "<p>Answer</p><blockquote><p>Question?</p><blockquote>Older</blockquote></blockquote><p>Bye</p>"
    )
    assert text == "Answer\n\n> Question?\n>\n> > Older\n\nBye"


def test_text_skips_head_script_and_style_and_decodes_entities() -> None:
    text = html_to_text(
        "<html><head><title>T</title><style>p{}</style></head><body><script>x()</script>"
        "<p>Tom &amp; Jerry&nbsp;&laquo;ok&raquo;</p></body></html>"
    )
    assert text == "Tom & Jerry «ok»"


def test_text_of_table_rows_is_one_line_per_row() -> None:
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>") == (
        "a b\nc d"
    )


def test_html_to_text_keeps_lines_and_paragraphs() -> None:
    html = "<p>One</p><p>Two<br>Three</p><div>Four</div><div><br></div><div>Five &amp; six</div>"

    assert html_to_text(html) == "One\n\nTwo\nThree\n\nFour\n\nFive & six"


def test_html_to_text_collapses_spaces_across_tags() -> None:
    html = "<table><tr><th>Date:\n   </th>\n   <td>Tue, 3 May 2016</td></tr></table>"

    assert html_to_text(html) == "Date: Tue, 3 May 2016"


def test_outlook_one_line_paragraphs_end_a_line_not_a_paragraph() -> None:
    html = "<p class=MsoNormal>Regards,<o:p></o:p></p><p class=MsoNormal>John<o:p></o:p></p><p>Next</p>"

    assert html_to_text(html) == "Regards,\nJohn\n\nNext"


def test_links_do_not_repeat_an_address_their_text_already_shows() -> None:
    html = (
        'From: John &lt;<a href="mailto:john@example.com">john@example.com</a>&gt; '
        '<a href="mailto:a@e.com">Ann</a>'
    )

    assert html_to_text(html) == "From: John <john@example.com> Ann [a@e.com]"


def test_without_quote_marks_blockquote_text_stays_as_it_is() -> None:
    html = "<p>See:</p><blockquote>Clause 5</blockquote>"

    assert html_to_text(html, quote_marks=False) == "See:\n\nClause 5"
    assert html_to_text(html) == "See:\n\n> Clause 5"
