"""Files and original mails: operator downloads, visitor downloads by signed URL, "show original".

Every lookup goes by the Attachment (or Message) row's id and checks the conversation it belongs to; a
filename never names anything. The original mail's HTML is shown in a sandboxed frame whose document
also carries its own CSP, so a script in a mail cannot run even if the frame is opened on its own.
Every handler is a plain `def`: the lookups and the MIME parsing run in the threadpool, off the loop.
"""

from __future__ import annotations

import html as html_lib

from sqlmodel import Session
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, Response
from starlette.routing import Route

from chatcore.files import attachments_by_message
from chatcore.models import Attachment, Message, Source, SpoolItem
from inbound.cid import resolve_cid
from inbound.limits import MailRejected
from inbound.parse import ParsedMail, parse_mail
from webui.deps import WebDeps
from webui.downloads import bytes_response, file_response
from webui.guard import operator_required
from webui.pages import render

FRAME_SANDBOX = "allow-popups allow-popups-to-escape-sandbox"
_FRAME_STYLE = (
    "body{font:14px/1.45 system-ui,sans-serif;margin:8px;color:#1d2430}img{max-width:100%;height:auto}"
)


def routes() -> list[Route]:
    dialog = "/inbox/{conversation_id:int}"
    original = dialog + "/messages/{message_id:int}/original"
    return [
        Route(dialog + "/files/{attachment_id:int}", operator_download, methods=["GET"]),
        Route(original, original_page, methods=["GET"]),
        Route(original + "/frame", original_frame, methods=["GET"]),
        Route(original + ".eml", original_eml, methods=["GET"]),
        Route("/files/{attachment_id:int}/{token}", visitor_download, methods=["GET"]),
    ]


def _deps(request: Request) -> WebDeps:
    deps: WebDeps = request.app.state.deps
    return deps


def _not_found(request: Request) -> Response:
    return render(request, "not_found.html", {}, 404)


def _attachment_in(session: Session, attachment_id: int) -> tuple[Attachment, Message] | None:
    attachment = session.get(Attachment, attachment_id)
    message = session.get(Message, attachment.message_id) if attachment else None
    return (attachment, message) if attachment and message else None


def _download(request: Request, attachment: Attachment) -> Response:
    path = _deps(request).blobs.path_of(attachment.sha256)
    preview = request.query_params.get("preview") == "1"
    return file_response(path, attachment.filename, attachment.content_type, preview=preview)


@operator_required
def operator_download(request: Request) -> Response:
    with _deps(request).read_session() as session:
        found = _attachment_in(session, int(request.path_params["attachment_id"]))
    if found is None or found[1].conversation_id != int(request.path_params["conversation_id"]):
        return _not_found(request)
    return _download(request, found[0])


def visitor_download(request: Request) -> Response:
    deps = _deps(request)
    attachment_id = int(request.path_params["attachment_id"])
    with deps.read_session() as session:
        found = _attachment_in(session, attachment_id)
    token = str(request.path_params["token"])
    if found is None or found[1].is_note:
        return PlainTextResponse("Not found", status_code=404)
    if not deps.file_links.valid(token, attachment_id, found[1].conversation_id):
        return PlainTextResponse("Not found", status_code=404)
    return _download(request, found[0])


def _email_message(request: Request, session: Session) -> Message | None:
    message = session.get(Message, int(request.path_params["message_id"]))
    if message is None or message.conversation_id != int(request.path_params["conversation_id"]):
        return None
    return message if message.source == Source.EMAIL else None


def _raw_of(session: Session, message: Message) -> bytes | None:
    row = session.get(SpoolItem, message.spool_item_id) if message.spool_item_id else None
    return row.raw if row else None


def parsed(raw: bytes | None) -> ParsedMail | None:
    if raw is None:
        return None
    try:
        return parse_mail(raw)
    except MailRejected:
        return None


@operator_required
def original_page(request: Request) -> Response:
    with _deps(request).read_session() as session:
        message = _email_message(request, session)
        raw = _raw_of(session, message) if message else None
    if message is None:
        return _not_found(request)
    base = f"/inbox/{message.conversation_id}/messages/{message.id}/original"
    context = {
        "message": message,
        "mail": parsed(raw),
        "frame_url": base + "/frame",
        "eml_url": base + ".eml" if raw is not None else None,
        "sandbox": FRAME_SANDBOX,
        "operator": request.state.operator,
    }
    return render(request, "original.html", context)


@operator_required
def original_frame(request: Request) -> Response:
    deps = _deps(request)
    with deps.read_session() as session:
        message = _email_message(request, session)
        if message is None:
            return _not_found(request)
        files = attachments_by_message(session, [message.id or 0]).get(message.id or 0, [])
        raw = None if message.html else _raw_of(session, message)
    if message.html:
        links = deps.file_links
        urls = {
            file.content_id: links.visitor_path(file.id or 0, message.conversation_id) + "?preview=1"
            for file in files
            if file.content_id
        }
        body = resolve_cid(message.html, urls.get)
    else:
        mail = parsed(raw)
        text = mail.text if mail else message.text
        body = preformatted(text)
    return frame_response(request, body)


def preformatted(text: str) -> str:
    """Plain text as the frame shows it: escaped, wrapped, in the page's font."""
    return f'<pre style="white-space:pre-wrap;font:inherit">{html_lib.escape(text)}</pre>'


def frame_response(request: Request, body: str) -> Response:
    origin = f"{request.url.scheme}://{request.url.netloc}"
    policy = (
        f"default-src 'none'; img-src {origin}; style-src 'unsafe-inline'; "
        f"form-action 'none'; frame-ancestors {origin}; sandbox {FRAME_SANDBOX}"
    )
    document = (
        '<!doctype html><html><head><meta charset="utf-8"><base target="_blank">'
        f"<style>{_FRAME_STYLE}</style></head><body>{body}</body></html>"
    )
    headers = {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "private, no-store",
    }
    return HTMLResponse(document, headers=headers)


@operator_required
def original_eml(request: Request) -> Response:
    with _deps(request).read_session() as session:
        message = _email_message(request, session)
        raw = _raw_of(session, message) if message else None
    if message is None or raw is None:
        return _not_found(request)
    return bytes_response(raw, f"message-{message.id}.eml", "message/rfc822")
