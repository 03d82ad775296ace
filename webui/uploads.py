"""Files an operator attaches to a reply: checked against the limit, then stored by content hash."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.datastructures import FormData, UploadFile

from chatcore.files import NewAttachment, display_filename, normal_content_type
from webui.deps import BlobStorage

FIELD = "files"
MAX_FILES = 10


@dataclass(frozen=True)
class UploadProblem:
    code: str  # "too_large" | "too_many"
    filename: str = ""


def chosen_files(form: FormData) -> list[UploadFile]:
    """The files in the form's file field; a browser sends one without a name when none was chosen."""
    return [item for item in form.getlist(FIELD) if isinstance(item, UploadFile) and item.filename]


def upload_problem(files: list[UploadFile], max_size: int) -> UploadProblem | None:
    if len(files) > MAX_FILES:
        return UploadProblem("too_many")
    for upload in files:
        if _size_of(upload) > max_size:
            return UploadProblem("too_large", display_filename(upload.filename or ""))
    return None


def _size_of(upload: UploadFile) -> int:
    """Measured on the spooled file itself, not taken from what the parser counted."""
    position = upload.file.tell()
    size = upload.file.seek(0, 2)
    upload.file.seek(position)
    return size


async def store_uploads(files: list[UploadFile], blobs: BlobStorage) -> tuple[NewAttachment, ...]:
    stored: list[NewAttachment] = []
    for upload in files:
        data = await upload.read()
        stored.append(
            NewAttachment(
                sha256=blobs.put(data),
                filename=display_filename(upload.filename or ""),
                content_type=normal_content_type(upload.content_type),
                size=len(data),
            )
        )
    return tuple(stored)


def store_files(files: list[UploadFile], blobs: BlobStorage) -> tuple[NewAttachment, ...]:
    """store_uploads for a handler running in the threadpool: reads the spooled files directly."""
    stored: list[NewAttachment] = []
    for upload in files:
        upload.file.seek(0)
        data = upload.file.read()
        stored.append(
            NewAttachment(
                sha256=blobs.put(data),
                filename=display_filename(upload.filename or ""),
                content_type=normal_content_type(upload.content_type),
                size=len(data),
            )
        )
    return tuple(stored)
