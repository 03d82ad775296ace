"""Hypothesis strategies for malformed MIME: random entity trees, header soup, mutated real mail."""

from __future__ import annotations

from pathlib import Path

from hypothesis import strategies as st

MAIL_DIR = Path(__file__).resolve().parent.parent / "data" / "mail"
FIXTURES = sorted(path.read_bytes() for path in MAIL_DIR.glob("*.eml"))
CHARSETS = [
    "utf-8", "UTF-8", "koi8-r", "windows-1251", "cp1251", "iso-8859-5", "unknown-8bit", "us-ascii",
    "utf-16", "utf-7", "base64", "rot13", "idna", "x-mac-cyrillic", "bogus", "", '"', "utf-8*ru",
]
HEADER_NAMES = [
    "From", "To", "Cc", "Reply-To", "Subject", "Date", "Message-ID", "In-Reply-To", "References",
    "Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-ID", "MIME-Version",
    "Delivered-To", "X-Original-To", "Auto-Submitted", "Precedence", "List-Id", "Return-Path", "X-Junk",
]
TYPES = ["text/plain", "text/html", "multipart/mixed", "multipart/alternative", "multipart/related",
         "multipart/report", "message/rfc822", "message/delivery-status", "image/png", "application/pdf",
         "text/rfc822-headers", "multipart", "text", "/", ""]
ENCODINGS = ["7bit", "8bit", "binary", "base64", "quoted-printable", "x-uuencode", "bogus", ""]

INSERTIONS = [b"\r\n", b"--", b"=?", b"?=", b":", b"\r\n\r\n", b"\xff", b"boundary=", b"*=", b"\x00"]

words = st.sampled_from(
    ["Привет", "мир", "hello", "=?", "?=", "\"", "<", ">", "@", ",", ";", "=?utf-8?B?0J/RgA==?=",
     "=?koi8-r?Q?=F0=D2?=", "=?bogus?B?@@@?=", "=?utf-8?Q?a_b?=", "\\", "(", ")", ":", "\t", "a@b.c",
     "nul\x00", "=?utf-8?Q?=00?="]
)
text_value = st.lists(st.one_of(words, st.text(max_size=8)), max_size=8).map(" ".join)


def _encode(text: str, charset: str) -> bytes:
    try:
        return text.encode(charset or "utf-8", errors="replace")
    except (LookupError, TypeError, UnicodeError, ValueError):
        return text.encode("utf-8", errors="surrogatepass")


@st.composite
def header_line(draw: st.DrawFn) -> bytes:
    name = draw(st.one_of(st.sampled_from(HEADER_NAMES), st.text(min_size=1, max_size=10)))
    value = draw(text_value)
    if draw(st.booleans()):
        value = f"{draw(st.sampled_from(TYPES))}; charset={draw(st.sampled_from(CHARSETS))}; {value}"
    raw = _encode(f"{name}: {value}", draw(st.sampled_from(["utf-8", "cp1251", "koi8-r"])))
    if draw(st.booleans()):
        raw += b"\r\n\t" + draw(st.binary(max_size=20)).replace(b"\n", b"")
    return raw


@st.composite
def entity(draw: st.DrawFn, depth: int) -> bytes:
    headers = draw(st.lists(header_line(), max_size=6))
    content_type = draw(st.sampled_from(TYPES))
    charset = draw(st.sampled_from(CHARSETS))
    encoding = draw(st.sampled_from(ENCODINGS))
    if content_type.startswith("multipart") and depth > 0:
        boundary = draw(st.one_of(st.text(min_size=0, max_size=12), st.sampled_from(["b", "--", " ", "x y"])))
        children = draw(st.lists(entity(depth - 1), max_size=4))
        used = boundary if draw(st.integers(0, 4)) else draw(st.text(max_size=5))
        delimiter = _encode(f"\r\n--{used}\r\n", "utf-8")
        body = delimiter.join([b"preamble", *children])
        if draw(st.booleans()):
            body += _encode(f"\r\n--{used}--\r\n", "utf-8")
        param = f'boundary="{boundary}"' if draw(st.booleans()) else f"boundary={boundary}"
        headers.append(_encode(f"Content-Type: {content_type}; {param}", "utf-8"))
    else:
        if content_type.startswith("message/") and depth > 0 and draw(st.booleans()):
            body = draw(entity(depth - 1))
        else:
            encoded_text = text_value.map(lambda text: _encode(text, charset))
            body = draw(st.one_of(st.binary(max_size=200), encoded_text))
        headers.append(_encode(f"Content-Type: {content_type}; charset={charset}", "utf-8"))
        headers.append(_encode(f"Content-Transfer-Encoding: {encoding}", "utf-8"))
    headers = draw(st.permutations(headers))
    newline = draw(st.sampled_from([b"\r\n", b"\n", b"\r"]))
    return newline.join(headers) + newline + newline + body


@st.composite
def truncated(draw: st.DrawFn, source: st.SearchStrategy[bytes]) -> bytes:
    raw = draw(source)
    cut = draw(st.integers(0, len(raw)))
    return raw[:cut] if draw(st.booleans()) else raw


@st.composite
def mutated_fixture(draw: st.DrawFn) -> bytes:
    raw = bytearray(draw(st.sampled_from(FIXTURES)))
    for _ in range(draw(st.integers(1, 12))):
        position = draw(st.integers(0, max(len(raw) - 1, 0)))
        action = draw(st.sampled_from(["flip", "insert", "delete", "cut"]))
        if action == "flip" and raw:
            raw[position] = draw(st.integers(0, 255))
        elif action == "insert":
            raw[position:position] = draw(st.sampled_from(INSERTIONS))
        elif action == "delete":
            del raw[position : position + draw(st.integers(1, 40))]
        else:
            del raw[position:]
    return bytes(raw)


def deep_nesting(levels: int) -> bytes:
    level = b'Content-Type: multipart/mixed; boundary="l%d"\r\n\r\n--l%d\r\n'
    opening = b"".join(level % (n, n) for n in range(levels))
    return b"Subject: deep\r\n" + opening + b"Content-Type: text/plain\r\n\r\ninside\r\n"
