from __future__ import annotations

import pytest

from inbound.sanitize import sanitize_html


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
