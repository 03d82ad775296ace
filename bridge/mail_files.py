"""The files of the messages an email tells about: listed with links, and small ones attached.

A visitor's links are signed (webui.file_links) and absolute, so they open from any mail client without a
login. An operator's notification names the files and links the dialog, where the session is checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlmodel import Session

from bridge.blobs import BlobStore
from bridge.context import Context
from chatcore.files import attachments_by_message, size_parts
from chatcore.models import Attachment, Message
from outbound.compose import OutgoingAttachment
from webui.file_links import FileLinks

FileViews = dict[int, list[dict[str, Any]]]


def visitor_file_views(session: Session, context: Context, messages: Sequence[Message]) -> FileViews:
    links = FileLinks(context.settings.site.secret_keys)
    base = context.settings.site.base_url.rstrip("/")
    return {
        message_id: [_view(file, base + links.visitor_path(file.id or 0, conversation_id)) for file in files]
        for message_id, files, conversation_id in _files(session, messages)
    }


def operator_file_views(session: Session, messages: Sequence[Message], dialog_url: str) -> FileViews:
    return {
        message_id: [_view(file, f"{dialog_url}#f{file.id}") for file in files]
        for message_id, files, _ in _files(session, messages)
    }


def small_files(context: Context, session: Session, messages: Sequence[Message]) -> list[OutgoingAttachment]:
    """The files to attach as well, in order, while their total stays within uploads.email_attach_max."""
    room = context.settings.uploads.email_attach_max
    blobs = BlobStore(context.settings.path(context.settings.uploads.dir))
    chosen: list[OutgoingAttachment] = []
    for _, files, _ in _files(session, messages):
        for file in files:
            path = blobs.path_of(file.sha256)
            if file.size > room or not path.is_file():
                continue
            room -= file.size
            chosen.append(OutgoingAttachment(file.filename, file.content_type, path.read_bytes()))
    return chosen


def _files(session: Session, messages: Sequence[Message]) -> list[tuple[int, list[Attachment], int]]:
    found = attachments_by_message(session, [m.id or 0 for m in messages])
    return [(m.id or 0, found[m.id or 0], m.conversation_id) for m in messages if found.get(m.id or 0)]


def _view(file: Attachment, url: str) -> dict[str, Any]:
    value, unit = size_parts(file.size)
    return {"name": file.filename, "size_value": value, "size_unit": unit, "url": url}
