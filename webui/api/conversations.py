"""/api/v1/conversations: the list, one conversation, and what an operator does to one."""

from __future__ import annotations

from typing import Any, Literal

from starlette.responses import JSONResponse, Response

from chatcore import inbox
from chatcore.errors import DomainError, FieldError
from chatcore.events import MessagePosted
from chatcore.files import NewAttachment, attachments_by_message
from chatcore.models import Conversation, Message, Operator, Source
from chatcore.services import Desk, NewMessage
from webui.api.auth import bearer_token
from webui.api.endpoint import ApiCall, bounded_id, media_type
from webui.api.errors import ApiError
from webui.api.schemas import AssigneeBody, NewMessageBody, TagBody
from webui.api.views import message_json, operator_ref, view_json
from webui.uploads import MAX_FILES, chosen_files, store_files, upload_problem

FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
FORM_SLACK = 256 * 1024  # the text field and the part headers around the files
MAX_SEARCH = 200
STATUSES: tuple[inbox.StatusFilter, ...] = ("open", "closed", "all")


def _desk(call: ApiCall) -> Desk:
    return Desk(call.session, call.deps.clock.now())


def _conversation(call: ApiCall) -> Conversation:
    conversation_id = call.path_id("conversation_id", "conversation")
    conversation = call.session.get(Conversation, conversation_id)
    if conversation is None:
        raise ApiError(404, f"conversation {conversation_id} does not exist")
    return conversation


def conversation_state(call: ApiCall, conversation: Conversation) -> dict[str, Any]:
    """The conversation after a change, as the list shows it."""
    view = inbox.get_conversation(call.session, _operator_id(call), conversation.id or 0, limit=1)
    assert view is not None, "the conversation was there a moment ago"
    return inbox.item_to_json(view.item)


def _operator_id(call: ApiCall) -> int:
    assert call.operator.id is not None
    return call.operator.id


def list_page(call: ApiCall) -> dict[str, Any]:
    """The dialog list: every filter, keyset pages, and the tab counts for the same filters."""
    filters = inbox.InboxFilter(
        status=_status(call),
        assignee=_assignee(call),
        tags=tuple(call.request.query_params.getlist("tag")),
        unread=call.query_flag("unread"),
        awaiting=call.query_flag("awaiting"),
        contact_id=call.query_id("contact"),
        q=_search_text(call),
    )
    limit = call.query_int("limit", 50, 1, 100)
    cursor = call.request.query_params.get("cursor") or None
    try:
        page = inbox.list_conversations(call.session, _operator_id(call), filters, limit, cursor)
    except DomainError as error:
        raise ApiError(422, str(error), "cursor") from None
    counts = page.counts
    return {
        "items": [inbox.item_to_json(item) for item in page.items],
        "next_cursor": page.next_cursor,
        "counts": {"mine": counts.mine, "unassigned": counts.unassigned, "all": counts.all},
    }


def _status(call: ApiCall) -> inbox.StatusFilter:
    status = call.request.query_params.get("status", "open") or "open"
    for allowed in STATUSES:
        if status == allowed:
            return allowed
    raise ApiError(422, "status is open, closed or all", "status")


def _assignee(call: ApiCall) -> Literal["me", "none"] | int | None:
    text = call.request.query_params.get("assignee", "")
    if text in ("", "any"):
        return None
    if text == "me":
        return "me"
    if text == "none":
        return "none"
    value = bounded_id(text)
    if value is None:
        raise ApiError(422, "assignee is me, none or an operator id", "assignee")
    return value


def _search_text(call: ApiCall) -> str | None:
    text = call.request.query_params.get("q", "").strip()
    if len(text) > MAX_SEARCH:
        raise ApiError(422, f"q has at most {MAX_SEARCH} characters", "q")
    return text or None


def get_one(call: ApiCall) -> dict[str, Any]:
    """The list item plus its messages, oldest first; before=MESSAGE_ID pages back."""
    conversation_id = call.path_id("conversation_id", "conversation")
    before = call.query_id("before")
    limit = call.query_int("limit", 50, 1, 100)
    view = inbox.get_conversation(call.session, _operator_id(call), conversation_id, before, limit)
    if view is None:
        raise ApiError(404, f"conversation {conversation_id} does not exist")
    return {
        **inbox.item_to_json(view.item),
        "messages": [view_json(message) for message in view.messages],
        "has_older": view.has_older,
    }


def post_message(call: ApiCall) -> Response:
    """Reply to the contact, or write an internal note ("note": true); JSON, or multipart with files."""
    # The body first: files are stored before the transaction takes the write lock.
    if media_type(call.request) in FORM_TYPES:
        text, is_note, files = _message_from_form(call)
    else:
        body = call.body(NewMessageBody)
        text, is_note, files = body.text, body.note, ()
    conversation = _conversation(call)
    if not text.strip() and not files:
        raise ApiError(422, "a message needs some text or a file", "text")
    source = Source.API if bearer_token(call.request) is not None else Source.WEB
    desk = _desk(call)
    post = desk.post_note if is_note else desk.post_operator_message
    events = post(conversation, call.operator, NewMessage(text=text, source=source, attachments=files))
    call.commit(events)
    message_id = max(event.message_id for event in events if isinstance(event, MessagePosted))
    message = call.session.get(Message, message_id)
    assert message is not None
    stored = attachments_by_message(call.session, [message_id]).get(message_id, [])
    return JSONResponse(message_json(message, operator_ref(call.operator), stored), status_code=201)


def _message_from_form(call: ApiCall) -> tuple[str, bool, tuple[NewAttachment, ...]]:
    limit = call.deps.max_file_size * MAX_FILES + FORM_SLACK
    form = call.form(max_files=MAX_FILES + 1, max_size=limit)
    text = form.get("text", "")
    if not isinstance(text, str):
        raise ApiError(422, "text must be a plain form field", "text")
    uploads = chosen_files(form)
    problem = upload_problem(uploads, call.deps.max_file_size)
    if problem is not None and problem.code == "too_large":
        raise ApiError(413, f"{problem.filename} is larger than {call.deps.max_file_size} bytes", "files")
    if problem is not None:
        raise ApiError(422, f"at most {MAX_FILES} files a message", "files")
    return text, form.get("note") in ("1", "true"), store_files(uploads, call.deps.blobs)


def close(call: ApiCall) -> dict[str, Any]:
    conversation = _conversation(call)
    call.commit(_desk(call).close(conversation, call.operator))
    return conversation_state(call, conversation)


def reopen(call: ApiCall) -> dict[str, Any]:
    conversation = _conversation(call)
    call.commit(_desk(call).reopen(conversation, call.operator))
    return conversation_state(call, conversation)


def mark_read(call: ApiCall) -> dict[str, Any]:
    conversation = _conversation(call)
    call.commit(_desk(call).mark_read(conversation, call.operator))
    return conversation_state(call, conversation)


def set_assignee(call: ApiCall) -> dict[str, Any]:
    conversation = _conversation(call)
    body = call.body(AssigneeBody)
    assignee = None
    if body.operator_id is not None:
        assignee = call.session.get(Operator, body.operator_id)
        if assignee is None or not assignee.active:
            raise FieldError("operator_id", f"there is no active operator {body.operator_id}")
    call.commit(_desk(call).assign(conversation, assignee))
    return conversation_state(call, conversation)


def add_tag(call: ApiCall) -> dict[str, Any]:
    conversation = _conversation(call)
    body = call.body(TagBody)
    try:
        events = _desk(call).tag(conversation, body.name)
    except DomainError as error:
        raise FieldError("name", str(error)) from None
    call.commit(events)
    return conversation_state(call, conversation)


def remove_tag(call: ApiCall) -> dict[str, Any]:
    conversation = _conversation(call)
    name = str(call.request.path_params["name"])
    try:
        events = _desk(call).untag(conversation, name)
    except DomainError as error:
        raise FieldError("name", str(error)) from None
    call.commit(events)
    return conversation_state(call, conversation)
