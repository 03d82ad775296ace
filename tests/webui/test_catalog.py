"""Every text the pages, emails, forms, verdicts and hours show has a Russian translation, none fuzzy,
with every plural form, and the catalog serves contexts and plural forms as gettext defines them."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from babel.messages.extract import extract_python
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

from bridge.i18n import Catalogs

REPO = Path(__file__).resolve().parents[2]
LOCALE = REPO / "templates" / "locale"
CATALOG = LOCALE / "ru" / "LC_MESSAGES" / "relaydesk.po"
KEYWORDS = {
    "_": None,
    "gettext": None,
    "ngettext": (1, 2),
    "pgettext": ((1, "c"), 2),
    "npgettext": ((1, "c"), 2, 3),
}
PYTHON_PACKAGES = ("chatcore", "bridge", "inbound", "outbound", "webui")
Key = tuple[str | None, str]  # (context, msgid)


def catalog_entries() -> dict[Key, object]:
    with CATALOG.open("rb") as handle:
        catalog = read_po(handle)
    return {(message.context, _first(message.id)): message for message in catalog if message.id}


def translated() -> set[Key]:
    return {
        key
        for key, message in catalog_entries().items()
        if message.string and not message.fuzzy  # type: ignore[attr-defined]
    }


def used() -> Iterator[tuple[str, Key]]:
    for path in sorted((REPO / "templates").rglob("*")):
        if path.suffix in (".html", ".txt"):
            with path.open("rb") as handle:
                for _line, function, message, _comments in babel_extract(handle, list(KEYWORDS), [], {}):
                    key = _python_key(function, message)
                    if (
                        key is not None
                    ):  # None for `_(unit)` of a computed value: its values are checked below
                        yield str(path.relative_to(REPO)), key
    for package in PYTHON_PACKAGES:
        for path in sorted((REPO / package).rglob("*.py")):
            with path.open("rb") as handle:
                for _line, function, message, _comments in extract_python(handle, KEYWORDS, [], {}):
                    key = _python_key(function, message)
                    if key is not None:
                        yield str(path.relative_to(REPO)), key


def _python_key(function: str, message: object) -> Key | None:
    """The (context, msgid) of a call with literal arguments; None when the msgid is a variable."""
    if message is None:
        return None
    parts = list(message) if isinstance(message, tuple) else [message]
    context = parts.pop(0) if function in ("pgettext", "npgettext") else None
    if not parts or not isinstance(parts[0], str):
        return None
    return (context if isinstance(context, str) else None, parts[0])


def _first(message_id: object) -> str:
    return str(message_id if isinstance(message_id, str) else message_id[0])  # type: ignore[index]


def test_every_msgid_has_a_russian_translation() -> None:
    known = translated()
    found = list(used())
    assert len(found) > 200, "the extraction found the texts"
    assert any(where.startswith("chatcore/autoreply/") for where, _ in found)
    assert [(where, key) for where, key in found if key not in known] == []


def test_nothing_is_fuzzy_and_every_plural_has_its_three_russian_forms() -> None:
    entries = catalog_entries().values()
    assert [m.id for m in entries if m.fuzzy] == []  # type: ignore[attr-defined]
    plurals = [m for m in entries if isinstance(m.id, tuple)]  # type: ignore[attr-defined]
    assert len(plurals) > 10
    assert [m.id for m in plurals if len(m.string) != 3 or not all(m.string)] == []  # type: ignore[attr-defined]


def test_size_units_shown_through_gettext_are_translated() -> None:
    assert {(None, "B"), (None, "KB"), (None, "MB")} <= translated()


def test_contexts_and_plural_forms_come_from_the_catalog() -> None:
    russian = Catalogs(LOCALE).get("ru")
    assert russian.pgettext("after a day number", "May") == "мая"
    assert russian.pgettext("no such context", "May") == "May"
    minutes = [
        russian.ngettext("%(count)s minute", "%(count)s minutes", n) % {"count": n} for n in (1, 3, 5, 11, 21)
    ]
    assert minutes == ["1 минута", "3 минуты", "5 минут", "11 минут", "21 минута"]
    assert Catalogs(LOCALE).get("en").pgettext("channel", "email") == "email"
