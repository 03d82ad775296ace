"""Make mail HTML safe to show."""

from __future__ import annotations

import nh3

from inbound.html_text import html_to_text

__all__ = ["html_to_text", "sanitize_html"]  # html_to_text lives in inbound.html_text; parse imports it here

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
