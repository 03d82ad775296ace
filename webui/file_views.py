"""Stored files as the pages and the widget show them: name, size, type and where to fetch them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from chatcore.files import size_parts
from chatcore.models import Attachment
from webui.downloads import PREVIEWABLE
from webui.file_links import FileLinks, operator_file_path


@dataclass(frozen=True)
class FileView:
    id: int
    name: str
    content_type: str
    size_value: str
    size_unit: str
    url: str
    preview_url: str | None
    inline: bool


def operator_views(
    files: Mapping[int, Sequence[Attachment]], conversation_id: int
) -> dict[int, list[FileView]]:
    """Per message id, its files with the session-checked URLs of the operator's inbox."""
    return {
        message_id: [_operator_view(file, conversation_id) for file in attachments]
        for message_id, attachments in files.items()
    }


def _operator_view(file: Attachment, conversation_id: int) -> FileView:
    url = operator_file_path(conversation_id, file.id or 0)
    value, unit = size_parts(file.size)
    return FileView(
        id=file.id or 0,
        name=file.filename,
        content_type=file.content_type,
        size_value=value,
        size_unit=unit,
        url=url,
        preview_url=f"{url}?preview=1" if file.content_type in PREVIEWABLE else None,
        inline=file.inline,
    )


def visitor_json(file: Attachment, conversation_id: int, links: FileLinks) -> dict[str, Any]:
    """A file as the widget gets it: the URL is signed, so the visitor needs no login."""
    return {
        "id": file.id,
        "name": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "url": links.visitor_path(file.id or 0, conversation_id),
        "image": file.content_type in PREVIEWABLE,
    }
