"""Raw header values to text: unfolding, undeclared 8-bit octets, tolerant RFC 2047 encoded words, and
the stdlib policy the parser reads headers with."""

from __future__ import annotations

import base64
import binascii
import re
from email.headerregistry import HeaderRegistry
from email.policy import EmailPolicy, Policy

from inbound.charsets import decode_bytes, guess_codec

FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n|\r")
_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_BASE64_JUNK = re.compile(r"[^A-Za-z0-9+/]")


def _encoded_word_bytes(encoding: str, text: str) -> bytes | None:
    if encoding in "qQ":
        return binascii.a2b_qp(text.encode("utf-8", "surrogateescape"), header=True)
    letters = _BASE64_JUNK.sub("", text)
    letters = letters[: len(letters) - (len(letters) % 4 == 1)]
    if text and not letters:
        return None
    try:
        return base64.b64decode(letters + "=" * (-len(letters) % 4))
    except (binascii.Error, ValueError):
        return None


def decode_encoded_words(value: str, defects: list[str]) -> str:
    """RFC 2047 decoding that tolerates bad charsets, split characters and broken base64."""
    pieces: list[str] = []
    pending, pending_charset = bytearray(), ""
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending_charset:
            text, note = decode_bytes(bytes(pending), pending_charset)
            pieces.append(text)
            if note:
                defects.append(f"encoded word: {note}")
        pending, pending_charset = bytearray(), ""

    for match in _ENCODED_WORD.finditer(value):
        gap = value[position : match.start()]
        charset = match.group(1).split("*", 1)[0]
        data = _encoded_word_bytes(match.group(2), match.group(3))
        position = match.end()
        adjacent = bool(pending_charset) and not gap.strip()
        if data is None:
            flush()
            pieces.append(gap + match.group(0))
            defects.append(f"undecodable encoded word {match.group(0)[:60]!r} kept as it is")
            continue
        if not adjacent or charset.lower() != pending_charset.lower():
            flush()
            if not adjacent:
                pieces.append(gap)
        pending += data
        pending_charset = charset
    flush()
    pieces.append(value[position:])
    return "".join(pieces)


def _has_8bit(value: str) -> bool:
    return not value.isascii()


def drop_nul(text: str, where: str, defects: list[str]) -> str:
    """NUL is never text in mail, and PostgreSQL refuses to store it in a text column."""
    if "\x00" not in text:
        return text
    defects.append(f"{where}: NUL characters removed")
    return text.replace("\x00", "")


def raw_bytes(value: str) -> bytes:
    """Bytes of a value the parser read as ASCII with surrogate escapes for 8-bit octets."""
    return value.encode("utf-8", "surrogateescape")


class HeaderDecoder:
    """Decodes raw header values; undeclared 8-bit headers share one charset guessed for the whole mail."""

    def __init__(self, raw_values: list[str], defects: list[str]) -> None:
        eight_bit = b"\n".join(raw_bytes(value) for value in raw_values if _has_8bit(value))
        self._codec = guess_codec(eight_bit) if eight_bit else "utf-8"
        self._defects = defects

    def unstructured(self, name: str, raw: str) -> str:
        """Unfolded text with 8-bit octets decoded and RFC 2047 words left as they are."""
        value = drop_nul(FOLD.sub("", raw), f"header {name}", self._defects).strip()
        if not _has_8bit(value):
            return value
        data = raw_bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self._defects.append(f"header {name}: undeclared 8-bit text read as {self._codec}")
            return data.decode(self._codec, errors="replace")

    def text(self, name: str, raw: str) -> str:
        decoded = decode_encoded_words(self.unstructured(name, raw), self._defects)
        return drop_nul(decoded, f"header {name}", self._defects)


class _CachingHeaderFactory:
    """The stdlib's header factory, building each distinct header once per mail: policy.default builds
    a new structured header object (and a new class for it) on every read, and the walk over a mail
    reads each part's Content-Type a dozen times. Header objects are immutable, so sharing is safe."""

    def __init__(self) -> None:
        self._registry = HeaderRegistry()
        self._built: dict[tuple[str, str], str] = {}

    def __call__(self, name: str, value: str) -> str:
        key = (name, value)
        header = self._built.get(key)
        if header is None:
            header = self._built[key] = self._registry(name, value)
        return header


def default_policy() -> Policy:
    """policy.default with a fresh header cache, which never outlives the mail it was built for."""
    return EmailPolicy(header_factory=_CachingHeaderFactory())
