"""Reply cleaning: keep only the new text of an email reply for display in the chat.

Quoted history (``inbound.quotes`` for text, ``inbound.html_quotes`` for HTML) and the signature
(``inbound.signature``: ``-- ``, mobile footers, closings) are removed, in English and Russian. Forwarded
messages are kept (``inbound.forwards``). The full original is stored elsewhere; these functions are pure
and never return an empty text for a non-empty input. See docs/reply-cleaning.md.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from inbound.forwards import first_forward
from inbound.html_quotes import strip_html
from inbound.html_text import html_to_text
from inbound.quotes import drop_quote_blocks, history_start
from inbound.signature import split_closing, split_signature


@dataclass(frozen=True)
class CleanedReply:
    text: str  # what the chat shows: the new text only, stripped of trailing blank lines
    quoted: str  # what was removed as quoted history ("" when none)
    signature: str  # what was removed as signature or closing ("" when none)


def clean_text_reply(text: str) -> CleanedReply:
    """Remove quoted history and the signature from a plain-text reply."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    forward_at = first_forward(lines)
    cut_at, attributions = history_start(lines[:forward_at])
    quoted = lines[cut_at:forward_at] if cut_at < forward_at else []
    kept, removed_quotes = drop_quote_blocks(lines[:cut_at], attributions)
    kept, signature = split_signature(kept)
    kept, closing = split_closing(kept)
    body = _strip_blank_edges(kept + lines[forward_at:], verbatim_from=len(kept))  # a forward stays as sent
    if not body:
        return CleanedReply(text=text.strip(), quoted="", signature="")
    return CleanedReply(
        text="\n".join(body),
        quoted="\n".join(_strip_blank_edges(removed_quotes + quoted)),
        signature="\n".join(_strip_blank_edges(closing + signature)),
    )


def _strip_blank_edges(lines: Sequence[str], verbatim_from: int | None = None) -> list[str]:
    """Without blank lines at either end, and without trailing spaces up to ``verbatim_from``."""
    start, end = 0, len(lines)
    while start < end and not lines[start].strip():
        start += 1
    while end > start and not lines[end - 1].strip():
        end -= 1
    keep_from = len(lines) if verbatim_from is None else verbatim_from
    return [
        line if index >= keep_from else line.rstrip()
        for index, line in enumerate(lines)
        if start <= index < end
    ]


def clean_reply(text: str, html: str | None) -> CleanedReply:
    """Clean a reply, preferring the HTML structure when the message has an HTML part."""
    if not html or not html.strip():
        return clean_text_reply(text)
    stripped = strip_html(html)
    cleaned = clean_text_reply(_text_of("".join(stripped.kept)))
    if not cleaned.text.strip():
        return clean_text_reply(text) if text.strip() else CleanedReply(_text_of(html).strip(), "", "")
    quoted = [_text_of(part) for part in stripped.quoted] + [cleaned.quoted]
    signature = [cleaned.signature] + [_text_of(part) for part in stripped.signatures]
    return CleanedReply(
        text=cleaned.text,
        quoted="\n".join(part for part in quoted if part.strip()),
        signature="\n".join(part for part in signature if part.strip()),
    )


def _text_of(html: str) -> str:
    # The quote containers are gone already; a blockquote still here is the sender's own text.
    return html_to_text(html, quote_marks=False)
