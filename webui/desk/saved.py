"""Saved replies from the composer: "save as reply" keeps the text being written and names it."""

from __future__ import annotations

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import Response

from chatcore.errors import DomainError, FieldError
from chatcore.models import Operator
from chatcore.saved_replies import ReplyDraft
from chatcore.services import Desk
from webui.desk.dialog import DialogState, dialog_response
from webui.desk.guard import deps_of


def save_from_composer(request: Request, form: FormData, text: str, is_note: bool) -> Response:
    title = str(form.get("reply_title", ""))
    draft = ReplyDraft(title=title, text=text, shared=form.get("shared") == "1")
    problem = _save(request, draft)
    if problem is not None:
        state = DialogState(problem, text, is_note, reply_title=title, status_code=422)
    else:
        state = DialogState(draft=text, note=is_note, notice="reply-saved")
    return dialog_response(request, state)  # after the writing session ended: SQLite has one writer


def _save(request: Request, draft: ReplyDraft) -> str | None:
    """None when saved, else the code of the problem to show beside the form."""
    deps = deps_of(request)
    with Session(deps.engine) as session:
        operator = session.get(Operator, request.state.operator.id)
        assert operator is not None
        try:
            _reply, events = Desk(session, deps.clock.now()).add_saved_reply(operator, draft)
        except FieldError as problem:
            return f"reply-{problem.field}-{'too_long' if _given(problem.field, draft) else 'empty'}"
        except DomainError:
            return "refused"
        deps.react(session, events)
        session.commit()
    return None


def _given(field: str, draft: ReplyDraft) -> bool:
    return bool((draft.title if field == "title" else draft.text).strip())
