"""Answer with a stored file so that no browser runs it and no filename can bend a header."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from starlette.responses import FileResponse, Response

from chatcore.files import display_filename, normal_content_type

OCTET_STREAM = "application/octet-stream"
PREVIEWABLE = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp", "image/avif"})
_SERVED_AS_IS = frozenset(
    {
        "application/pdf",
        "application/zip",
        "application/gzip",
        "application/x-7z-compressed",
        "application/vnd.rar",
        "application/x-rar-compressed",
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.ms-powerpoint",
        "application/rtf",
        "text/plain",
        "text/csv",
        "text/calendar",
        "message/rfc822",
    }
)
_SERVED_FAMILIES = (
    "image/",
    "audio/",
    "video/",
    "application/vnd.openxmlformats-officedocument.",
    "application/vnd.oasis.opendocument.",
)
_ACTIVE = re.compile(r"svg|html|script|[/+]xml$")  # a browser may run these even under an image/ type
_ASCII_FALLBACK = re.compile(r"[^A-Za-z0-9._()+,=@ -]")
# Nothing a file could hold may run or load anything, even if a browser decided to render it.
FILE_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


def served_type(content_type: str) -> str:
    """The stored type when it is known to be inert, else application/octet-stream."""
    value = normal_content_type(content_type)
    if _ACTIVE.search(value):
        return OCTET_STREAM
    if value in _SERVED_AS_IS or value.startswith(_SERVED_FAMILIES):
        return value
    return OCTET_STREAM


def content_disposition(kind: str, filename: str) -> str:
    """RFC 6266: an ASCII `filename` for old clients and the exact name as RFC 5987 `filename*`."""
    name = display_filename(filename)
    fallback = _ASCII_FALLBACK.sub("_", name).strip() or "file"
    return f"{kind}; filename=\"{fallback}\"; filename*=UTF-8''{quote(name, safe='')}"


def file_response(path: Path, filename: str, content_type: str, *, preview: bool = False) -> Response:
    """The file as a download; with `preview`, a raster image may be shown inline instead."""
    if not path.is_file():
        return Response("This file is no longer stored.", status_code=410, media_type="text/plain")
    media_type = served_type(content_type)
    kind = "inline" if preview and media_type in PREVIEWABLE else "attachment"
    headers = _headers(kind, filename, cache="private, max-age=3600")
    return FileResponse(path, headers=headers, media_type=media_type)


def bytes_response(data: bytes, filename: str, content_type: str) -> Response:
    """Bytes that are not a stored blob (the raw mail from the spool) as a download."""
    headers = _headers("attachment", filename, cache="private, no-store")
    return Response(data, headers=headers, media_type=served_type(content_type))


def _headers(kind: str, filename: str, cache: str) -> dict[str, str]:
    return {
        "Content-Disposition": content_disposition(kind, filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": FILE_POLICY,
        "Cache-Control": cache,
        "Referrer-Policy": "no-referrer",
    }
