"""cid: image sources in a mail's sanitized HTML, pointed at the stored files."""

from __future__ import annotations

import html as html_lib
import re
from collections.abc import Callable
from urllib.parse import unquote

_CID_SOURCE = re.compile(r'(<img\b[^>]*?\bsrc=")cid:([^"]*)(")', re.I)


def resolve_cid(html: str, url_for: Callable[[str], str | None]) -> str:
    """Rewrite cid: image sources in sanitized HTML; an unknown cid loses its source."""

    def replace(match: re.Match[str]) -> str:
        content_id = unquote(html_lib.unescape(match.group(2))).strip("<>")
        url = url_for(content_id)
        if url is None:
            return match.group(1) + match.group(3)
        return match.group(1) + html_lib.escape(url, quote=True) + match.group(3)

    return _CID_SOURCE.sub(replace, html)
