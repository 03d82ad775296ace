"""Words to search terms: the one place that decides what a word is and which words are the same.

Every text is indexed, and every query is read, through these functions, so the index on SQLite and on
PostgreSQL holds the same terms and a query finds the same dialogs on both. A term is:

- a word, lower-cased, ё read as е, stemmed with the Snowball stemmer of its script (Cyrillic: Russian,
  Latin: English; digits and other scripts as they are), so "заказов" and "заказ" are one term;
- an email address, whole ("ivan@example.com"); its words come again at the end of the text, so a
  search for "ivan" or "example.com" finds it too;
- a phone number as digits, the last ten of them too, so "+7 912 345-67-89" finds "8 (912) 3456789".
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import snowballstemmer

# The index keeps positions up to 16383 on PostgreSQL; a longer text is cut here, on both databases.
MAX_TERMS = 16000
MAX_TERM_LENGTH = 100
PHONE_TAIL = 10

_EMAIL = r"[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+"
_TOKEN = re.compile(rf"(?P<email>{_EMAIL})|(?P<word>[^\W_]+)")
_PHONE = re.compile(r"(?<![\w+])\+?\d[\d\s()\-]{5,}\d(?!\w)")
_CYRILLIC = re.compile(r"[а-я]")
_LATIN = re.compile(r"[a-z]")
MIN_PHONE_DIGITS = 7


@dataclass(frozen=True)
class Token:
    """A word or an address found in a text: where it is and the term it stands for."""

    start: int
    end: int
    term: str
    is_email: bool


def normalized(text: str) -> str:
    """The form every comparison uses: NFC, lower case, ё as е. Keeps the length of `text`."""
    return unicodedata.normalize("NFC", text).lower().replace("ё", "е")


def tokens(text: str) -> Iterator[Token]:
    """Words and addresses of `text` in order. Positions are those of normalized(text)."""
    for match in _TOKEN.finditer(normalized(text)):
        email = match.group("email")
        if email is not None:
            yield Token(match.start(), match.end(), email[:MAX_TERM_LENGTH], True)
        else:
            yield Token(match.start(), match.end(), stem(match.group("word")), False)


def document_terms(text: str) -> list[str]:
    """The terms to index for `text`, in order (a phrase query matches terms that follow each other)."""
    terms: list[str] = []
    extra: list[str] = []
    for token in tokens(text):
        terms.append(token.term)
        if token.is_email:
            extra.extend(address_parts(token.term))
        if len(terms) + len(extra) >= MAX_TERMS:
            break
    extra.extend(phone_terms(text[: token.end] if terms else text))
    return (terms + extra)[:MAX_TERMS]


def address_parts(address: str) -> list[str]:
    """The words of an address, so a search for a name or a domain finds it."""
    return [stem(word) for word in re.findall(r"[^\W_]+", address)]


def phone_terms(text: str) -> list[str]:
    """Each phone number in `text` as its digits, and as its last ten digits (without country code)."""
    found: list[str] = []
    for match in _PHONE.finditer(text):
        found.extend(phone_digits(match.group()))
    return found


def phone_digits(text: str) -> list[str]:
    digits = re.sub(r"\D", "", text)
    if len(digits) < MIN_PHONE_DIGITS:
        return []
    tail = digits[-PHONE_TAIL:]
    return [digits] if tail == digits else [digits, tail]


def is_phone(text: str) -> bool:
    """Whether a query's run of digits reads as a phone number rather than numbers ("1045 2026")."""
    text = text.strip()
    digits = phone_digits(text)
    if _PHONE.fullmatch(text) is None or not digits:
        return False
    return text.startswith("+") or any(mark in text for mark in "-()") or len(digits[0]) >= PHONE_TAIL


def query_phone_term(text: str) -> str:
    """A phone in a query matches by its last ten digits, which every stored number has as a term."""
    return phone_digits(text)[-1]


@lru_cache(maxsize=200_000)
def stem(word: str) -> str:
    """The stem of one normalized word; words of no known script are kept as they are."""
    word = word[:MAX_TERM_LENGTH]
    if _CYRILLIC.search(word):
        return str(_stemmer("russian").stemWord(word))
    if _LATIN.search(word):
        return str(_stemmer("english").stemWord(word))
    return word


def _stemmer(language: str) -> Any:
    """A new stemmer each time (it keeps state while it works, so threads must not share one; stems
    are cached above, so this runs once per distinct word). snowballstemmer hands out PyStemmer's C
    implementation when that is installed: the same Snowball algorithms, the same stems (checked on
    260,000 Russian and English words)."""
    return snowballstemmer.stemmer(language)
