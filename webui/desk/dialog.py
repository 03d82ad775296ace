"""Pane 2 and 3 on /inbox/ID: the dialog (its feed, tags, assignee, status, composer) and the person.

Opening a dialog marks it read, as before. `?history=1` shows every dialog with this person in one feed.
A failed form shows the page again through `dialog_response` with what the operator typed kept.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import Response

from chatcore.directory import contact_history, conversation_messages, dialogs_of_contact, operators_by_id
from chatcore.files import attachments_by_message, size_parts
from chatcore.models import Contact, Conversation, Operator
from chatcore.saved_replies import saved_replies_for
from chatcore.services import Desk
from webui.desk.feed import feed_entries, initials
from webui.desk.filters import view_from
from webui.desk.guard import deps_of, desk_page, list_params
from webui.desk.listing import list_context
from webui.file_views import FileView, operator_views
from webui.pages import render
from webui.uploads import MAX_FILES


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
    deps = deps_of(request)
    operator: Operator = request.state.operator
    conversation_id = int(request.path_params["conversation_id"])
    history = request.query_params.get("history") == "1"
    with Session(deps.engine, expire_on_commit=False) as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return render(request, "not_found.html", {"operator": operator}, 404)
        _mark_read(session, deps.clock.now(), conversation, operator)
        contact = session.get(Contact, conversation.contact_id)
        assert contact is not None, "a conversation always has its contact"
        context = _dialog_context(session, conversation, contact, history)
        context.update(list_context(session, operator, view_from(list_params(request)), None))
        context["saved_replies"] = [asdict(r) for r in saved_replies_for(session, operator.id or 0)]
    context.update(
        {
            "operator": operator,
            "pane": "dialog",
            "state": state,
            "max_file_size": size_parts(deps.max_file_size),
            "max_file_bytes": deps.max_file_size,
            "max_files": MAX_FILES,
        }
    )
    return render(request, "desk/page.html", context, state.status_code)


def _mark_read(session: Session, now: Any, conversation: Conversation, operator: Operator) -> None:
    row = session.get(Operator, operator.id)
    assert row is not None
    Desk(session, now).mark_read(conversation, row)
    session.commit()


def _dialog_context(
    session: Session, conversation: Conversation, contact: Contact, history: bool
) -> dict[str, Any]:
    cid = conversation.id or 0
    messages = contact_history(session, contact.id or 0) if history else conversation_messages(session, cid)
    people = operators_by_id(session)
    stored = attachments_by_message(session, [m.id or 0 for m in messages])
    files: dict[int, list[FileView]] = {}
    for message in messages:
        files.update(
            operator_views({message.id or 0: stored.get(message.id or 0, [])}, message.conversation_id)
        )
    dialogs = dialogs_of_contact(session, contact.id or 0)
    return {
        "conversation": conversation,
        "contact": contact,
        "contact_initials": initials(contact.name or contact.email or "?"),
        "entries": feed_entries(messages, contact, people),
        "files": files,
        "tags": Desk(session, conversation.updated_at).tags_of(conversation),
        "assignee": people.get(conversation.assignee_id) if conversation.assignee_id else None,
        "history": history,
        "dialogs": dialogs,
        "dialog_subjects": {d.id: d.subject for d in dialogs},
    }
