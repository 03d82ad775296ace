"""Saved replies from the composer: "save as reply" keeps the text being written and names it."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from chatcore.saved_replies import SavedReplyError, add_saved_reply
from webui.desk.dialog import DialogState, dialog_response
from webui.desk.guard import deps_of


def save_from_composer(request: Request, form: FormData, text: str, is_note: bool) -> Response:
    title = str(form.get("reply_title", ""))
    shared = form.get("shared") == "1"
    with Session(deps_of(request).engine) as session:
        try:
            add_saved_reply(session, request.state.operator.id or 0, title, text, shared)
        except SavedReplyError as problem:
            state = DialogState(
                f"reply-{problem.field}-{problem.code}", text, is_note, reply_title=title, status_code=422
            )
            return dialog_response(request, state)
        session.commit()
    return dialog_response(request, DialogState(draft=text, note=is_note, notice="reply-saved"))
