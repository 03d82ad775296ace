"""Pane 3, the person: the card edited in place (from the dialog or from /inbox/contacts/ID, the page with
all their dialogs). A bad field is refused beside itself with what was typed kept; nothing else changes.
A script's fetch (Accept: application/json) gets JSON instead: the card, or {"error", "field"}."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session
from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from chatcore import timeline
from chatcore.contact_card import ContactChanges
from chatcore.contacts import checked_address, clear_undeliverable
from chatcore.directory import dialogs_of_contact
from chatcore.errors import DomainError, FieldError
from chatcore.events import ContactChanged
from chatcore.identity import verify_email
from chatcore.models import Contact, Conversation, Operator
from chatcore.services import Desk
from webui.api.views import contact_json
from webui.desk.actions import back_to_dialog
from webui.desk.card import card_context
from webui.desk.dialog import DialogState, dialog_response
from webui.desk.feed import initials
from webui.desk.guard import csrf_passed, deps_of, desk_action, desk_page, redirect
from webui.pages import render

CARD_FIELDS = ("name", "email", "phone", "notes")


def changes_from(form: FormData) -> ContactChanges:
    """Only the fields the form carries change; properties when it carries their rows."""
    values: dict[str, Any] = {name: str(form[name]) for name in CARD_FIELDS if name in form}
    if form.get("properties") == "1":
        keys, texts = form.getlist("prop_key"), form.getlist("prop_value")
        values["properties"] = {
            str(key).strip(): str(text)
            for key, text in zip(keys, texts, strict=False)
            if str(key).strip() or str(text).strip()
        }
    return ContactChanges(given=frozenset(values), **values)


def typed_values(form: FormData) -> dict[str, str]:
    return {name: str(form[name]) for name in CARD_FIELDS if name in form}


def wants_json(request: Request) -> bool:
    return "application/json" in request.headers.get("accept", "")


def _save(request: Request, contact_id: int, changes: ContactChanges) -> Contact | FieldError | None:
    deps = deps_of(request)
    with Session(deps.engine, expire_on_commit=False) as session:
        contact = session.get(Contact, contact_id)
        operator = session.get(Operator, request.state.operator.id)
        if contact is None or operator is None:
            return None
        try:
            events = Desk(session, deps.clock.now()).edit_contact(contact, operator, changes)
        except FieldError as problem:
            session.rollback()
            return FieldError(problem.field.split(".", 1)[0], problem.problem)
        deps.react(session, events)
        session.commit()
        return contact


def _answer_json(result: Contact | FieldError | None, request: Request) -> Response:
    if result is None:
        return JSONResponse({"error": "not found"}, 404)
    if isinstance(result, FieldError):
        return JSONResponse({"error": result.problem, "field": result.field}, 422)
    return JSONResponse({"contact": contact_json(result)})


@desk_action
def dialog_contact_submit(request: Request, form: FormData) -> Response:
    conversation_id = int(request.path_params["conversation_id"])
    if not csrf_passed(request, form):
        if wants_json(request):
            return JSONResponse({"error": "csrf", "field": "csrf"}, 403)
        return dialog_response(
            request, DialogState(error="contact-csrf", contact_values=typed_values(form), status_code=400)
        )
    with deps_of(request).read_session() as session:
        conversation = session.get(Conversation, conversation_id)
        contact_id = conversation.contact_id if conversation else None
    if contact_id is None:
        return render(request, "not_found.html", {"operator": request.state.operator}, 404)
    result = _save(request, contact_id, changes_from(form))
    if wants_json(request):
        return _answer_json(result, request)
    if isinstance(result, FieldError):
        state = DialogState(
            contact_errors={result.field: result.problem}, contact_values=typed_values(form), status_code=422
        )
        return dialog_response(request, state)
    return back_to_dialog(request, form, "contact")


@desk_action
def contact_email_submit(request: Request, form: FormData) -> Response:
    """The bounce notice's own form: the operator corrects (or confirms) the visitor's address."""
    typed = str(form.get("email", ""))
    if not csrf_passed(request, form):
        return dialog_response(request, DialogState(error="email-csrf", email_draft=typed, status_code=400))
    try:
        address = checked_address(typed)
    except DomainError:
        return dialog_response(request, DialogState(error="email", email_draft=typed, status_code=422))
    deps = deps_of(request)
    conversation_id = int(request.path_params["conversation_id"])
    with Session(deps.engine) as session:
        conversation = session.get(Conversation, conversation_id)
        contact = session.get(Contact, conversation.contact_id) if conversation else None
        if contact is None:
            return render(request, "not_found.html", {"operator": request.state.operator}, 404)
        contact = verify_email(session, contact, address, deps.clock.now())  # the operator vouches for it
        clear_undeliverable(contact)
        session.add(contact)
        deps.react(session, [ContactChanged(contact.id or 0, conversation_id)])
        session.commit()
    return back_to_dialog(request, form)


@desk_page
def contact_page(request: Request) -> Response:
    return _contact_page(request, {}, {}, 200)


def _contact_page(request: Request, errors: dict[str, str], values: dict[str, str], status: int) -> Response:
    operator: Operator = request.state.operator
    contact_id = int(request.path_params["contact_id"])
    kind = request.query_params.get("kind", "")
    kinds = frozenset([kind]) if kind in timeline.KINDS else frozenset(timeline.KINDS)
    with deps_of(request).read_session() as session:
        contact = session.get(Contact, contact_id)
        if contact is None:
            return render(request, "not_found.html", {"operator": operator}, 404)
        dialogs = dialogs_of_contact(session, contact_id)
        extras = {
            **card_context(request, session, contact),
            "timeline": timeline.timeline(session, contact_id, kinds),
            "sources": timeline.sources(session, contact),
            "kind": kind if kind in timeline.KINDS else "",
        }
    context = {
        **extras,
        "operator": operator,
        "contact": contact,
        "contact_initials": initials(contact.name or contact.email or "?"),
        "dialogs": dialogs,
        "state": DialogState(
            contact_errors=errors, contact_values=values, notice=request.query_params.get("done")
        ),
        "card_action": f"/inbox/contacts/{contact_id}",
    }
    return render(request, "desk/contact.html", context, status)


@desk_action
def contact_page_submit(request: Request, form: FormData) -> Response:
    contact_id = int(request.path_params["contact_id"])
    if not csrf_passed(request, form):
        if wants_json(request):
            return JSONResponse({"error": "csrf", "field": "csrf"}, 403)
        return _contact_page(request, {"form": "csrf"}, typed_values(form), 400)
    result = _save(request, contact_id, changes_from(form))
    if wants_json(request):
        return _answer_json(result, request)
    if result is None:
        return render(request, "not_found.html", {"operator": request.state.operator}, 404)
    if isinstance(result, FieldError):
        return _contact_page(request, {result.field: result.problem}, typed_values(form), 422)
    return redirect(f"/inbox/contacts/{contact_id}?done=contact")
