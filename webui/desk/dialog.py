"""Pane 2 and 3 on /inbox/ID: the dialog (its feed, tags, assignee, status, composer) and the person.

Opening a dialog marks it read, as before. `?history=1` shows every dialog with this person in one feed.
A failed form shows the page again through `dialog_response` with what the operator typed kept.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import Response

from chatcore import saved_replies, tags
from chatcore.directory import DialogSummary, assignable_operators, dialogs_of_contact
from chatcore.files import size_parts
from chatcore.inbox import MessageView, get_conversation
from chatcore.mail_review import needs_a_look
from chatcore.models import Contact, Conversation, Operator
from chatcore.services import Desk
from webui.deps import WebDeps
from webui.desk.card import card_context
from webui.desk.feed import FeedEntry, feed_entries, initials
from webui.desk.filters import view_from
from webui.desk.guard import deps_of, desk_page, list_params
from webui.desk.listing import list_context
from webui.desk.live import unread_dialogs
from webui.file_views import FileView, operator_views
from webui.pages import render
from webui.uploads import MAX_FILES

FEED_PAGE = 50  # messages shown at once; "Earlier messages" pages back
HISTORY_DIALOGS = 20  # the person's latest dialogs in the history feed


@dataclass(frozen=True)
class DialogState:
    """What a refused form leaves to show again, and where its message goes."""

    error: str | None = None  # a code the template turns into a sentence beside its field
    draft: str = ""
    note: bool = False
    error_file: str = ""
    email_draft: str | None = None
    contact_errors: dict[str, str] = field(default_factory=dict)
    contact_values: dict[str, str] = field(default_factory=dict)
    reply_title: str = ""
    tag_draft: str = ""
    notice: str | None = None
    status_code: int = 200


@desk_page
def dialog_page(request: Request) -> Response:
    return dialog_response(request, DialogState(notice=request.query_params.get("done")))


def dialog_response(request: Request, state: DialogState) -> Response:
    context = _page_context(request, state, read=True, whole_page=True)
    if context is None:
        return render(request, "not_found.html", {"operator": request.state.operator}, 404)
    return render(request, "desk/page.html", context, state.status_code)


@desk_page
def dialog_fragment(request: Request) -> Response:
    """GET /inbox/ID/live: the dialog and its card as the page draws them, for a live page to swap in
    (the composer is in it but the script keeps its own). `read=1` reads it, as opening it does."""
    read = request.query_params.get("read") == "1"
    context = _page_context(request, DialogState(), read=read, whole_page=False)
    if context is None:
        return render(request, "not_found.html", {"operator": request.state.operator}, 404)
    return render(request, "desk/_live_dialog.html", context)


def _page_context(
    request: Request, state: DialogState, *, read: bool, whole_page: bool
) -> dict[str, Any] | None:
    """What the dialog page draws; the list pane's rows only for the whole page. None: no such dialog."""
    deps = deps_of(request)
    operator: Operator = request.state.operator
    conversation_id = int(request.path_params["conversation_id"])
    if read and not _mark_read(deps, conversation_id, operator):
        return None
    view = view_from(list_params(request))
    with deps.read_session() as session:
        conversation = session.get(Conversation, conversation_id)
        contact = session.get(Contact, conversation.contact_id) if conversation else None
        context = (
            _dialog_context(session, operator, conversation_id, contact, request.query_params)
            if contact
            else None
        )
        if context is None or conversation is None:
            return None
        context["seen_id"] = seen_by_visitor(context["entries"], conversation)
        context.update(card_context(request, session, context["contact"]))
        if whole_page:
            context.update(list_context(session, operator, view, None))
            context["unread"] = unread_dialogs(session, operator)
            context["mail_attention"] = needs_a_look(session, operator)
        else:
            context.update({"view": view, "operators": assignable_operators(session)})
        context["saved_replies"] = saved_replies.search(session, operator)
    context.update(
        {
            "operator": operator,
            "pane": "dialog",
            "state": state,
            "max_file_size": size_parts(deps.max_file_size),
            "max_files": MAX_FILES,
        }
    )
    return context


def seen_by_visitor(entries: list[FeedEntry], conversation: Conversation) -> int | None:
    """The newest answer in this dialog the visitor's chat has shown them, if any: "seen by the visitor"."""
    answers = [
        e.id
        for e in entries
        if e.conversation_id == conversation.id
        and e.kind in ("operator", "autoreply")
        and e.id <= conversation.visitor_seen_message_id
    ]
    return max(answers) if answers else None


def _mark_read(deps: WebDeps, conversation_id: int, operator: Operator) -> bool:
    """Opening a dialog reads it: a short writing transaction of its own. False when it does not exist."""
    with Session(deps.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        row = session.get(Operator, operator.id)
        if conversation is None or row is None:
            return False
        deps.react(session, Desk(session, deps.clock.now()).mark_read(conversation, row))
        session.commit()
    return True


def _dialog_context(
    session: Session, operator: Operator, conversation_id: int, contact: Contact, params: QueryParams
) -> dict[str, Any] | None:
    before = params.get("before", "")
    shown = get_conversation(
        session, operator.id or 0, conversation_id, int(before) if before.isdigit() else None, FEED_PAGE
    )
    if shown is None:
        return None
    dialogs = dialogs_of_contact(session, contact.id or 0)
    history = params.get("history") == "1"
    messages = _history(session, operator, dialogs) if history else shown.messages
    return {
        "conversation": shown.item,
        "contact": contact,
        "contact_initials": initials(contact.name or contact.email or "?"),
        "entries": feed_entries(messages, contact),
        "files": _file_views(messages),
        "tags": shown.item.tags,
        "tag_colours": tags.colours(session),
        "assignee": shown.item.assignee,
        "has_older": shown.has_older and not history,
        "oldest_id": shown.messages[0].id if shown.messages else None,
        "history": history,
        "dialogs": dialogs,
        "dialog_subjects": {d.id: d.subject for d in dialogs},
    }


def _history(session: Session, operator: Operator, dialogs: list[DialogSummary]) -> list[MessageView]:
    """The newest messages of the person's latest dialogs, one dialog after another, oldest first."""
    messages: list[MessageView] = []
    for dialog in reversed(dialogs[:HISTORY_DIALOGS]):
        shown = get_conversation(session, operator.id or 0, dialog.id, None, FEED_PAGE)
        if shown is not None:
            messages.extend(shown.messages)
    return messages


def _file_views(messages: list[MessageView]) -> dict[int, list[FileView]]:
    views: dict[int, list[FileView]] = {}
    for message in messages:
        views.update(operator_views({message.id: message.attachments}, message.conversation_id))
    return views
