"""gettext catalogs from templates/locale/<lang>/LC_MESSAGES/relaydesk.po, read once per language.

The .po is the only file kept in the repository: Babel reads it and compiles it to .mo in memory, and
Babel's `Translations` (a `gettext.GNUTranslations`) serves it, so contexts (`pgettext`), plural forms
(by the catalog's Plural-Forms) and fuzzy entries (left out) behave as gettext defines them.
"""

from __future__ import annotations

import gettext
from functools import lru_cache
from io import BytesIO
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import Translations

SUPPORTED = ("en", "ru")


class Catalogs:
    """Translations per language; English is the source language and needs no catalog."""

    def __init__(self, locale_dir: Path) -> None:
        self.locale_dir = locale_dir
        self.get = lru_cache(maxsize=None)(self._load)

    def _load(self, language: str) -> gettext.NullTranslations:
        path = self.locale_dir / language / "LC_MESSAGES" / "relaydesk.po"
        if language not in SUPPORTED or not path.exists():
            return gettext.NullTranslations()
        return load_po(path)


def load_po(path: Path) -> Translations:
    """The catalog of one .po file, compiled in memory (fuzzy and untranslated entries left out)."""
    with path.open("rb") as handle:
        catalog = read_po(handle)
    compiled = BytesIO()
    write_mo(compiled, catalog, use_fuzzy=False)
    compiled.seek(0)
    return Translations(compiled, domain="relaydesk")


def language_or_default(language: str | None, default: str) -> str:
    return language if language in SUPPORTED else default
