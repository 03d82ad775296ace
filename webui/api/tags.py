"""/api/v1/tags: every tag with its count (for everybody); renaming, colours, merging and deleting
them (admins), through chatcore.tags as Settings → Tags."""

from __future__ import annotations

from typing import Any

from starlette.responses import Response

from chatcore import tags
from webui.api.auth import require_admin
from webui.api.endpoint import ApiCall
from webui.api.schemas import TagChangesBody, TagMergeBody


def tag_json(tag: tags.TagCount) -> dict[str, Any]:
    return {"name": tag.name, "colour": tag.colour or "grey", "conversations": tag.conversations}


def list_tags(call: ApiCall) -> dict[str, Any]:
    return {"items": [tag_json(found) for found in tags.counts(call.session)]}


def _name(call: ApiCall) -> str:
    return str(call.request.path_params["name"])


def _counted(call: ApiCall, name: str) -> dict[str, Any]:
    found = next(t for t in tags.counts(call.session) if t.name == name)
    return tag_json(found)


def change_tag(call: ApiCall) -> dict[str, Any]:
    require_admin(call.operator)
    body = call.body(TagChangesBody)
    tag = tags.change(call.session, _name(call), body.name, body.colour)
    call.commit([])
    return _counted(call, tag.name)


def merge_tag(call: ApiCall) -> dict[str, Any]:
    require_admin(call.operator)
    body = call.body(TagMergeBody)
    target = tags.merge(call.session, _name(call), body.into)
    call.commit([])
    return _counted(call, target.name)


def delete_tag(call: ApiCall) -> Response:
    require_admin(call.operator)
    tags.remove(call.session, _name(call))
    call.commit([])
    return Response(status_code=204)
