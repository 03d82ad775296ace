"""Operators attach files to a reply; the visitor's widget lists them and fetches them by signed URL."""

from __future__ import annotations

from pathlib import Path

from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bridge.context import Context
from chatcore.models import Attachment, Conversation, Message, Operator
from tests.webui.conftest import csrf_from, log_in
from tests.webui.test_pages import MESSAGES, only_conversation, visitor_writes
from webui.file_links import FileLinks

PDF = b"%PDF-1.4\n% a small test file\n%%EOF\n"


def reply(
    client: TestClient, conversation_id: int, text: str, files: list[tuple[str, bytes, str]], **data: str
) -> tuple[int, str]:
    token = csrf_from(client.get(f"/inbox/{conversation_id}").text)
    response = client.post(
        f"/inbox/{conversation_id}/reply",
        data={"text": text, "csrf": token, **data},
        files=[("files", file) for file in files],
    )
    return response.status_code, response.text


def open_dialog(client: TestClient, context: Context, text: str = "Здравствуйте!") -> Conversation:
    """A visitor writes from the widget, then the operator logs in on the same client."""
    visitor_writes(client, text)
    conversation = only_conversation(context)
    log_in(client)
    return conversation


def stored_files(context: Context) -> list[Attachment]:
    with Session(context.engine) as session:
        return list(session.exec(select(Attachment).order_by(col(Attachment.id))))


def widget_files(client: TestClient) -> list[dict[str, object]]:
    return [f for m in client.get(MESSAGES).json()["messages"] for f in m["files"]]


def test_an_operator_file_reaches_the_widget_and_downloads_by_its_signed_url(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation = open_dialog(client, context, "Can you send the invoice?")

    status, _ = reply(client, conversation.id or 0, "Here it is.", [("счёт 7.pdf", PDF, "application/pdf")])

    assert status == 303
    [listed] = widget_files(client)
    assert listed["name"] == "счёт 7.pdf"
    assert listed["size"] == len(PDF)
    client.cookies.clear()  # no operator session, no visitor cookie: the URL alone is the key
    got = client.get(str(listed["url"]))
    assert got.status_code == 200
    assert got.content == PDF
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["content-disposition"].startswith("attachment;")


def test_a_tampered_or_moved_token_is_refused(client: TestClient, context: Context, operator_id: int) -> None:
    conversation = open_dialog(client, context)
    reply(
        client,
        conversation.id or 0,
        "Two files",
        [("a.pdf", PDF, "application/pdf"), ("b.txt", b"b", "text/plain")],
    )
    first, second = widget_files(client)
    url = str(first["url"])
    prefix, token = url.rsplit("/", 1)
    flipped = token[:-1] + ("A" if token[-1] != "A" else "B")

    assert client.get(f"{prefix}/{flipped}").status_code == 404
    assert client.get(f"{prefix}/{token[:-2]}").status_code == 404
    assert client.get(f"/files/{second['id']}/{token}").status_code == 404  # a's token on b
    assert client.get(f"/files/{second['id']}/{token}").content != b"b"
    assert client.get(url).content == PDF


def test_a_file_in_an_internal_note_never_reaches_the_visitor(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation = open_dialog(client, context)
    reply(client, conversation.id or 0, "For colleagues", [("secret.pdf", PDF, "application/pdf")], note="1")

    [attachment] = stored_files(context)
    assert widget_files(client) == []
    path = FileLinks(context.settings.site.secret_keys).visitor_path(attachment.id or 0, conversation.id or 0)
    assert client.get(path).status_code == 404


def test_a_too_large_file_shows_the_error_beside_the_field_and_posts_nothing(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation = open_dialog(client, context)
    limit = context.settings.uploads.max_file_size
    big = b"x" * (limit + 1)

    status, page = reply(
        client, conversation.id or 0, "Keep this text", [("big.zip", big, "application/zip")]
    )

    assert status == 413
    form = page.split(f'<form method="post" action="/inbox/{conversation.id}/reply"', 1)[1].split(
        "</form>", 1
    )[0]
    assert "“big.zip” is larger than 2 MB, the most a file may be. Nothing was sent." in form
    field, error = form.index('name="files"'), form.index('id="files-error"')
    assert 0 < error - field < 200, "the error stands right after the file field"
    assert ">Keep this text</textarea>" in form
    with Session(context.engine) as session:
        assert [m.author_kind for m in session.exec(select(Message))] == ["visitor"]
    assert stored_files(context) == []
    assert not [p for p in Path(context.settings.uploads.dir).rglob("*") if p.is_file()]


def test_the_error_is_in_russian_for_a_russian_operator(
    client: TestClient, context: Context, operator_id: int
) -> None:
    visitor_writes(client)
    conversation = only_conversation(context)
    with Session(context.engine) as session:
        operator = session.get(Operator, operator_id)
        assert operator is not None
        operator.language = "ru"
        session.add(operator)
        session.commit()
    log_in(client)
    big = b"x" * (context.settings.uploads.max_file_size + 1)

    status, page = reply(client, conversation.id or 0, "Текст", [("большой.zip", big, "application/zip")])

    assert status == 413
    assert "«большой.zip» больше 2 МБ — это предел для одного файла. Ничего не отправлено." in page
    assert "Прикрепить файлы (до 2 МБ каждый)" in page


def test_a_file_alone_is_a_reply(client: TestClient, context: Context, operator_id: int) -> None:
    conversation = open_dialog(client, context)

    status, _ = reply(client, conversation.id or 0, "", [("photo.png", b"\x89PNG\r\n\x1a\n", "image/png")])

    assert status == 303
    messages = client.get(MESSAGES).json()["messages"]
    assert messages[-1]["text"] == ""
    assert [f["name"] for f in messages[-1]["files"]] == ["photo.png"]
    assert messages[-1]["files"][0]["image"] is True


def test_an_uploaded_filename_loses_folders_and_control_characters(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation = open_dialog(client, context)
    token = csrf_from(client.get(f"/inbox/{conversation.id}").text)
    body = (
        b'--b\r\nContent-Disposition: form-data; name="csrf"\r\n\r\n' + token.encode() + b"\r\n"
        b'--b\r\nContent-Disposition: form-data; name="text"\r\n\r\nx\r\n'
        b'--b\r\nContent-Disposition: form-data; name="files"; '
        b'filename="..\\..\\etc\\ev\x0bil%0D%0A\x00X.pdf"'
        b"\r\nContent-Type: text/html\r\n\r\n" + PDF + b"\r\n--b--\r\n"
    )
    response = client.post(
        f"/inbox/{conversation.id}/reply",
        content=body,
        headers={"Content-Type": "multipart/form-data; boundary=b"},
    )
    assert response.status_code == 303

    [attachment] = stored_files(context)
    assert attachment.filename == "evil%0D%0AX.pdf"  # browsers send CR/LF percent-encoded: text, not a break
    got = client.get(f"/inbox/{conversation.id}/files/{attachment.id}")
    assert got.content == PDF
    assert got.headers["content-type"] == "application/octet-stream"
    assert got.headers["content-disposition"] == (
        "attachment; filename=\"evil_0D_0AX.pdf\"; filename*=UTF-8''evil%250D%250AX.pdf"
    )


def test_a_reply_with_files_but_without_the_csrf_token_stores_nothing(
    client: TestClient, context: Context, operator_id: int
) -> None:
    conversation = open_dialog(client, context)
    response = client.post(
        f"/inbox/{conversation.id}/reply",
        data={"text": "Hello"},
        files=[("files", ("a.pdf", PDF, "application/pdf"))],
    )
    assert response.status_code == 400
    assert stored_files(context) == []
