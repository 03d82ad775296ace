"""What a download answers with: inert types, and a Content-Disposition no filename can bend."""

from __future__ import annotations

from urllib.parse import unquote

import pytest

from chatcore.files import display_filename
from webui.downloads import content_disposition, served_type


@pytest.mark.parametrize(
    ("stored", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("image/png", "image/png"),
        ("image/svg+xml", "application/octet-stream"),
        ("text/html", "application/octet-stream"),
        ("TEXT/HTML; charset=utf-8", "application/octet-stream"),
        ("application/xhtml+xml", "application/octet-stream"),
        ("text/xml", "application/octet-stream"),
        ("application/javascript", "application/octet-stream"),
        ("text/javascript", "application/octet-stream"),
        ("application/x-shockwave-flash", "application/octet-stream"),
        ("multipart/x-mixed-replace", "application/octet-stream"),
        ("video/mp4", "video/mp4"),
        (
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("application/x-unknown", "application/octet-stream"),
    ],
)
def test_only_inert_types_are_served_as_they_are(stored: str, served: str) -> None:
    assert served_type(stored) == served


@pytest.mark.parametrize(
    "name", ["отчёт 2026.pdf", 'a"b.txt', "a\\b/c.txt", "a\r\nX-Injected: 1.pdf", "a;b=c,d.txt", "%0D%0A.txt"]
)
def test_content_disposition_is_one_line_with_the_exact_name_in_filename_star(name: str) -> None:
    value = content_disposition("attachment", name)

    assert "\r" not in value
    assert "\n" not in value
    assert value.isascii()
    plain, star = value.split("; filename*=UTF-8''")
    assert plain.startswith('attachment; filename="')
    assert plain.count('"') == 2
    assert "\\" not in plain
    assert unquote(star) == display_filename(name)
    assert "/" not in unquote(star)
