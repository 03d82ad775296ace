"""GET /widget.js, the script a site pastes, and GET /api/widget/config, the one call it makes before the
launcher shows: the mode, the texts in the page's language (from the gettext catalog), the working-hours
note, the upload limit, and what the desk knows of this visitor (a signed id, a dialog, unseen replies).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlmodel import Session, col, func, select
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from chatcore.hours import WorkingHours
from chatcore.models import AuthorKind, Contact, Conversation, Message
from webui import widget_identity
from webui.deps import WebDeps
from webui.widget import WidgetLimits, current_conversation, refused_identity, signed_visitor

LANGUAGES = ("en", "ru")


def routes(static_dir: Any) -> list[Route]:
    script = static_dir / "widget.js"

    async def widget_js(request: Request) -> Response:
        # Revalidated often (ETag): a fix reaches every site soon; the script itself is small.
        return FileResponse(
            script,
            media_type="text/javascript; charset=utf-8",
            headers={"Cache-Control": "public, max-age=300", "Cross-Origin-Resource-Policy": "cross-origin"},
        )

    return [
        Route("/widget.js", widget_js),
        Route("/api/widget/config", widget_config),
    ]


def language_of(asked: str, default: str) -> str:
    """The page's `lang` ("ru-RU" is "ru"), when the desk speaks it; else [site].language."""
    code = asked.strip().lower().replace("_", "-").split("-", 1)[0]
    return code if code in LANGUAGES else default


def widget_config(request: Request) -> Response:
    """Plain `def` (threadpool): it reads the database and, for a verified user, ties the visitor."""
    deps: WebDeps = request.app.state.deps
    limits: WidgetLimits = request.app.state.widget_limits
    params = request.query_params
    language = language_of(params.get("lang", ""), deps.language)
    visitor_id = signed_visitor(request) or limits.ids.new()[0]
    with Session(deps.engine, expire_on_commit=False) as session:
        user_id, user_hash = params.get("user_id", "").strip(), params.get("user_hash", "").strip().lower()
        try:
            if widget_identity.check(session, user_id, user_hash):
                now = deps.clock.now()
                visitor_id = widget_identity.tie(session, user_id, visitor_id, now, deps.language)
        except widget_identity.Refused:
            return refused_identity()
        known = _visitor_state(session, visitor_id)
    now = deps.clock.now()
    body = {
        "visitor": limits.ids.cookie_value(visitor_id),
        "mode": deps.widget_mode,
        "language": language,
        "site_name": deps.site_name,
        "texts": texts(deps, language),
        **hours_state(deps.rules.current.hours if deps.rules else None, now, language, deps),
        "max_file_size": deps.max_file_size,
        **known,
    }
    return JSONResponse(body, headers={"Cache-Control": "no-store"})


def _visitor_state(session: Session, visitor_id: str) -> dict[str, Any]:
    contact = session.exec(select(Contact).where(Contact.visitor_id == visitor_id)).first()
    conversation = current_conversation(session, contact) if contact else None
    return {
        "conversation": conversation is not None,
        "unseen": _unseen(session, conversation) if conversation else 0,
        "name_known": bool(contact and contact.name),
        "email_known": bool(contact and contact.email),
    }


def _unseen(session: Session, conversation: Conversation) -> int:
    """Operator replies the visitor has not fetched yet (an operator wrote while they were away)."""
    query = (
        select(func.count())
        .select_from(Message)
        .where(Message.conversation_id == conversation.id)
        .where(col(Message.id) > conversation.visitor_seen_message_id)
        .where(Message.author_kind == AuthorKind.OPERATOR, col(Message.is_note).is_(False))
    )
    return int(session.exec(query).one())


def hours_state(hours: WorkingHours | None, now: datetime, language: str, deps: WebDeps) -> dict[str, Any]:
    if hours is None or hours.is_open(now):
        return {"open": True, "next_open": None, "hours_note": ""}
    opens = hours.next_open(now)
    t = deps.translations(language)
    gettext = t.gettext
    if opens is None:
        note = gettext("We are away now. Leave your email and we will answer by email.")
    else:
        when = hours.format_moment(opens, now=now, t=t)
        note = gettext("We are away now and back %(when)s. Leave your email and we will answer by email.") % {
            "when": when
        }
    return {"open": False, "next_open": opens.isoformat() if opens else None, "hours_note": note}


def texts(deps: WebDeps, language: str) -> dict[str, str]:
    """Every word the widget shows, translated here so the script carries none."""
    _ = deps.translations(language).gettext
    limit = {"size": _size(deps.max_file_size)}
    return {
        "open": _("Open the chat"),
        "close": _("Close the chat"),
        "title": _("Chat with us"),
        "messages": _("Messages"),
        "you": _("You"),
        "support": _("Support"),
        "name": _("Your name"),
        "email": _("Your email"),
        "ask_email": _("Leave your email and we will answer by email."),
        "email_invalid": _("this does not look like an email address"),
        "message": _("Message"),
        "placeholder": _("Write a message…"),
        "send": _("Send"),
        "attach": _("Attach a file"),
        "too_large": _("This file is larger than the limit of %(size)s.") % limit,
        "emoji": _("Emoji"),
        "unread": _("New reply"),
        "failed": _("The message was not sent. Try again."),
        "kb": _("KB"),
    }


def _size(size: int) -> str:
    if size >= 1024 * 1024:
        return f"{size / (1024 * 1024):g} MB"
    return f"{max(1, size // 1024)} KB"
