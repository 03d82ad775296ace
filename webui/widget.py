"""The visitor side: the /demo chat page and the widget's JSON API."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatcore.contacts import is_address
from chatcore.errors import DomainError
from chatcore.events import EmailClaimed, Event, MessagePosted
from chatcore.files import attachments_by_message
from chatcore.identity import claim_email
from chatcore.models import AuthorKind, Contact, Conversation, ConversationStatus, Message, Operator, Source
from chatcore.services import Desk, NewMessage
from webui import email_confirm
from webui.deps import WebDeps
from webui.file_views import visitor_json
from webui.limits import parse_json, row_id
from webui.pages import render
from webui.rate_limit import Rate, RateLimiter, retry_after_header
from webui.visitor_ids import VisitorIds

VISITOR_COOKIE = "rd_visitor"
MAX_TEXT = 10_000


# Per process (see webui/rate_limit.py). A visitor types a few lines a minute; a script sends thousands.
PER_VISITOR = Rate(burst=20, per_second=20 / 60)
PER_ADDRESS = Rate(burst=60, per_second=1.0)
NEW_CHATS_PER_ADDRESS = Rate(burst=10, per_second=10 / 3600)


@dataclass
class WidgetLimits:
    """What the widget API keeps between requests, held by the app (`app.state.widget_limits`)."""

    ids: VisitorIds
    per_visitor: RateLimiter
    per_address: RateLimiter
    starts: RateLimiter

    @classmethod
    def for_keys(cls, keys: Sequence[str]) -> WidgetLimits:
        return cls(
            VisitorIds(keys),
            RateLimiter(PER_VISITOR),
            RateLimiter(PER_ADDRESS),
            RateLimiter(NEW_CHATS_PER_ADDRESS),
        )


def routes() -> list[Route]:
    return [
        Route("/demo", demo_page),
        Route("/api/widget/messages", post_message, methods=["POST"]),
        Route("/api/widget/messages", list_messages, methods=["GET"]),
        *email_confirm.routes(),
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
    limits: WidgetLimits = request.app.state.widget_limits
    client = request.client.host if request.client else "unknown"
    visitor_id = limits.ids.read(request.cookies.get(VISITOR_COOKIE))
    wait = limits.per_address.take(client) or (limits.per_visitor.take(visitor_id) if visitor_id else 0.0)
    if wait:
        return _too_many(wait)
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
    if email and not is_address(email):
        return _error(422, "this does not look like an email address", "email")
    if visitor_id is None:  # none, or planted or altered: a fresh id, never the one the client chose
        visitor_id = limits.ids.new()[0]
        limits.per_visitor.take(visitor_id)  # its first message counts too
    stored = await run_in_threadpool(
        _store, deps, visitor_id, text, name, email, lambda: limits.starts.take(client)
    )
    if isinstance(stored, Response):
        return stored
    response = JSONResponse({"message": _message_json(stored, {})}, status_code=201)
    response.set_cookie(
        VISITOR_COOKIE,
        limits.ids.cookie_value(visitor_id),
        max_age=365 * 86400,
        httponly=True,
        samesite="lax",
        secure=deps.https_only,
    )
    return response


def _store(
    deps: WebDeps, visitor_id: str, text: str, name: str, email: str, may_start: Callable[[], float]
) -> Message | Response:
    """The write, in the threadpool: the event loop also serves SMTP and the streams."""
    with Session(deps.engine, expire_on_commit=False) as session:
        try:
            message = _post(session, deps, visitor_id, text, name, email, may_start)
            session.commit()
        except _Limited as exc:
            session.rollback()
            return _too_many(exc.wait)
        except DomainError as exc:
            session.rollback()
            return _error(422, str(exc), "text")
    return message


def _too_many(wait: float) -> JSONResponse:
    response = _error(429, "too many messages at once; wait a moment and send again")
    response.headers["Retry-After"] = retry_after_header(wait)
    return response


class _Limited(Exception):
    def __init__(self, wait: float) -> None:
        super().__init__(f"retry after {wait:.0f}s")
        self.wait = wait


def _post(
    session: Session,
    deps: WebDeps,
    visitor_id: str,
    text: str,
    name: str,
    email: str,
    may_start: Callable[[], float],
) -> Message:
    """Post the visitor's message (starting a chat when there is none); returns that message."""
    now = deps.clock.now()
    desk = Desk(session, now)
    contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
    if contact is None:
        contact = Contact(visitor_id=visitor_id, first_seen=now, last_seen=now, language=deps.language)
    contact.last_seen = now
    contact.name = name or contact.name
    claimed = bool(email) and claim_email(contact, email)  # a claim until its owner confirms it
    session.add(contact)
    session.flush()
    conversation = _current_conversation(session, contact)
    events: list[Event] = [EmailClaimed(contact.id or 0, email)] if claimed else []
    if conversation is None:
        wait = may_start()  # each new chat mails the operators: new chats per address are limited too
        if wait:
            raise _Limited(wait)
        conversation, started = desk.start_conversation(contact, Source.CHAT, text[:80])
        events += started
    posted = desk.post_visitor_message(conversation, NewMessage(text=text, source=Source.CHAT))
    events += posted
    deps.react(session, events)
    # The visitor's own message, not the newest one (an autoreply posted by `react` comes after it).
    own = next(e.message_id for e in posted if isinstance(e, MessagePosted))
    message = session.get(Message, own)
    assert message is not None
    return message


def _current_conversation(session: Session, contact: Contact) -> Conversation | None:
    """The chat this visitor started: never a conversation that came by mail to the same contact."""
    query = select(Conversation).where(
        Conversation.contact_id == contact.id, Conversation.channel == Source.CHAT
    )
    ordered = query.order_by(
        (col(Conversation.status) == ConversationStatus.OPEN).desc(), col(Conversation.updated_at).desc()
    )
    return session.exec(ordered).first()


def list_messages(request: Request) -> Response:
    """Plain `def`: Starlette runs it in the threadpool, off the event loop."""
    deps: WebDeps = request.app.state.deps
    limits: WidgetLimits = request.app.state.widget_limits
    visitor_id = limits.ids.read(request.cookies.get(VISITOR_COOKIE))  # a planted id reads nothing
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
            seen = Desk(session, deps.clock.now()).mark_seen_by_visitor(conversation, messages[-1].id or 0)
            deps.react(session, seen)  # the desk shows "seen by the visitor" live
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
