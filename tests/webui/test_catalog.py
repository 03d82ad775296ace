"""Every text the pages, emails and profile forms show has a Russian translation."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

REPO = Path(__file__).resolve().parents[2]
CATALOG = REPO / "templates" / "locale" / "ru" / "LC_MESSAGES" / "relaydesk.po"
KEYWORDS = ("_", "gettext", "ngettext")
PYTHON_WITH_TEXT = ("webui/profile.py", "webui/profile_forms.py")


def translated() -> set[str]:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    return {
        message.id if isinstance(message.id, str) else message.id[0]
        for message in catalog
        if message.id and message.string and not message.fuzzy
    }


def used() -> Iterator[tuple[str, str]]:
    for path in sorted((REPO / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            with path.open("rb") as handle:
                for _line, _function, message, _comments in babel_extract(handle, KEYWORDS, [], {}):
                    text = message if isinstance(message, str) or message is None else message[0]
                    if text is not None:  # `_(unit)` of a computed value: its values are checked below
                        yield str(path.relative_to(REPO)), text
    for name in PYTHON_WITH_TEXT:
        with (REPO / name).open("rb") as handle:
            for _line, _function, message, _comments in extract_python(handle, KEYWORDS, [], {}):
                yield name, message if isinstance(message, str) else message[0]


def test_every_msgid_has_a_russian_translation() -> None:
    known = translated()
    found = list(used())
    assert len(found) > 100, "the extraction found the texts"
    assert [(where, text) for where, text in found if text not in known] == []


def test_size_units_shown_through_gettext_are_translated() -> None:
    assert {"B", "KB", "MB"} <= translated()
