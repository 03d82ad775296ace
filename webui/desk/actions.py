"""What an operator does to a dialog from its pane: reply or note (with files), close, reopen, tag,
untag, assign. Each is a form post that ends in a redirect back to the dialog (the list's filters kept),
or shows the dialog again with the message beside the field and what was typed kept."""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from chatcore.errors import DomainError
from chatcore.events import Event
from chatcore.models import Conversation, Operator, Source
from chatcore.services import Desk, NewMessage
from webui.desk.dialog import DialogState, dialog_response
from webui.desk.filters import view_from
from webui.desk.guard import csrf_passed, deps_of, desk_action, list_params, redirect
from webui.desk.saved import save_from_composer
from webui.uploads import chosen_files, store_files, upload_problem

Change = Callable[[Desk, Conversation, Operator], list[Event]]


def back_to_dialog(request: Request, form: FormData, done: str = "") -> Response:
    """The dialog again, with the list filters it was opened with (re-spelled, never copied)."""
    query = view_from(list_params(request)).query()
    if done:
        query += ("&" if query else "?") + f"done={done}"
    return redirect(f"/inbox/{int(request.path_params['conversation_id'])}{query}")


def expired(request: Request, form: FormData) -> Response:
    draft = str(form.get("text", ""))
    return dialog_response(request, DialogState(error="csrf", draft=draft, status_code=400))


@desk_action
def reply_submit(request: Request, form: FormData) -> Response:
    if not csrf_passed(request, form):
        return expired(request, form)
    text = str(form.get("text", ""))
    is_note = form.get("note") == "1"
    if form.get("action") == "save-reply":
        return save_from_composer(request, form, text, is_note)
    deps = deps_of(request)
    uploads = chosen_files(form)
    problem = upload_problem(uploads, deps.max_file_size)
    if problem is not None:
        state = DialogState(problem.code, text, is_note, problem.filename, status_code=413)
        return dialog_response(request, state)
    if not text.strip() and not uploads:
        return dialog_response(request, DialogState("empty", text, is_note, status_code=422))
    files = store_files(uploads, deps.blobs)
    message = NewMessage(text=text, source=Source.WEB, attachments=files)

    def post(desk: Desk, conversation: Conversation, operator: Operator) -> list[Event]:
        if is_note:
            return desk.post_note(conversation, operator, message)
        return desk.post_operator_message(conversation, operator, message)

    if not _apply(request, post):
        return dialog_response(request, DialogState("refused", text, is_note, status_code=422))
    return back_to_dialog(request, form)


def _apply(request: Request, change: Change) -> bool:
    """Runs one change and its effects in one transaction; False when the domain refuses it."""
    deps = deps_of(request)
    with Session(deps.engine) as session:
        desk = Desk(session, deps.clock.now())
        operator = session.get(Operator, request.state.operator.id)
        assert operator is not None
        try:
            conversation = desk.get_conversation(int(request.path_params["conversation_id"]))
            events = change(desk, conversation, operator)
        except DomainError:
            session.rollback()
            return False
        deps.react(session, events)
        session.commit()
    return True


def _simple(change: Change, done: str) -> Callable[[Request, FormData], Response]:
    def handler(request: Request, form: FormData) -> Response:
        if not csrf_passed(request, form):
            return expired(request, form)
        if not _apply(request, change):
            return dialog_response(request, DialogState("refused-" + done, status_code=422))
        return back_to_dialog(request, form, done)

    return handler


close_submit = desk_action(_simple(lambda desk, c, o: desk.close(c, o), "closed"))
reopen_submit = desk_action(_simple(lambda desk, c, o: desk.reopen(c, o), "reopened"))


@desk_action
def tag_submit(request: Request, form: FormData) -> Response:
    if not csrf_passed(request, form):
        return expired(request, form)
    names = [n for n in str(form.get("tag", "")).replace(",", " ").split() if n]
    if not names:
        return dialog_response(request, DialogState("tag", status_code=422))
    if not _apply(request, lambda desk, c, o: [e for n in names for e in desk.tag(c, n)]):
        return dialog_response(request, DialogState("tag", tag_draft=" ".join(names), status_code=422))
    return back_to_dialog(request, form)


@desk_action
def untag_submit(request: Request, form: FormData) -> Response:
    if not csrf_passed(request, form):
        return expired(request, form)
    name = str(form.get("tag", ""))
    if not _apply(request, lambda desk, c, o: desk.untag(c, name)):
        return dialog_response(request, DialogState("tag", status_code=422))
    return back_to_dialog(request, form)


@desk_action
def assign_submit(request: Request, form: FormData) -> Response:
    if not csrf_passed(request, form):
        return expired(request, form)
    chosen = "me" if form.get("assign_me") == "1" else str(form.get("assignee", ""))

    def assign(desk: Desk, conversation: Conversation, me: Operator) -> list[Event]:
        if chosen == "me":
            return desk.assign(conversation, me)
        if chosen in ("", "none"):
            return desk.assign(conversation, None)
        other = desk.session.get(Operator, int(chosen)) if chosen.isdigit() else None
        if other is None:
            raise DomainError(f"no operator {chosen}")
        return desk.assign(conversation, other)

    if not _apply(request, assign):
        return dialog_response(request, DialogState("assign", status_code=422))
    return back_to_dialog(request, form, "assigned")
