"""How much text the desk keeps and quotes. A mail's full text always stays in its original raw mail."""

from __future__ import annotations

MAX_STORED_TEXT = 100_000  # characters of a message's text in the database
MAX_STORED_HTML = 1_000_000  # characters of a mail's HTML; beyond it the original view reads the raw mail
MAX_QUOTED_TEXT = 5_000  # characters of one message quoted in a notification email
_LOOK_BACK = 1_000  # how far back a cut may move to end at a line or a word


def shortened(text: str, limit: int, marker: str) -> str:
    """`text` when it fits in `limit` characters, else its beginning cut at a line or word end, then
    a blank line and `marker`."""
    if len(text) <= limit:
        return text
    head = text[:limit]
    for separator in ("\n", " "):
        cut = head.rfind(separator, limit - _LOOK_BACK)
        if cut > 0:
            head = head[:cut]
            break
    return f"{head.rstrip()}\n\n{marker}"
