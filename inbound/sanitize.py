"""Make mail HTML safe to show, and turn it into readable plain text."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import nh3

_ALLOWED_TAGS = frozenset(
    {
        "a", "abbr", "b", "blockquote", "br", "caption", "center", "cite", "code", "col", "colgroup",
        "dd", "del", "div", "dl", "dt", "em", "font", "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i",
        "img", "ins", "kbd", "li", "mark", "ol", "p", "pre", "q", "s", "small", "span", "strike",
        "strong", "sub", "sup", "table", "tbody", "td", "tfoot", "th", "thead", "tr", "tt", "u", "ul",
    }
)
# Removed together with everything inside them (a <title> would otherwise leak into the body).
_DROPPED_WITH_CONTENT = frozenset({"script", "style", "title", "noscript", "template", "iframe", "object"})
_CELL_ATTRIBUTES = frozenset({"align", "valign", "colspan", "rowspan", "width", "height", "bgcolor"})
_ALLOWED_ATTRIBUTES: dict[str, set[str]] = {
    "*": {"style", "dir", "lang", "title"},
    "a": {"href"},
    "img": {"src", "alt", "width", "height"},
    "font": {"color", "size", "face"},
    "table": {"align", "width", "border", "cellpadding", "cellspacing", "bgcolor"},
    "td": set(_CELL_ATTRIBUTES),
    "th": set(_CELL_ATTRIBUTES),
    "tr": {"align", "valign", "bgcolor"},
    "col": {"span", "width"},
    "colgroup": {"span", "width"},
    "ol": {"start", "type"},
    "blockquote": {"cite"},
}
_STYLE_PROPERTIES = frozenset(
    {
        "color", "background-color", "font-weight", "font-style", "font-size", "font-family",
        "text-align", "text-decoration", "vertical-align", "white-space", "border", "border-collapse",
        "padding", "margin", "width", "height",
    }
)
_URL_SCHEMES = frozenset({"http", "https", "mailto", "cid"})
_IMAGE_SCHEMES = ("cid:", "https:")


def _keep_attribute(tag: str, attribute: str, value: str) -> str | None:
    """Images load only from the mail itself (cid:) or over https; nothing else may track the reader."""
    if tag == "img" and attribute == "src":
        return value if value.strip().lower().startswith(_IMAGE_SCHEMES) else None
    if tag == "a" and attribute == "href" and value.strip().lower().startswith("cid:"):
        return None
    return value


def sanitize_html(html: str) -> str:
    """Return mail HTML with scripts, styles, frames, forms and event handlers removed."""
    return nh3.clean(
        html,
        tags=set(_ALLOWED_TAGS),
        clean_content_tags=set(_DROPPED_WITH_CONTENT),
        attributes=_ALLOWED_ATTRIBUTES,
        attribute_filter=_keep_attribute,
        url_schemes=set(_URL_SCHEMES),
        url_relative="deny",
        filter_style_properties=set(_STYLE_PROPERTIES),
        link_rel="noopener noreferrer",
        strip_comments=True,
    )


_BLOCK_TAGS = frozenset(
    {
        "address", "article", "aside", "center", "dd", "div", "dl", "dt", "footer", "form", "h1", "h2",
        "h3", "h4", "h5", "h6", "header", "hr", "main", "nav", "ol", "section", "table", "tbody", "thead",
        "tfoot", "tr", "ul",
    }
)
_PARAGRAPH_TAGS = frozenset({"p", "pre"})
_SKIPPED_TAGS = frozenset({"script", "style", "head", "title", "noscript", "template"})
_VOID_TAGS = frozenset({"br", "hr", "img", "wbr", "meta", "link", "input", "col", "area", "base"})
_SPACES = re.compile(r"[ \t\r\n\f\v]+")


class _TextCollector(HTMLParser):
    """Walks HTML and writes the text a reader would see, one buffer per open blockquote."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self._buffers: list[list[str]] = [[]]
        self._buffer_has_text: list[bool] = [False]
        self._skip_depth = 0
        self._pre_depth = 0
        self._list_depth = 0
        self._links: list[tuple[str, int]] = []

    @property
    def _out(self) -> list[str]:
        return self._buffers[-1]

    def _tail(self) -> str:
        return "".join(self._out[-3:])

    def _ensure_newlines(self, count: int) -> None:
        if not self._buffer_has_text[-1]:
            return
        tail = self._tail()
        missing = count - (len(tail) - len(tail.rstrip("\n")))
        if missing > 0:
            self._out.append("\n" * missing)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth += tag not in _VOID_TAGS
            return
        if tag == "br":
            self._out.append("\n")
        elif tag == "li":
            self._ensure_newlines(1)
            self._out.append("  " * max(self._list_depth - 1, 0) + "- ")
        elif tag in ("ul", "ol"):
            self._list_depth += 1
            self._ensure_newlines(1)
        elif tag == "blockquote":
            self._ensure_newlines(1)
            self._buffers.append([])
            self._buffer_has_text.append(False)
        elif tag in _PARAGRAPH_TAGS:
            self._pre_depth += tag == "pre"
            self._ensure_newlines(2)
        elif tag in _BLOCK_TAGS:
            self._ensure_newlines(1)
        elif tag in ("td", "th") and self._tail() and not self._tail().endswith(("\n", " ")):
            self._out.append(" ")
        elif tag == "a":
            self._links.append((dict(attrs).get("href") or "", len(self._out)))

    def handle_endtag(self, tag: str) -> None:
        if tag in _SKIPPED_TAGS:
            self._skip_depth = max(self._skip_depth - 1, 0)
        elif tag in ("ul", "ol"):
            self._list_depth = max(self._list_depth - 1, 0)
            self._ensure_newlines(1)
        elif tag == "blockquote" and len(self._buffers) > 1:
            self._close_quote()
        elif tag in _PARAGRAPH_TAGS:
            self._pre_depth = max(self._pre_depth - (tag == "pre"), 0)
            self._ensure_newlines(2)
        elif tag in _BLOCK_TAGS or tag == "li":
            self._ensure_newlines(1)
        elif tag == "a" and self._links:
            self._close_link()

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "br":
            self._out.append("\n")
        elif tag in _BLOCK_TAGS:
            self._ensure_newlines(1)

    def handle_data(self, data: str) -> None:
        if self._skip_depth:
            return
        if not self._pre_depth:
            data = _SPACES.sub(" ", data)
            if self._tail().endswith(("\n", "- ")) or not self._out:
                data = data.lstrip(" ")
        if data:
            self._out.append(data)
            self._buffer_has_text[-1] = self._buffer_has_text[-1] or not data.isspace()

    def _close_link(self) -> None:
        href, start = self._links.pop()
        text = "".join(self._out[start:]).strip()
        target = href[len("mailto:"):] if href.lower().startswith("mailto:") else href
        shown = href.lower().startswith(("http:", "https:", "mailto:"))
        if shown and target != text and href != text:
            self._out.append(f" [{target}]")

    def _close_quote(self) -> None:
        quoted = _tidy("".join(self._buffers.pop()))
        self._buffer_has_text.pop()
        self._ensure_newlines(1)
        lines = quoted.split("\n") if quoted else []
        if lines:
            self._out.append("\n".join(f"> {line}".rstrip() for line in lines) + "\n")
            self._buffer_has_text[-1] = True

    def text(self) -> str:
        while len(self._buffers) > 1:
            self._close_quote()
        return _tidy("".join(self._out))


def _tidy(text: str) -> str:
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")


def html_to_text(html: str) -> str:
    """Plain text of an HTML body: blocks and <br> become newlines, lists "- ", quotes "> "."""
    collector = _TextCollector()
    collector.feed(html)
    collector.close()
    return collector.text()
