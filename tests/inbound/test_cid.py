"""cid: image sources pointed at stored files."""

from __future__ import annotations

from collections.abc import Callable

from inbound.cid import resolve_cid

Load = Callable[[str], bytes]


def test_resolve_cid_rewrites_known_images_and_drops_unknown_ones() -> None:
    html = '<p><img src="cid:a%40b"><img alt="x" src="cid:missing"><img src="https://e.com/i.png"></p>'
    urls = {"a@b": "/files/abc?x=1&y=2"}

    resolved = resolve_cid(html, urls.get)

    assert '<img src="/files/abc?x=1&amp;y=2">' in resolved
    assert '<img alt="x" src="">' in resolved
    assert '<img src="https://e.com/i.png">' in resolved
