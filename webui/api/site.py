"""/api/v1/site/...: the site's own server, authenticated by `Authorization: Bearer SITE_KEY` only.

Upsert a contact by the site's id, record its events, start a dialog as an operator. The session
cookie is never looked at here, so a signed-in operator's browser cannot be used to call these.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from functools import wraps
from typing import Any

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatcore import api_tokens, contact_history, site_contacts, site_keys
from chatcore.contact_card import checked_properties
from chatcore.errors import DomainError
from chatcore.events import Event, MessagePosted
from chatcore.models import Contact, Conversation, ConversationStatus, Message, Operator, SiteKey, Source
from chatcore.services import Desk, NewMessage
from webui.api.auth import Unauthorized, bearer_token
from webui.api.endpoint import READ_METHODS, RequestCall, note_use, write_call
from webui.api.errors import ApiError, from_domain
from webui.api.schemas import SiteContactBody, SiteEventBody, SiteMessageBody
from webui.api.views import contact_event_json, contact_json, message_json, operator_ref
from webui.deps import WebDeps

SUBJECT_CHARS = 80


@dataclass
class SiteCall(RequestCall):
    key: SiteKey

    def external_id(self) -> str:
        try:
            return site_contacts.checked_external_id(str(self.request.path_params["external_id"]))
        except DomainError:
            raise ApiError(404, "there is no contact with this external id") from None

    def contact(self) -> Contact:
        """The site's contact named in the path, or 404."""
        found = site_contacts.by_external_id(self.session, self.external_id())
        if found is None:
            raise ApiError(404, "there is no contact with this external id: PUT it first")
        return found


SiteHandler = Callable[[SiteCall], Any]


def site_endpoint(handler: SiteHandler, status_code: int = 200) -> Callable[[Request], Response]:
    """A plain-def endpoint: the key is checked in a read session, then the handler writes."""

    @wraps(handler)
    def run(request: Request) -> Response:
        deps: WebDeps = request.app.state.deps
        try:
            with deps.read_session() as session:
                key = _key(request, session)
            call = SiteCall(request, deps, Session(deps.engine, expire_on_commit=False), key)
            if request.method in READ_METHODS:
                with call.session:
                    result = handler(call)
            else:
                result = write_call(handler, call)
        except DomainError as error:
            return from_domain(error).response()
        except ApiError as error:
            return error.response()
        except IntegrityError:  # two calls made the same contact at once: the first one won
            return ApiError(409, "the contact changed meanwhile; send the request again").response()
        response = result if isinstance(result, Response) else JSONResponse(result, status_code=status_code)
        now = deps.clock.now()
        if api_tokens.use_to_note(key, now) and response.background is None:
            response.background = BackgroundTask(note_use, deps, key.id or 0, now, SiteKey)
        return response

    return run


def _key(request: Request, session: Session) -> SiteKey:
    token = bearer_token(request)
    if not token:
        raise Unauthorized("send Authorization: Bearer SITE_KEY (from `relaydesk site-key create`)")
    key = site_keys.live_key(session, token)
    if key is None:
        raise Unauthorized("the site key is unknown or revoked")
    return key


def put_contact(call: SiteCall) -> Response:
    """Create or update the site's contact; properties are merged (null removes one)."""
    body = call.body(SiteContactBody)
    fields = site_contacts.SiteFields(
        given=frozenset(body.model_fields_set),
        name=body.name or "",
        email=body.email or None,
        phone=body.phone or "",
        properties=body.properties or {},
    )
    now = call.deps.clock.now()
    try:
        contact, created = site_contacts.upsert(call.session, call.external_id(), fields, now)
    except site_contacts.Conflict as error:
        raise ApiError(409, str(error), "email") from None
    call.commit([])
    return JSONResponse(contact_json(contact), status_code=201 if created else 200)


def post_event(call: SiteCall) -> Response:
    """Record a site event (an order, an item put in the cart) with its properties."""
    body = call.body(SiteEventBody)
    contact = call.contact()
    now = call.deps.clock.now()
    at = _moment(body.at) if body.at is not None else now
    properties = checked_properties(body.properties)
    event = contact_history.record_site_event(
        call.session, contact, body.name, properties, at, now, call.deps.history
    )
    call.commit([])
    return JSONResponse(contact_event_json(event), status_code=201)


def post_message(call: SiteCall) -> Response:
    """An operator writes to the contact: in the open chat, or in a new one (the widget shows it and,
    with a verified address, the visitor is mailed it as any reply)."""
    body = call.body(SiteMessageBody)
    operator = _operator(call.session, body.operator_email)
    contact = call.contact()
    text = body.text.strip()
    if not text:
        raise ApiError(422, "write a message first", "text")
    desk = Desk(call.session, call.deps.clock.now())
    conversation = _open_chat(call.session, contact)
    events: list[Event] = []
    if conversation is None:
        conversation, events = desk.start_conversation(contact, Source.CHAT, text[:SUBJECT_CHARS])
    posted = desk.post_operator_message(conversation, operator, NewMessage(text=text, source=Source.API))
    call.commit([*events, *posted])
    message = call.session.get(Message, next(e.message_id for e in posted if isinstance(e, MessagePosted)))
    assert message is not None
    return JSONResponse(
        {"conversation_id": conversation.id, "message": message_json(message, operator_ref(operator), [])},
        status_code=201,
    )


def _operator(session: Session, email: str) -> Operator:
    wanted = email.strip().lower()
    found = session.exec(select(Operator).where(func.lower(Operator.email) == wanted)).first()
    if found is None:
        found = next((o for o in session.exec(select(Operator)) if o.owns_address(wanted)), None)
    if found is None or not found.active:
        raise ApiError(422, "there is no active operator with this address", "operator_email")
    return found


def _open_chat(session: Session, contact: Contact) -> Conversation | None:
    query = (
        select(Conversation)
        .where(
            Conversation.contact_id == contact.id,
            Conversation.channel == Source.CHAT,
            Conversation.status == ConversationStatus.OPEN,
        )
        .order_by(col(Conversation.updated_at).desc())
    )
    return session.exec(query).first()


def _moment(text: str) -> datetime:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ApiError(422, "an ISO 8601 time, such as 2027-01-31T12:00:00Z", "at") from None
    if moment.tzinfo is None:
        raise ApiError(422, "the time needs its offset from UTC (Z or +03:00)", "at")
    return moment
