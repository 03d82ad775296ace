"""Raw mail bytes in, one frozen ParsedMail out; bad input ends as MailRejected with a reason.

The stdlib parser (policy.default) does the MIME work; this module adds what real mail needs on top:
charset detection for undeclared or mislabelled Cyrillic text, tolerant RFC 2047 decoding, recovery of
multiparts whose boundary is wrong, and hard limits checked before the expensive work starts.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import hashlib
import html as html_lib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email import policy
from email.headerregistry import HeaderRegistry
from email.message import Message
from email.parser import BytesParser
from email.policy import EmailPolicy, Policy
from email.utils import getaddresses, parsedate_to_datetime
from urllib.parse import unquote

from inbound.sanitize import html_to_text, sanitize_html


@dataclass(frozen=True)
class MailAttachment:
    filename: str  # for display only (decoded); never used as a path
    content_type: str
    data: bytes
    content_id: str | None  # without <>
    inline: bool

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    from_name: str
    reply_to: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[MailAttachment, ...]
    headers: tuple[tuple[str, str], ...]
    defects: tuple[str, ...]

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitive; None when absent."""
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)


@dataclass(frozen=True)
class ParseLimits:
    max_size: int = 25 * 1024 * 1024
    max_parts: int = 200
    max_depth: int = 12
    max_headers: int = 1000


class MailRejected(Exception):
    """The mail cannot be accepted; `reason` is a sentence fit for a quarantine list."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- charsets ---------------------------------------------------------------------------------------

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


def _codec_for(declared: str | None) -> str | None:
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


def _guess_codec(data: bytes, declared: str | None = None) -> str:
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


def _decode_bytes(data: bytes, declared: str | None) -> tuple[str, str | None]:
    """Text of `data`, and a note when the declared charset could not be trusted."""
    codec = _codec_for(declared)
    if codec is not None and codec not in _CYRILLIC_CODECS:
        try:
            return data.decode(codec), None
        except (UnicodeDecodeError, LookupError):
            pass
    if data.isascii():
        return data.decode("ascii"), None
    guess = _guess_codec(data, codec if codec in _CYRILLIC_CODECS else None)
    text = data.decode(guess, errors="replace")
    if guess == codec:
        return text, None
    if declared and declared.strip():
        return text, f"charset {declared.strip()!r} did not fit the bytes; read as {guess}"
    return text, f"undeclared 8-bit text read as {guess}"


# --- headers ----------------------------------------------------------------------------------------

_ENCODED_WORD = re.compile(r"=\?([^?\s]+)\?([bBqQ])\?([^?]*)\?=")
_FOLD = re.compile(r"\r?\n(?=[ \t])|\r?\n|\r")
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
            text, note = _decode_bytes(bytes(pending), pending_charset)
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


def _drop_nul(text: str, where: str, defects: list[str]) -> str:
    """NUL is never text in mail, and PostgreSQL refuses to store it in a text column."""
    if "\x00" not in text:
        return text
    defects.append(f"{where}: NUL characters removed")
    return text.replace("\x00", "")


def _raw_bytes(value: str) -> bytes:
    """Bytes of a value the parser read as ASCII with surrogate escapes for 8-bit octets."""
    return value.encode("utf-8", "surrogateescape")


class _HeaderDecoder:
    """Decodes raw header values; undeclared 8-bit headers share one charset guessed for the whole mail."""

    def __init__(self, raw_values: list[str], defects: list[str]) -> None:
        eight_bit = b"\n".join(_raw_bytes(value) for value in raw_values if _has_8bit(value))
        self._codec = _guess_codec(eight_bit) if eight_bit else "utf-8"
        self._defects = defects

    def unstructured(self, name: str, raw: str) -> str:
        """Unfolded text with 8-bit octets decoded and RFC 2047 words left as they are."""
        value = _drop_nul(_FOLD.sub("", raw), f"header {name}", self._defects).strip()
        if not _has_8bit(value):
            return value
        data = _raw_bytes(value)
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            self._defects.append(f"header {name}: undeclared 8-bit text read as {self._codec}")
            return data.decode(self._codec, errors="replace")

    def text(self, name: str, raw: str) -> str:
        decoded = decode_encoded_words(self.unstructured(name, raw), self._defects)
        return _drop_nul(decoded, f"header {name}", self._defects)


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


def _default_policy() -> Policy:
    """policy.default with a fresh header cache, which never outlives the mail it was built for."""
    return EmailPolicy(header_factory=_CachingHeaderFactory())


# --- limits -----------------------------------------------------------------------------------------

_STRUCTURE_LINE = re.compile(rb"^(?:content-type:[^\n]*(?:\n[ \t][^\n]*)*|--[^\n]*)", re.I | re.M)
_BOUNDARY_PARAM = re.compile(rb'boundary\s*=\s*(?:"([^"\r\n]{1,200})"|([^\s;"]{1,200}))', re.I)
_HEADER_END = re.compile(rb"\r?\n\r?\n")


def _reject_parts(limits: ParseLimits) -> MailRejected:
    return MailRejected(f"The mail has more than {limits.max_parts} MIME parts (limit max_parts).")


def _reject_depth(limits: ParseLimits) -> MailRejected:
    return MailRejected(
        f"The MIME structure is nested deeper than {limits.max_depth} levels (limit max_depth)."
    )


def _reject_headers(limits: ParseLimits) -> MailRejected:
    return MailRejected(f"A header block has more than {limits.max_headers} headers (limit max_headers).")


def _prescan(raw: bytes, limits: ParseLimits) -> None:
    """Cheap look at the raw bytes so hostile nesting never reaches the (recursive) stdlib parser."""
    if len(raw) > limits.max_size:
        raise MailRejected(
            f"The mail is {len(raw)} bytes, more than the limit of {limits.max_size} bytes (limit max_size)."
        )
    head = _HEADER_END.split(raw, maxsplit=1)[0]
    if sum(1 for line in head.splitlines() if line[:1] not in (b" ", b"\t")) > limits.max_headers:
        raise _reject_headers(limits)
    boundaries: list[bytes] = []
    parts = 0
    for match in _STRUCTURE_LINE.finditer(raw):
        line = match.group(0)
        if line.startswith(b"--"):
            parts += _close_boundaries(boundaries, line[2:].rstrip())
            if parts > limits.max_parts:
                raise _reject_parts(limits)
            continue
        declared = _BOUNDARY_PARAM.search(line)
        if declared and b"multipart" in line.lower():
            boundaries.append(declared.group(1) or declared.group(2))
            if len(boundaries) > limits.max_depth:
                raise _reject_depth(limits)


def _close_boundaries(boundaries: list[bytes], marker: bytes) -> int:
    """Update the open-boundary stack for a delimiter line; 1 when the line starts a new part."""
    for index in range(len(boundaries) - 1, -1, -1):
        if marker == boundaries[index]:
            del boundaries[index + 1 :]
            return 1
        if marker == boundaries[index] + b"--":
            del boundaries[index:]
            return 0
    return 0


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [child for child in payload if isinstance(child, Message)] if isinstance(payload, list) else []


def _check_tree(message: Message, limits: ParseLimits, defects: list[str]) -> None:
    """Enforce the limits on the parsed tree and collect the parser's defects."""
    stack: list[tuple[Message, int, str]] = [(message, 0, "1")]
    parts = 0
    while stack:
        part, depth, path = stack.pop()
        parts += 1
        if parts > limits.max_parts:
            raise _reject_parts(limits)
        if depth > limits.max_depth:
            raise _reject_depth(limits)
        if len(part.keys()) > limits.max_headers:
            raise _reject_headers(limits)
        defects.extend(_defect_text(path, defect) for defect in part.defects)
        if part.get_content_type() == "message/delivery-status":
            continue  # its blocks are per-recipient fields, not MIME parts
        for number, child in enumerate(_children(part), start=1):
            stack.append((child, depth + 1, f"{path}.{number}"))


def _defect_text(path: str, defect: Exception) -> str:
    detail = str(defect)
    name = type(defect).__name__
    return f"part {path}: {name}: {detail}" if detail and detail != name else f"part {path}: {name}"


# --- broken multiparts ------------------------------------------------------------------------------

_DELIMITER_LINE = re.compile(rb'^--([^\s"]{1,200}?)(?:--)?[ \t]*\r?$', re.M)
_MAX_RECOVERIES = 5


def _recover_multipart(part: Message, mail_policy: Policy, defects: list[str]) -> bool:
    """Re-split a multipart whose declared boundary never appears, using the delimiter actually used."""
    body = part.get_payload(decode=True)
    if not isinstance(body, bytes):
        return False
    markers = [match.group(1) for match in _DELIMITER_LINE.finditer(body)]
    marker = next((m for m in markers if markers.count(m) > 1 or m + b"--" in body), None)
    if marker is None:
        return False
    head = f'Content-Type: {part.get_content_type()}; boundary="'.encode() + marker + b'"\r\n\r\n'
    recovered = BytesParser(policy=mail_policy).parsebytes(head + body)
    children = _children(recovered)
    if not children:
        return False
    part.set_payload(list[Message | str](children))
    used = marker.decode("ascii", "replace")
    defects.append(f"multipart boundary did not match; parts recovered with {used!r}")
    return True


def _repair_multiparts(message: Message, mail_policy: Policy, defects: list[str]) -> bool:
    """Recover broken multiparts in place; True when any was tried (the tree may have changed)."""
    recoveries = 0
    stack = [message]
    while stack:
        part = stack.pop()
        is_broken = part.get_content_maintype() == "multipart" and not part.is_multipart()
        if is_broken and recoveries < _MAX_RECOVERIES:
            recoveries += 1
            _recover_multipart(part, mail_policy, defects)
        if part.get_content_maintype() != "message":
            stack.extend(_children(part))
    return recoveries > 0


# --- body and attachments ---------------------------------------------------------------------------


@dataclass
class _Body:
    """Accumulates one mail's content while its tree is walked; never outlives parse_mail."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    attachments: list[MailAttachment] = field(default_factory=list)


def _leaves(message: Message) -> Iterator[Message]:
    """Parts that carry content, in order; attached messages count as one leaf each."""
    stack = [message]
    while stack:
        part = stack.pop()
        children = _children(part) if part.get_content_maintype() != "message" else []
        if children:
            stack.extend(reversed(children))
        else:
            yield part


def _part_text(part: Message, defects: list[str]) -> str:
    payload = part.get_payload(decode=True)
    data = payload if isinstance(payload, bytes) else b""
    text, note = _decode_bytes(data, part.get_content_charset())
    if note:
        defects.append(f"{part.get_content_type()} body: {note}")
    text = _drop_nul(text, f"{part.get_content_type()} body", defects)
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _looks_like_html(text: str) -> bool:
    start = text.lstrip()[:200].lower()
    return start.startswith(("<!doctype html", "<html")) or "<body" in start


def _clean_filename(raw: str | None, decoder: _HeaderDecoder) -> str:
    if not raw:
        return ""
    name = decoder.text("filename", raw)
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).replace("\\", "/").rsplit("/", 1)[-1]
    return name.strip()


def _message_bytes(part: Message) -> bytes:
    children = _children(part)
    if part.get_content_type() == "message/delivery-status":
        blocks = [
            "\r\n".join(f"{name}: {_FOLD.sub('', value)}" for name, value in child.raw_items())
            for child in children
        ]
        return _raw_bytes("\r\n\r\n".join(blocks) + "\r\n")
    if children:
        inner = children[0]
        return inner.as_bytes(policy=policy.default.clone(refold_source="none", linesep="\r\n"))
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _content_id(part: Message, decoder: _HeaderDecoder) -> str | None:
    raw = next((value for name, value in part.raw_items() if name.lower() == "content-id"), None)
    if raw is None:
        return None
    return decoder.unstructured("Content-ID", raw).strip().strip("<>").strip() or None


def _add_leaf(part: Message, body: _Body, decoder: _HeaderDecoder, defects: list[str]) -> None:
    content_type = _drop_nul(part.get_content_type(), "Content-Type", defects)
    disposition = part.get_content_disposition()
    filename = _clean_filename(part.get_filename(), decoder)
    is_body_text = content_type in ("text/plain", "text/html") or part.get_content_maintype() == "multipart"
    if is_body_text and disposition != "attachment" and not filename:
        text = _part_text(part, defects)
        if content_type == "text/html" or ("content-type" not in part and _looks_like_html(text)):
            body.html.append(text)
        elif text.strip() or not body.plain:
            body.plain.append(text)
        return
    if part.get_content_maintype() == "message":
        data = _message_bytes(part)
    else:
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
    content_id = _content_id(part, decoder)
    body.attachments.append(
        MailAttachment(
            filename=filename or _default_filename(content_type, len(body.attachments) + 1),
            content_type=content_type,
            data=data,
            content_id=content_id,
            inline=disposition == "inline" or (disposition is None and content_id is not None),
        )
    )


def _default_filename(content_type: str, number: int) -> str:
    if content_type.startswith("message/"):
        return f"message-{number}.eml" if content_type == "message/rfc822" else f"report-{number}.txt"
    if content_type.startswith("text/"):
        return f"attachment-{number}.txt"
    subtype = re.sub(r"[^a-z0-9]", "", content_type.partition("/")[2])[:10] or "bin"
    return f"attachment-{number}.{subtype}"


# --- addresses, ids, dates --------------------------------------------------------------------------

_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_ADDR_SPEC = re.compile(r"[^\s<>\"',;:()@]+@[^\s<>\"',;:()@]+")


def _addresses(values: list[str], decoder: _HeaderDecoder) -> list[tuple[str, str]]:
    """(display name, lower-cased addr-spec) pairs; a value getaddresses cannot read is searched."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        found = [(name, addr) for name, addr in getaddresses([value]) if "@" in addr]
        if not found:
            found = [("", match) for match in _ADDR_SPEC.findall(value)]
        pairs.extend((decoder.text("address", name), addr.strip().lower()) for name, addr in found)
    return pairs


def _unique(values: list[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(value for value in values if value))


def _message_ids(values: list[str]) -> list[str]:
    ids: list[str] = []
    for value in values:
        found = _ANGLE_ID.findall(value)
        ids.extend(found or [token.strip("<>") for token in value.split() if "@" in token])
    return ids


def _parse_date(value: str | None, defects: list[str]) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(value)
    except (TypeError, ValueError, OverflowError, IndexError):
        defects.append(f"unreadable Date header {value[:60]!r}")
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


# --- assembly ---------------------------------------------------------------------------------------


def parse_mail(raw: bytes, limits: ParseLimits | None = None) -> ParsedMail:
    """Parse raw mail bytes; raises MailRejected (and nothing else) for mail that cannot be accepted."""
    limits = limits or ParseLimits()
    _prescan(raw, limits)
    try:
        return _parse_guarded(raw, limits)
    except MailRejected:
        raise
    except RecursionError as error:
        raise _reject_depth(limits) from error
    except Exception as error:  # bad input goes to quarantine with a reason, never crashes the worker
        reason = f"The parser failed on this mail: {type(error).__name__}: {error}"
        raise MailRejected(reason[:300]) from error


def _parse_guarded(raw: bytes, limits: ParseLimits) -> ParsedMail:
    """policy.default first; if its structured-header parser breaks on hostile input, compat32."""
    try:
        return _parse(raw, limits, _default_policy(), [])
    except (MailRejected, RecursionError):
        raise
    except Exception as error:  # a stdlib bug on bad input must not lose the mail
        note = f"structured header parsing failed ({type(error).__name__}); re-read with the compat32 parser"
        return _parse(raw, limits, policy.compat32, [note])


def _parse(raw: bytes, limits: ParseLimits, mail_policy: Policy, defects: list[str]) -> ParsedMail:
    message = BytesParser(policy=mail_policy).parsebytes(raw)
    _check_tree(message, limits, defects)
    if _repair_multiparts(message, mail_policy, defects):
        _check_tree(message, limits, [])
    if "content-type" not in message:
        defects.append("missing Content-Type header; body read as text")
    raw_headers = [(name, value) for name, value in message.raw_items()]
    decoder = _HeaderDecoder([value for _, value in raw_headers], defects)
    body = _Body()
    for leaf in _leaves(message):
        _add_leaf(leaf, body, decoder, defects)
    return _assemble(raw_headers, decoder, body, defects)


def _assemble(
    raw_headers: list[tuple[str, str]], decoder: _HeaderDecoder, body: _Body, defects: list[str]
) -> ParsedMail:
    def raw_all(name: str) -> list[str]:
        return [decoder.unstructured(key, value) for key, value in raw_headers if key.lower() == name]

    headers = tuple((name.replace("\x00", ""), decoder.text(name, value)) for name, value in raw_headers)
    senders = _addresses(raw_all("from"), decoder)
    html = sanitize_html("\n".join(body.html)) if body.html else None
    text = "\n".join(body.plain).strip("\n")
    if not text.strip() and html:
        text = html_to_text(html)
    message_ids = _message_ids(raw_all("message-id"))
    subject = next((value for name, value in headers if name.lower() == "subject"), "")
    date_values = raw_all("date")
    return ParsedMail(
        message_id=message_ids[0] if message_ids else None,
        in_reply_to=_unique(_message_ids(raw_all("in-reply-to"))),
        references=_unique(_message_ids(raw_all("references"))),
        from_address=senders[0][1] if senders else "",
        from_name=senders[0][0] if senders else _display_name_only(raw_all("from"), decoder),
        reply_to=_unique([addr for _, addr in _addresses(raw_all("reply-to"), decoder)]),
        to=_unique([addr for _, addr in _addresses(raw_all("to"), decoder)]),
        cc=_unique([addr for _, addr in _addresses(raw_all("cc"), decoder)]),
        delivered_to=_unique(
            [addr for _, addr in _addresses(raw_all("delivered-to") + raw_all("x-original-to"), decoder)]
        ),
        subject=subject,
        date=_parse_date(date_values[0] if date_values else None, defects),
        text=text,
        html=html,
        attachments=tuple(body.attachments),
        headers=headers,
        defects=tuple(dict.fromkeys(defects)),
    )


def _display_name_only(values: list[str], decoder: _HeaderDecoder) -> str:
    return decoder.text("from", values[0]).strip().strip('"') if values else ""


_CID_SOURCE = re.compile(r'(<img\b[^>]*?\bsrc=")cid:([^"]*)(")', re.I)


def resolve_cid(html: str, url_for: Callable[[str], str | None]) -> str:
    """Rewrite cid: image sources in sanitized HTML; an unknown cid loses its source."""

    def replace(match: re.Match[str]) -> str:
        content_id = unquote(html_lib.unescape(match.group(2))).strip("<>")
        url = url_for(content_id)
        if url is None:
            return match.group(1) + match.group(3)
        return match.group(1) + html_lib.escape(url, quote=True) + match.group(3)

    return _CID_SOURCE.sub(replace, html)


__all__ = [
    "MailAttachment",
    "MailRejected",
    "ParseLimits",
    "ParsedMail",
    "parse_mail",
    "resolve_cid",
]
