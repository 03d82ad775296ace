"""Avatar upload on the profile page and the public route that serves avatars by content hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge import notifications
from bridge.blobs import BlobStore
from bridge.context import Context
from bridge.db import transaction
from chatcore.models import Conversation, Operator
from chatcore.services import Desk, NewMessage
from tests.support.factories import change_operator
from tests.support.images import gif, padded_png, png
from tests.webui.conftest import csrf_from, log_in
from tests.webui.test_profile import error_beside

AVATAR = "/inbox/profile/avatar"
WEBP = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00\x2f\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"
LIMIT = 1024 * 1024  # uploads.max_avatar_size in the test settings (the default)


def upload(client: TestClient, data: bytes, content_type: str = "image/png", name: str = "me.png") -> str:
    csrf = csrf_from(client.get("/inbox/profile").text)
    response = client.post(AVATAR, data={"csrf": csrf}, files={"avatar": (name, data, content_type)})
    return f"{response.status_code} {response.text}"


def avatar_of(context: Context, operator_id: int) -> str | None:
    with Session(context.engine) as session:
        operator = session.get(Operator, operator_id)
        assert operator is not None
        return operator.avatar_sha256


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (png(), "image/png"),
        (gif(), "image/gif"),
        (WEBP, "image/webp"),
        (b"\xff\xd8\xff\xe0" + b"\0" * 64, "image/jpeg"),
    ],
)
def test_an_image_is_stored_by_hash_and_served_with_its_real_type(
    client: TestClient, context: Context, operator_id: int, tmp_path: Path, data: bytes, content_type: str
) -> None:
    log_in(client)
    # The type the browser claims is not trusted: the bytes decide.
    assert upload(client, data, "application/octet-stream", "../../etc/passwd").startswith("303 ")
    digest = hashlib.sha256(data).hexdigest()
    assert avatar_of(context, operator_id) == digest
    assert BlobStore(tmp_path / "files").read(digest) == data
    assert f'src="/avatars/{digest}"' in client.get("/inbox/profile").text

    client.cookies.clear()  # the route is public: visitors' mail clients fetch it
    served = client.get(f"/avatars/{digest}")
    assert served.status_code == 200
    assert served.content == data
    assert served.headers["content-type"] == content_type
    assert served.headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    ("data", "content_type", "message"),
    [
        (
            b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "image/svg+xml",
            "Only PNG",
        ),
        (b"<html><script>alert(1)</script></html>", "image/png", "Only PNG"),
        (b"", "image/png", "Choose an image file."),
        (padded_png(LIMIT + 1), "image/png", "The image must be at most 1 MB."),
        (padded_png(LIMIT + 200 * 1024), "image/png", "The image must be at most 1 MB."),
    ],
)
def test_a_refused_upload_is_explained_beside_the_field(
    client: TestClient, context: Context, operator_id: int, data: bytes, content_type: str, message: str
) -> None:
    log_in(client)
    before = png(3, 3)
    assert upload(client, before).startswith("303 ")
    result = upload(client, data, content_type)
    assert result.split()[0] in {"413", "422"}
    assert error_beside(result, "avatar").startswith(message)
    assert avatar_of(context, operator_id) == hashlib.sha256(before).hexdigest()


def test_an_image_of_exactly_the_limit_is_accepted(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    assert upload(client, padded_png(LIMIT)).startswith("303 ")
    assert avatar_of(context, operator_id) == hashlib.sha256(padded_png(LIMIT)).hexdigest()


def test_the_size_error_is_in_russian_for_a_russian_operator(
    client: TestClient, context: Context, operator_id: int
) -> None:
    change_operator(context.engine, operator_id, language="ru")
    log_in(client)
    result = upload(client, padded_png(LIMIT + 1))
    assert error_beside(result, "avatar") == "Изображение должно быть не больше 1 МБ."


def test_an_upload_without_its_csrf_token_changes_nothing(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    response = client.post(AVATAR, data={"csrf": "forged"}, files={"avatar": ("a.png", png(), "image/png")})
    assert response.status_code == 400
    assert avatar_of(context, operator_id) is None


def test_the_avatar_can_be_removed(client: TestClient, context: Context, operator_id: int) -> None:
    log_in(client)
    assert upload(client, png()).startswith("303 ")
    digest = avatar_of(context, operator_id)
    csrf = csrf_from(client.get("/inbox/profile").text)
    assert client.post(AVATAR, data={"csrf": csrf, "remove": "1"}).status_code == 303
    assert avatar_of(context, operator_id) is None
    assert client.get(f"/avatars/{digest}").status_code == 404


def test_only_avatars_are_served_not_other_blobs(
    client: TestClient, operator_id: int, tmp_path: Path
) -> None:
    attachment = BlobStore(tmp_path / "files").put(png(5, 5))  # e.g. an image that came with a mail
    assert client.get(f"/avatars/{attachment}").status_code == 404
    assert client.get("/avatars/../../config.toml").status_code == 404
    assert client.get("/avatars/" + "A" * 64).status_code == 404


def test_the_widget_shows_the_operators_avatar(
    client: TestClient, context: Context, operator_id: int
) -> None:
    log_in(client)
    assert upload(client, png()).startswith("303 ")
    client.post("/api/widget/messages", json={"text": "Hello?"})
    with transaction(context.engine) as session:
        desk = Desk(session, context.clock.now())
        conversation = session.exec(select(Conversation)).one()
        olga = session.get(Operator, operator_id)
        assert olga is not None
        events = desk.post_operator_message(conversation, olga, NewMessage(text="Hi!", source="web"))
        notifications.react(session, context, events)
    messages = client.get("/api/widget/messages").json()["messages"]
    assert [m["author_avatar"] for m in messages] == ["", f"/avatars/{avatar_of(context, operator_id)}"]
    assert client.get(messages[1]["author_avatar"]).status_code == 200
