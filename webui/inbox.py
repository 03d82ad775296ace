"""The operator's web inbox: log in, the dialog list, one dialog, reply. Every page checks the session."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import Any

from sqlmodel import Session, col, func, select
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from chatcore.contacts import checked_address, clear_undeliverable
from chatcore.errors import DomainError
from chatcore.events import ContactChanged
from chatcore.files import attachments_by_message, size_parts
from chatcore.identity import verify_email
from chatcore.models import Contact, Conversation, ConversationStatus, Message, Operator, ReadMark, Source
from chatcore.services import Desk, NewMessage
from webui.auth import csrf_ok, signed_in_operator
from webui.deps import WebDeps
from webui.file_views import operator_views
from webui.pages import render
from webui.uploads import MAX_FILES, chosen_files, store_uploads, upload_problem

Handler = Callable[[Request], Awaitable[Response]]


def routes() -> list[Route]:
    return [
        Route("/", lambda request: _redirect("/inbox")),
        Route("/inbox", inbox_page, methods=["GET"]),
        Route("/inbox/{conversation_id:int}", dialog_page, methods=["GET"]),
        Route("/inbox/{conversation_id:int}/reply", reply_submit, methods=["POST"]),
        Route("/inbox/{conversation_id:int}/contact-email", contact_email_submit, methods=["POST"]),
    ]


def _redirect(url: str) -> Response:
    return RedirectResponse(url, status_code=303)


def operator_required(handler: Handler) -> Handler:
    @wraps(handler)
    async def checked(request: Request) -> Response:
        operator = signed_in_operator(request)
        if operator is None:
            return _redirect(f"/login?next={request.url.path}")
        request.state.operator = operator
        return await handler(request)

    return checked


@operator_required
async def inbox_page(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    operator: Operator = request.state.operator
    status = request.query_params.get("status", ConversationStatus.OPEN)
    with Session(deps.engine) as session:
        rows = session.exec(
            select(Conversation, Contact)
            .join(Contact, col(Contact.id) == col(Conversation.contact_id))
            .where(Conversation.status == status)
            .order_by(col(Conversation.updated_at).desc())
            .limit(200)
        ).all()
        unread = _unread_counts(session, operator, [c.id or 0 for c, _ in rows])
        items = [
            {"conversation": c, "contact": contact, "unread": unread.get(c.id or 0, 0)} for c, contact in rows
        ]
    return render(request, "inbox.html", {"items": items, "status": status, "operator": operator})


def _unread_counts(session: Session, operator: Operator, ids: list[int]) -> dict[int, int]:
    if not ids:
        return {}
    read_up_to = func.coalesce(ReadMark.last_read_message_id, 0)
    rows = session.exec(
        select(Message.conversation_id, func.count())
        .outerjoin(
            ReadMark,
            (col(ReadMark.conversation_id) == col(Message.conversation_id))
            & (col(ReadMark.operator_id) == operator.id),
        )
        .where(col(Message.conversation_id).in_(ids), col(Message.id) > read_up_to)
        .group_by(col(Message.conversation_id))
    ).all()
    return {conversation_id: int(count) for conversation_id, count in rows}


@operator_required
async def dialog_page(request: Request) -> Response:
    return _dialog(request, error=None, draft="")


def _dialog(
    request: Request,
    error: str | None,
    draft: str,
    status_code: int = 200,
    error_file: str = "",
    email_draft: str | None = None,
) -> Response:
    deps: WebDeps = request.app.state.deps
    operator: Operator = request.state.operator
    conversation_id = int(request.path_params["conversation_id"])
    with Session(deps.engine, expire_on_commit=False) as session:
        conversation = session.get(Conversation, conversation_id)
        if conversation is None:
            return render(request, "not_found.html", {}, 404)
        desk = Desk(session, deps.clock.now())
        operator_row = session.get(Operator, operator.id)
        assert operator_row is not None
        deps.react(session, desk.mark_read(conversation, operator_row))
        session.commit()
        contact = session.get(Contact, conversation.contact_id)
        messages = list(
            session.exec(
                select(Message).where(Message.conversation_id == conversation_id).order_by(col(Message.id))
            )
        )
        operators = {o.id: o for o in session.exec(select(Operator))}
        tags = desk.tags_of(conversation)
        files = attachments_by_message(session, [m.id or 0 for m in messages])
    context: dict[str, Any] = {
        "conversation": conversation,
        "contact": contact,
        "messages": messages,
        "operators": operators,
        "tags": tags,
        "error": error,
        "draft": draft,
        "email_draft": email_draft,
        "operator": operator,
        "files": operator_views(files, conversation_id),
        "error_file": error_file,
        "max_file_size": size_parts(deps.max_file_size),
        "max_files": MAX_FILES,
    }
    return render(request, "dialog.html", context, status_code)


@operator_required
async def reply_submit(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    form = await request.form()
    text = str(form.get("text", "")).strip()
    is_note = form.get("note") == "1"
    if not csrf_ok(request, form.get("csrf")):
        return _dialog(request, error="csrf", draft=text, status_code=400)
    uploads = chosen_files(form)
    problem = upload_problem(uploads, deps.max_file_size)
    if problem is not None:
        return _dialog(request, error=problem.code, draft=text, status_code=413, error_file=problem.filename)
    if not text and not uploads:
        return _dialog(request, error="empty", draft=text, status_code=422)
    files = await store_uploads(uploads, deps.blobs)
    conversation_id = int(request.path_params["conversation_id"])
    with Session(deps.engine) as session:
        desk = Desk(session, deps.clock.now())
        operator = session.get(Operator, request.state.operator.id)
        assert operator is not None
        try:
            conversation = desk.get_conversation(conversation_id)
            post = desk.post_note if is_note else desk.post_operator_message
            events = post(conversation, operator, NewMessage(text=text, source=Source.WEB, attachments=files))
        except DomainError:
            session.rollback()
            return _dialog(request, error="refused", draft=text, status_code=422)
        deps.react(session, events)
        session.commit()
    return _redirect(f"/inbox/{conversation_id}")


@operator_required
async def contact_email_submit(request: Request) -> Response:
    """The operator corrects (or confirms) the visitor's address: it is no longer marked as bouncing."""
    deps: WebDeps = request.app.state.deps
    form = await request.form()
    typed = str(form.get("email", ""))
    if not csrf_ok(request, form.get("csrf")):
        return _dialog(request, error="email-csrf", draft="", status_code=400, email_draft=typed)
    try:
        address = checked_address(typed)
    except DomainError:
        return _dialog(request, error="email", draft="", status_code=422, email_draft=typed)
    conversation_id = int(request.path_params["conversation_id"])
    with Session(deps.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        contact = session.get(Contact, conversation.contact_id) if conversation else None
        if contact is None:
            return render(request, "not_found.html", {}, 404)
        contact = verify_email(session, contact, address, deps.clock.now())  # the operator vouches for it
        clear_undeliverable(contact)
        session.add(contact)
        deps.react(session, [ContactChanged(contact.id or 0, conversation_id)])
        session.commit()
    return _redirect(f"/inbox/{conversation_id}")
