"""The visitor side: the /demo chat page and the widget's JSON API."""

from __future__ import annotations

import re
import secrets
from typing import Any

from sqlmodel import Session, col, select
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatcore.contacts import change_email
from chatcore.errors import DomainError
from chatcore.events import Event
from chatcore.files import attachments_by_message
from chatcore.models import AuthorKind, Contact, Conversation, ConversationStatus, Message, Operator, Source
from chatcore.services import Desk, NewMessage
from webui.deps import WebDeps
from webui.file_views import visitor_json
from webui.limits import parse_json, row_id
from webui.pages import render

VISITOR_COOKIE = "rd_visitor"
MAX_TEXT = 10_000
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")


def routes() -> list[Route]:
    return [
        Route("/demo", demo_page),
        Route("/api/widget/messages", post_message, methods=["POST"]),
        Route("/api/widget/messages", list_messages, methods=["GET"]),
    ]


async def demo_page(request: Request) -> Response:
    return render(request, "demo.html", {})


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status)


async def post_message(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    if request.headers.get("content-type", "").split(";")[0] != "application/json":
        return _error(415, "send JSON with Content-Type: application/json")
    try:
        body = parse_json(await request.body())
    except ValueError:
        return _error(400, "the body is not valid JSON")
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object")
    text = str(body.get("text", "")).strip()
    name = str(body.get("name", "") or "").strip()[:200]
    email = str(body.get("email", "") or "").strip().lower()[:320]
    if not text:
        return _error(422, "write a message first", "text")
    if len(text) > MAX_TEXT:
        return _error(422, f"a message can be at most {MAX_TEXT} characters", "text")
    if email and not _EMAIL.match(email):
        return _error(422, "this does not look like an email address", "email")
    visitor_id = request.cookies.get(VISITOR_COOKIE) or secrets.token_urlsafe(24)
    with Session(deps.engine, expire_on_commit=False) as session:
        try:
            message = _post(session, deps, visitor_id, text, name, email)
            session.commit()
        except DomainError as exc:
            session.rollback()
            return _error(422, str(exc), "text")
    response = JSONResponse({"message": _message_json(message, {})}, status_code=201)
    response.set_cookie(
        VISITOR_COOKIE, visitor_id, max_age=365 * 86400, httponly=True, samesite="lax", secure=deps.https_only
    )
    return response


def _post(session: Session, deps: WebDeps, visitor_id: str, text: str, name: str, email: str) -> Message:
    now = deps.clock.now()
    desk = Desk(session, now)
    contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
    if contact is None:
        contact = Contact(visitor_id=visitor_id, first_seen=now, last_seen=now, language=deps.language)
    contact.last_seen = now
    contact.name = name or contact.name
    if email:
        change_email(contact, email.lower())
    session.add(contact)
    session.flush()
    conversation = _current_conversation(session, contact)
    events: list[Event] = []
    if conversation is None:
        conversation, events = desk.start_conversation(contact, Source.CHAT, text[:80])
    events += desk.post_visitor_message(conversation, NewMessage(text=text, source=Source.CHAT))
    deps.react(session, events)
    message = session.exec(
        select(Message).where(Message.conversation_id == conversation.id).order_by(col(Message.id).desc())
    ).first()
    assert message is not None
    return message


def _current_conversation(session: Session, contact: Contact) -> Conversation | None:
    query = select(Conversation).where(Conversation.contact_id == contact.id)
    ordered = query.order_by(
        (col(Conversation.status) == ConversationStatus.OPEN).desc(), col(Conversation.updated_at).desc()
    )
    return session.exec(ordered).first()


async def list_messages(request: Request) -> Response:
    deps: WebDeps = request.app.state.deps
    visitor_id = request.cookies.get(VISITOR_COOKIE)
    try:
        after = row_id(request.query_params.get("after", "0"))
    except ValueError:
        return _error(400, "after must be a message id")
    if not visitor_id:
        return JSONResponse({"messages": [], "conversation_id": None})
    with Session(deps.engine, expire_on_commit=False) as session:
        contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
        conversation = _current_conversation(session, contact) if contact else None
        if conversation is None:
            return JSONResponse({"messages": [], "conversation_id": None})
        messages = list(
            session.exec(
                select(Message)
                .where(Message.conversation_id == conversation.id, col(Message.id) > after)
                .where(col(Message.is_note).is_(False))
                .order_by(col(Message.id))
            )
        )
        operators = {o.id: o for o in session.exec(select(Operator))}
        files = _files_json(session, deps, messages)
        if messages:
            Desk(session, deps.clock.now()).mark_seen_by_visitor(conversation, messages[-1].id or 0)
            session.commit()
        return JSONResponse(
            {
                "conversation_id": conversation.id,
                "messages": [_message_json(m, operators, files.get(m.id or 0, [])) for m in messages],
            }
        )


def _files_json(session: Session, deps: WebDeps, messages: list[Message]) -> dict[int, list[dict[str, Any]]]:
    found = attachments_by_message(session, [m.id or 0 for m in messages])
    conversation_of = {m.id: m.conversation_id for m in messages}
    return {
        message_id: [visitor_json(file, conversation_of[message_id], deps.file_links) for file in attachments]
        for message_id, attachments in found.items()
    }


def _message_json(
    message: Message, operators: dict[int | None, Operator], files: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    operator = operators.get(message.operator_id)
    return {
        "id": message.id,
        "author_kind": message.author_kind,
        "author_name": (operator.name or "Support") if operator else "",
        "author_avatar": f"/avatars/{operator.avatar_sha256}" if operator and operator.avatar_sha256 else "",
        "mine": message.author_kind == AuthorKind.VISITOR,
        "text": message.text,
        "source": message.source,
        "created_at": message.created_at.isoformat(),
        "files": files or [],
    }
