"""The JSON shapes of the API's rows. Times are ISO 8601 in UTC."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chatcore.inbox import MessageView
from chatcore.models import Attachment, Contact, ContactEvent, Message, Operator, SavedReply
from webui.file_links import operator_file_path


def when(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z") if moment is not None else None


def operator_ref(operator: Operator | None) -> dict[str, Any] | None:
    if operator is None:
        return None
    return {
        "id": operator.id,
        "name": operator.name or operator.email,
        "avatar_sha256": operator.avatar_sha256,
    }


def operator_json(operator: Operator) -> dict[str, Any]:
    return {
        "id": operator.id,
        "email": operator.email,
        "name": operator.name,
        "role": operator.role,
        "active": operator.active,
        "avatar_sha256": operator.avatar_sha256,
        "avatar_url": f"/avatars/{operator.avatar_sha256}" if operator.avatar_sha256 else None,
    }


def file_json(file: Attachment, conversation_id: int) -> dict[str, Any]:
    return {
        "id": file.id,
        "name": file.filename,
        "content_type": file.content_type,
        "size": file.size,
        "url": operator_file_path(conversation_id, file.id or 0),
    }


def message_json(
    message: Message | MessageView, author: dict[str, Any] | None, files: Sequence[Attachment]
) -> dict[str, Any]:
    """A message of the feed (a stored row, or the read model's view of one) with its files."""
    return {
        "id": message.id,
        "conversation_id": message.conversation_id,
        "author_kind": message.author_kind,
        "operator": author,
        "text": message.text,
        "html": message.html,
        "is_note": message.is_note,
        "source": message.source,
        "from_address": message.from_address,
        "from_other_address": message.from_other_address,
        "delivery": message.delivery,
        "verdicts": message.verdicts,
        "created_at": when(message.created_at),
        "attachments": [file_json(file, message.conversation_id) for file in files],
    }


def view_json(view: MessageView) -> dict[str, Any]:
    author = view.operator
    ref = {"id": author.id, "name": author.name, "avatar_sha256": author.avatar_sha256} if author else None
    return message_json(view, ref, view.attachments)


def saved_reply_json(reply: SavedReply, owner: Operator | None, editable: bool) -> dict[str, Any]:
    return {
        "id": reply.id,
        "title": reply.title,
        "text": reply.text,
        "shared": reply.shared,
        "owner": operator_ref(owner),
        "editable": editable,
        "created_at": when(reply.created_at),
        "updated_at": when(reply.updated_at),
    }


def contact_json(contact: Contact) -> dict[str, Any]:
    return {
        "id": contact.id,
        "name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
        "notes": contact.notes,
        "properties": contact.properties,
        "language": contact.language,
        "first_seen": when(contact.first_seen),
        "last_seen": when(contact.last_seen),
        "external_id": contact.external_id,
        "email_verified": contact.email_verified_at is not None,
        "visits": contact.visits,
        "first_source": contact.first_source,
        "undeliverable": (
            {"at": when(contact.undeliverable_at), "reason": contact.undeliverable_reason}
            if contact.undeliverable_at is not None
            else None
        ),
    }


def contact_event_json(event: ContactEvent) -> dict[str, Any]:
    return {
        "id": event.id,
        "kind": event.kind,
        "url": event.url,
        "title": event.title,
        "properties": event.properties,
        "created_at": when(event.created_at),
    }
