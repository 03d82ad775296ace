"""Operator avatars: which images are accepted, and the public route that serves them by hash."""

from __future__ import annotations

import re

from sqlmodel import Session, select
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from chatcore.models import Contact, Operator
from webui.deps import WebDeps

_DIGEST = re.compile(r"^[0-9a-f]{64}$")


def routes() -> list[Route]:
    return [Route("/avatars/{digest}", serve_avatar, methods=["GET"])]


def image_type(data: bytes) -> str | None:
    """The content type the bytes really are, of the four accepted; never what the upload claimed."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def serve_avatar(request: Request) -> Response:
    """Only a hash some operator or contact uses as avatar is served: the blob store also holds mail
    attachments.
    A plain `def`: the lookup and the file read run in the threadpool."""
    deps: WebDeps = request.app.state.deps
    digest = str(request.path_params["digest"])
    if not _DIGEST.match(digest):
        return _not_found()
    with deps.read_session() as session:
        if not _is_avatar(session, digest):
            return _not_found()
    try:
        data = deps.blobs.read(digest)
    except OSError:
        return _not_found()
    content_type = image_type(data)
    if content_type is None:
        return _not_found()
    return Response(
        data,
        media_type=content_type,
        headers={
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
            "Content-Disposition": "inline",
            "Cache-Control": "public, max-age=31536000, immutable",
        },
    )


def _is_avatar(session: Session, digest: str) -> bool:
    for model in (Operator, Contact):
        if session.exec(select(model.id).where(model.avatar_sha256 == digest).limit(1)).first() is not None:
            return True
    return False


def _not_found() -> Response:
    return PlainTextResponse("not found", status_code=404, headers={"X-Content-Type-Options": "nosniff"})
