"""gettext catalogs from templates/locale/<lang>/LC_MESSAGES/relaydesk.po, read once per language."""

from __future__ import annotations

import gettext
from functools import lru_cache
from pathlib import Path

from babel.messages.pofile import read_po

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
        return _PoTranslations(path)


class _PoTranslations(gettext.NullTranslations):
    def __init__(self, path: Path) -> None:
        super().__init__()
        with path.open("rb") as handle:
            catalog = read_po(handle)
        self._singular: dict[str, str] = {}
        self._plural: dict[str, tuple[str, ...]] = {}
        for message in catalog:
            if not message.id or not message.string or message.fuzzy:
                continue
            if isinstance(message.id, tuple):
                self._plural[message.id[0]] = tuple(message.string)
            else:
                self._singular[str(message.id)] = str(message.string)
        self._plural_forms = gettext.c2py(catalog.plural_expr)

    def gettext(self, message: str) -> str:
        return self._singular.get(message, message)

    def ngettext(self, msgid1: str, msgid2: str, n: int) -> str:
        forms = self._plural.get(msgid1)
        if not forms:
            return msgid1 if n == 1 else msgid2
        index = self._plural_forms(n)
        return forms[index] if index < len(forms) and forms[index] else forms[0]

    def pgettext(self, context: str, message: str) -> str:
        return self.gettext(message)

    def npgettext(self, context: str, msgid1: str, msgid2: str, n: int) -> str:
        return self.ngettext(msgid1, msgid2, n)


def language_or_default(language: str | None, default: str) -> str:
    return language if language in SUPPORTED else default
