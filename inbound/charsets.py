"""Bytes of unknown or doubtful charset to text: declared charsets checked against the bytes, and
undeclared or mislabelled Cyrillic (cp1251, koi8-r) told apart by Russian letter frequency."""

from __future__ import annotations

import codecs
import re

_UNDECLARED = frozenset(
    {"", "us-ascii", "ascii", "unknown-8bit", "x-unknown", "unknown", "8bit", "default", "x-user-defined"}
)
_CHARSET_NAME = re.compile(r"[a-z0-9][a-z0-9._:()+-]{0,39}")
_UNSAFE_CODECS = frozenset({"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined"})
_CYRILLIC_CODECS = frozenset({"cp1251", "koi8-r", "koi8-u", "iso8859-5", "cp866", "mac-cyrillic"})
# Relative frequency of Russian letters (per cent); good decodings score high, mojibake scores low.
_LETTER_FREQUENCY = dict(
    zip(
        "оеаинтсрвлкмдпуяыьгзбчйхжшюцщэфъё",
        (10.97, 8.45, 8.01, 7.35, 6.70, 6.26, 5.47, 4.73, 4.54, 4.40, 3.49, 3.21, 2.98, 2.81, 2.62, 2.01,
         1.90, 1.74, 1.70, 1.65, 1.59, 1.44, 1.21, 0.97, 0.94, 0.73, 0.64, 0.48, 0.36, 0.32, 0.26, 0.04,
         0.04),
        strict=True,
    )
)


def codec_for(declared: str | None) -> str | None:
    """Python codec name for a declared charset; None when undeclared, unknown or unusable."""
    name = (declared or "").strip().strip("\"'").lower().split("*", 1)[0]
    if name in _UNDECLARED or not _CHARSET_NAME.fullmatch(name):
        return None
    try:
        codec = codecs.lookup(name).name
    except (LookupError, ValueError):
        return None
    return None if codec in _UNSAFE_CODECS else codec


def _cyrillic_score(text: str) -> float:
    total, count = 0.0, 0
    for char in text:
        if char.isascii():
            continue
        count += 1
        weight = _LETTER_FREQUENCY.get(char.lower(), -1.0)
        total += weight if char.islower() or weight < 0 else weight * 0.3
    return total / count if count else 0.0


def guess_codec(data: bytes, declared: str | None = None) -> str:
    """utf-8 when the bytes are valid utf-8, else the likelier of the declared, cp1251 and koi8-r."""
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    else:
        return "utf-8"
    candidates = [declared] if declared else []
    candidates += [codec for codec in ("cp1251", "koi8-r") if codec != declared]
    scores = {codec: _cyrillic_score(data.decode(codec, errors="replace")) for codec in candidates}
    best = max(candidates, key=scores.__getitem__)
    if declared and scores[best] < scores[declared] * 1.5 + 0.5:
        return declared  # only a clearly better reading overrides what the sender declared
    return best


def decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Text of `data`, and a note when the declared charset could not be trusted."""
    codec = codec_for(declared)
    if codec is not None and codec not in _CYRILLIC_CODECS:
        try:
            return data.decode(codec), None
        except (UnicodeDecodeError, LookupError):
            pass
    if data.isascii():
        return data.decode("ascii"), None
    guess = guess_codec(data, codec if codec in _CYRILLIC_CODECS else None)
    text = data.decode(guess, errors="replace")
    if guess == codec:
        return text, None
    if declared and declared.strip():
        return text, f"charset {declared.strip()!r} did not fit the bytes; read as {guess}"
    return text, f"undeclared 8-bit text read as {guess}"
