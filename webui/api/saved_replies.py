"""/api/v1/saved-replies: shared ones for everybody, personal ones for their owner alone."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from starlette.responses import JSONResponse, Response

from chatcore import saved_replies
from chatcore.models import Operator, SavedReply
from chatcore.services import Desk
from webui.api.endpoint import ApiCall
from webui.api.errors import ApiError
from webui.api.schemas import NewSavedReplyBody, SavedReplyChangesBody
from webui.api.views import saved_reply_json

MAX_QUERY = 200


def _json(call: ApiCall, replies: list[SavedReply]) -> list[dict[str, Any]]:
    owner_ids = {reply.owner_id for reply in replies if reply.owner_id is not None}
    owners = (
        {o.id: o for o in call.session.exec(select(Operator).where(col(Operator.id).in_(owner_ids)))}
        if owner_ids
        else {}
    )
    return [
        saved_reply_json(reply, owners.get(reply.owner_id or 0), saved_replies.may_edit(reply, call.operator))
        for reply in replies
    ]


def list_replies(call: ApiCall) -> dict[str, Any]:
    """The saved replies the caller sees (shared ones and their own), by title; q= searches."""
    wanted = call.request.query_params.get("q")
    if wanted is not None and len(wanted) > MAX_QUERY:
        raise ApiError(422, f"q has at most {MAX_QUERY} characters", "q")
    found = saved_replies.search(call.session, call.operator, wanted)
    return {"items": _json(call, found)}


def create_reply(call: ApiCall) -> Response:
    body = call.body(NewSavedReplyBody)
    draft = saved_replies.ReplyDraft(title=body.title, text=body.text, shared=body.shared)
    reply, events = Desk(call.session, call.deps.clock.now()).add_saved_reply(call.operator, draft)
    call.commit(events)
    return JSONResponse(_json(call, [reply])[0], status_code=201)


def _reply_id(call: ApiCall) -> int:
    return call.path_id("reply_id", "saved reply")


def change_reply(call: ApiCall) -> dict[str, Any]:
    reply_id = _reply_id(call)
    body = call.body(SavedReplyChangesBody)
    changes = saved_replies.ReplyChanges(title=body.title, text=body.text, shared=body.shared)
    desk = Desk(call.session, call.deps.clock.now())
    reply, events = desk.change_saved_reply(reply_id, call.operator, changes)
    call.commit(events)
    return _json(call, [reply])[0]


def delete_reply(call: ApiCall) -> Response:
    reply_id = _reply_id(call)
    call.commit(Desk(call.session, call.deps.clock.now()).delete_saved_reply(reply_id, call.operator))
    return Response(status_code=204)
