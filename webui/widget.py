"""The visitor side: the widget's messages API (starting a chat, posting, history) and the /demo page."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from chatcore.contacts import is_address
from chatcore.errors import DomainError
from chatcore.events import EmailClaimed, Event, MessagePosted
from chatcore.files import NewAttachment, attachments_by_message
from chatcore.identity import claim_email
from chatcore.models import (
    Attachment,
    AuthorKind,
    Contact,
    Conversation,
    ConversationStatus,
    Message,
    Operator,
    Source,
)
from chatcore.services import Desk, NewMessage
from webui import email_confirm, widget_identity
from webui.conflicts import once_more_on_conflict
from webui.deps import WebDeps
from webui.file_views import visitor_json
from webui.limits import parse_json, row_id
from webui.pages import render
from webui.rate_limit import Rate, RateLimiter, retry_after_header
from webui.uploads import MAX_FILES, chosen_files, store_files, upload_problem
from webui.visitor_ids import VisitorIds

VISITOR_COOKIE = "rd_visitor"
MAX_TEXT = 10_000


# Per process (see webui/rate_limit.py). A visitor types a few lines a minute; a script sends thousands.
PER_VISITOR = Rate(burst=20, per_second=20 / 60)
PER_ADDRESS = Rate(burst=60, per_second=1.0)
NEW_CHATS_PER_ADDRESS = Rate(burst=10, per_second=10 / 3600)
# Page views have their own budget, so a visitor who browses fast can still write.
PAGE_VIEWS_PER_VISITOR = Rate(burst=30, per_second=0.5)


@dataclass
class WidgetLimits:
    """What the widget API keeps between requests, held by the app (`app.state.widget_limits`)."""

    ids: VisitorIds
    per_visitor: RateLimiter
    per_address: RateLimiter
    starts: RateLimiter
    page_views: RateLimiter

    @classmethod
    def for_keys(cls, keys: Sequence[str]) -> WidgetLimits:
        return cls(
            VisitorIds(keys),
            RateLimiter(PER_VISITOR),
            RateLimiter(PER_ADDRESS),
            RateLimiter(NEW_CHATS_PER_ADDRESS),
            RateLimiter(PAGE_VIEWS_PER_VISITOR),
        )


def routes() -> list[Route]:
    return [
        Route("/demo", demo_page),
        Route("/api/widget/messages", post_message, methods=["POST"]),
        Route("/api/widget/messages", list_messages, methods=["GET"]),
        *email_confirm.routes(),
    ]


async def demo_page(request: Request) -> Response:
    """A sample site page: it embeds the widget with the same script tag a site pastes."""
    deps: WebDeps = request.app.state.deps
    return render(request, "demo.html", {"base_url": deps.base_url.rstrip("/")})


def _error(status: int, message: str, field: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"error": message}
    if field:
        body["field"] = field
    return JSONResponse(body, status_code=status)


VISITOR_HEADER = "x-relaydesk-visitor"


def signed_visitor(request: Request, given: object = None) -> str | None:
    """The visitor id the call carries, signed by us: in the body, the X-Relaydesk-Visitor header, the
    `visitor` query parameter (EventSource cannot send headers) or the old same-site cookie. A planted or
    altered one names nobody."""
    limits: WidgetLimits = request.app.state.widget_limits
    candidates = (
        given if isinstance(given, str) else None,
        request.headers.get(VISITOR_HEADER),
        request.query_params.get("visitor"),
        request.cookies.get(VISITOR_COOKIE),
    )
    return next((found for token in candidates if token and (found := limits.ids.read(token))), None)


@dataclass(frozen=True)
class _Posted:
    text: str
    name: str
    email: str
    visitor: object
    user_id: str
    user_hash: str
    files: list[UploadFile]


async def _read_post(request: Request, max_file_size: int) -> _Posted | Response:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    files: list[UploadFile] = []
    if kind == "multipart/form-data":
        try:
            form = await request.form(max_files=MAX_FILES + 1, max_fields=20)
        except Exception as error:  # python-multipart's own errors on a malformed body
            return _error(400, f"the form could not be read: {error}")
        body: Any = {key: value for key, value in form.items() if isinstance(value, str)}
        files = chosen_files(form)
        problem = upload_problem(files, max_file_size)
        if problem and problem.code == "too_large":
            return _error(413, f"{problem.filename} is larger than {max_file_size} bytes", "files")
        if problem:
            return _error(422, f"at most {MAX_FILES} files a message", "files")
    elif kind == "application/json":
        try:
            body = parse_json(await request.body())
        except ValueError:
            return _error(400, "the body is not valid JSON")
        if not isinstance(body, dict):
            return _error(400, "the body must be a JSON object")
    else:
        return _error(415, "send JSON with Content-Type: application/json (or a multipart form with files)")
    return _Posted(
        text=str(body.get("text", "") or "").strip(),
        name=str(body.get("name", "") or "").strip()[:200],
        email=str(body.get("email", "") or "").strip().lower()[:320],
        visitor=body.get("visitor"),
        user_id=str(body.get("user_id", "") or "").strip(),
        user_hash=str(body.get("user_hash", "") or "").strip().lower(),
        files=files,
    )


def _invalid(posted: _Posted) -> Response | None:
    if not posted.text and not posted.files:
        return _error(422, "write a message first", "text")
    if len(posted.text) > MAX_TEXT:
        return _error(422, f"a message can be at most {MAX_TEXT} characters", "text")
    if posted.email and not is_address(posted.email):
        return _error(422, "this does not look like an email address", "email")
    return None


async def post_message(request: Request) -> Response:
    """A visitor's message (JSON, or a multipart form with files); starts their chat when there is none."""
    deps: WebDeps = request.app.state.deps
    limits: WidgetLimits = request.app.state.widget_limits
    client = request.client.host if request.client else "unknown"
    wait = limits.per_address.take(client)
    if wait:
        return _too_many(wait)
    posted = await _read_post(request, deps.max_file_size)
    if isinstance(posted, Response):
        return posted
    visitor_id = signed_visitor(request, posted.visitor)
    wait = limits.per_visitor.take(visitor_id) if visitor_id else 0.0
    if wait:
        return _too_many(wait)
    invalid = _invalid(posted)
    if invalid:
        return invalid
    if visitor_id is None:  # none, or planted or altered: a fresh id, never the one the client chose
        visitor_id = limits.ids.new()[0]
        limits.per_visitor.take(visitor_id)  # its first message counts too
    stored = await run_in_threadpool(_store, deps, visitor_id, posted, lambda: limits.starts.take(client))
    if isinstance(stored, Response):
        return stored
    message, visitor_id = stored
    files = [
        visitor_json(file, message.conversation_id, deps.file_links) for file in message_files(deps, message)
    ]
    token = limits.ids.cookie_value(visitor_id)
    response = JSONResponse({"message": _message_json(message, {}, files), "visitor": token}, status_code=201)
    response.set_cookie(
        VISITOR_COOKIE, token, max_age=365 * 86400, httponly=True, samesite="lax", secure=deps.https_only
    )
    return response


def message_files(deps: WebDeps, message: Message) -> list[Attachment]:
    with deps.read_session() as session:
        return attachments_by_message(session, [message.id or 0]).get(message.id or 0, [])


def _store(
    deps: WebDeps, visitor_id: str, posted: _Posted, may_start: Callable[[], float]
) -> tuple[Message, str] | Response:
    """The write, in the threadpool: the event loop also serves SMTP and the streams."""
    attachments = store_files(posted.files, deps.blobs)  # before the transaction takes the write lock
    # The first message may race the first page view: both would make the visitor's contact.
    start_once = functools.cache(may_start)  # a second run takes no second new-chat allowance
    return once_more_on_conflict(lambda: _store_once(deps, visitor_id, posted, attachments, start_once))


def _store_once(
    deps: WebDeps,
    visitor_id: str,
    posted: _Posted,
    attachments: tuple[NewAttachment, ...],
    may_start: Callable[[], float],
) -> tuple[Message, str] | Response:
    with Session(deps.engine, expire_on_commit=False) as session:
        try:
            if widget_identity.check(session, posted.user_id, posted.user_hash):
                now = deps.clock.now()
                visitor_id = widget_identity.tie(session, posted.user_id, visitor_id, now, deps.language)
            message = _post(session, deps, visitor_id, posted, attachments, may_start)
            session.commit()
        except widget_identity.Refused:
            return refused_identity()
        except _Limited as exc:
            session.rollback()
            return _too_many(exc.wait)
        except DomainError as exc:
            session.rollback()
            return _error(422, str(exc), "text")
    return message, visitor_id


def refused_identity() -> JSONResponse:
    return _error(403, "the user hash does not match the user id", "user_hash")


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
    posted: _Posted,
    attachments: tuple[NewAttachment, ...],
    may_start: Callable[[], float],
) -> Message:
    """Post the visitor's message (starting a chat when there is none); returns that message."""
    now = deps.clock.now()
    desk = Desk(session, now)
    contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
    if contact is None:
        contact = Contact(visitor_id=visitor_id, first_seen=now, last_seen=now, language=deps.language)
    contact.last_seen = now
    contact.name = posted.name or contact.name
    email, text = posted.email, posted.text
    claimed = bool(email) and claim_email(contact, email)  # a claim until its owner confirms it
    session.add(contact)
    session.flush()
    conversation = current_conversation(session, contact)
    events: list[Event] = [EmailClaimed(contact.id or 0, email)] if claimed else []
    if conversation is None:
        wait = may_start()  # each new chat mails the operators: new chats per address are limited too
        if wait:
            raise _Limited(wait)
        subject = text[:80] or (attachments[0].filename if attachments else "")
        conversation, started = desk.start_conversation(contact, Source.CHAT, subject)
        events += started
    sent = desk.post_visitor_message(
        conversation, NewMessage(text=text, source=Source.CHAT, attachments=attachments)
    )
    events += sent
    deps.react(session, events)
    # The visitor's own message, not the newest one (an autoreply posted by `react` comes after it).
    own = next(e.message_id for e in sent if isinstance(e, MessagePosted))
    message = session.get(Message, own)
    assert message is not None
    return message


def current_conversation(session: Session, contact: Contact) -> Conversation | None:
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
    visitor_id = signed_visitor(request)  # a planted id reads nothing
    try:
        after = row_id(request.query_params.get("after", "0"))
    except ValueError:
        return _error(400, "after must be a message id")
    if not visitor_id:
        return JSONResponse({"messages": [], "conversation_id": None})
    with Session(deps.engine, expire_on_commit=False) as session:
        contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
        conversation = current_conversation(session, contact) if contact else None
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
