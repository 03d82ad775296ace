from __future__ import annotations

import pytest

from inbound.sanitize import html_to_text, sanitize_html


@pytest.mark.parametrize(
    ("hostile", "forbidden"),
    [
        ("<p>hi<script>alert(1)</script></p>", "alert"),
        ('<img src="https://e.com/a.png" onerror="alert(1)">', "onerror"),
        ('<a href="javascript:alert(1)">x</a>', "javascript:"),
        ('<a href="JaVaScRiPt:alert(1)">x</a>', "alert"),
        ('<body onload="steal()"><p>x</p></body>', "onload"),
        ('<iframe src="https://evil.example"></iframe>', "iframe"),
        ('<form action="https://evil.example"><input name="p"></form>', "<input"),
        ("<style>p{color:red}</style><p>x</p>", "color:red"),
        ('<p style="background:url(https://evil.example/t.gif)">x</p>', "evil.example"),
        ('<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>', "data:"),
    ],
)
def test_hostile_html_is_neutralised(hostile: str, forbidden: str) -> None:
    assert forbidden not in sanitize_html(hostile)


def test_formatting_tables_and_links_survive_with_safe_rel() -> None:
    html = (
        '<p><b>Bold</b> <i>it</i> <a href="https://example.com/x">link</a></p>'
        '<table><tr><td colspan="2">cell</td></tr></table><blockquote>q</blockquote>'
    )
    clean = sanitize_html(html)
    assert "<b>Bold</b>" in clean
    assert "<i>it</i>" in clean
    assert '<a href="https://example.com/x" rel="noopener noreferrer">link</a>' in clean
    assert '<td colspan="2">cell</td>' in clean
    assert "<blockquote>q</blockquote>" in clean


def test_images_only_from_cid_or_https() -> None:
    clean = sanitize_html(
        '<img src="cid:logo@x"><img src="https://e.com/a.png"><img src="http://tracker.example/p.gif">'
        '<img src="data:image/png;base64,AAAA">'
    )
    assert 'src="cid:logo@x"' in clean
    assert 'src="https://e.com/a.png"' in clean
    assert "tracker.example" not in clean
    assert "data:" not in clean


def test_harmless_inline_colour_is_kept() -> None:
    assert 'style="color:red"' in sanitize_html('<span style="color: red; position: fixed">x</span>')


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
    assert text == "Tom & Jerry\xa0«ok»"


def test_text_of_table_rows_is_one_line_per_row() -> None:
    assert html_to_text("<table><tr><td>a</td><td>b</td></tr><tr><td>c</td><td>d</td></tr></table>") == (
        "a b\nc d"
    )
