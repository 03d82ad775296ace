"""Files from mail in the dialog, their downloads, the original mail, and what a visitor may fetch."""

from __future__ import annotations

import html
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from sqlmodel import Session, col, select
from starlette.testclient import TestClient

from bridge.blobs import BlobStore
from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import process_pending
from chatcore.models import Attachment, Message
from tests.webui.conftest import log_in

MAIL = Path(__file__).resolve().parents[1] / "data" / "mail"
PDF_AND_CID = "thunderbird-pdf-and-inline-cid-image.eml"
HOSTILE = "hostile-attachment-names-and-active-types.eml"


def deliver(context: Context, name: str, key: str | None = None) -> bytes:
    raw = (MAIL / name).read_bytes()
    assert store_raw(context, key or name, raw, None, ["support@example.com"])
    process_pending(context)
    return raw


def files_of(context: Context, name: str | None = None) -> list[Attachment]:
    with Session(context.engine) as session:
        query = select(Attachment).order_by(col(Attachment.id))
        found = list(session.exec(query))
    return [a for a in found if name is None or a.filename == name]


def conversation_of(context: Context, attachment: Attachment) -> int:
    with Session(context.engine) as session:
        message = session.get(Message, attachment.message_id)
        assert message is not None
        return message.conversation_id


def links(page: str, css_class: str) -> list[str]:
    return [html.unescape(u) for u in re.findall(rf'<a class="{css_class}" href="([^"]+)"', page)]


def test_a_mail_with_a_pdf_and_an_inline_image_shows_both_and_downloads_the_exact_bytes(
    client: TestClient, context: Context, operator_id: int
) -> None:
    deliver(context, PDF_AND_CID)
    pdf, png = files_of(context, "счёт-1024.pdf")[0], files_of(context, "screenshot.png")[0]
    conversation_id = conversation_of(context, pdf)
    log_in(client)

    page = client.get(f"/inbox/{conversation_id}").text
    assert "счёт-1024.pdf" in page
    assert "142 B · application/pdf" in page
    assert "screenshot.png" in page
    downloads = links(page, "download")
    assert downloads == [
        f"/inbox/{conversation_id}/files/{png.id}",
        f"/inbox/{conversation_id}/files/{pdf.id}",
    ]
    assert f'<img class="preview" src="/inbox/{conversation_id}/files/{png.id}?preview=1"' in page

    got = client.get(downloads[1])
    assert got.status_code == 200
    assert got.content.startswith(b"%PDF-1.4")
    assert len(got.content) == 142
    assert got.headers["content-type"] == "application/pdf"
    assert got.headers["x-content-type-options"] == "nosniff"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith('attachment; filename="')
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == "счёт-1024.pdf"

    preview = client.get(f"/inbox/{conversation_id}/files/{png.id}?preview=1")
    assert preview.content == BlobStore(Path(context.settings.uploads.dir)).read(png.sha256)
    assert preview.content.startswith(b"\x89PNG")
    assert preview.headers["content-type"] == "image/png"
    assert preview.headers["content-disposition"].startswith("inline;")


def test_downloads_need_a_session(client: TestClient, context: Context, operator_id: int) -> None:
    deliver(context, PDF_AND_CID)
    pdf = files_of(context, "счёт-1024.pdf")[0]
    path = f"/inbox/{conversation_of(context, pdf)}/files/{pdf.id}"

    response = client.get(path)

    assert response.status_code == 303
    assert response.headers["location"] == f"/login?next={path}"
    assert b"%PDF" not in response.content


def test_an_attachment_of_another_conversation_is_refused(
    client: TestClient, context: Context, operator_id: int
) -> None:
    deliver(context, PDF_AND_CID)
    deliver(context, HOSTILE)
    pdf = files_of(context, "счёт-1024.pdf")[0]
    other = files_of(context, "page.html")[0]
    conversation_id = conversation_of(context, pdf)
    assert conversation_of(context, other) != conversation_id
    log_in(client)

    for attachment_id in (other.id, 999_999):
        response = client.get(f"/inbox/{conversation_id}/files/{attachment_id}")
        assert response.status_code == 404
        assert b"<script>" not in response.content


@pytest.mark.parametrize("name", ["page.html", "logo.svg"])
def test_files_that_could_run_script_are_served_as_inert_downloads(
    client: TestClient, context: Context, operator_id: int, name: str
) -> None:
    deliver(context, HOSTILE)
    attachment = files_of(context, name)[0]
    log_in(client)

    for query in ("", "?preview=1"):
        got = client.get(f"/inbox/{conversation_of(context, attachment)}/files/{attachment.id}{query}")
        assert got.status_code == 200
        assert b"<script>" in got.content  # the exact bytes, but never rendered
        assert got.headers["content-type"] == "application/octet-stream"
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in got.headers["content-security-policy"]


@pytest.mark.parametrize("stored", ["invoiceX-Injected: yes.pdf", "reportX-Injected: yes.txt"])
def test_encoded_cr_lf_in_a_filename_never_makes_a_download_header(
    client: TestClient, context: Context, operator_id: int, stored: str
) -> None:
    deliver(context, HOSTILE)
    [attachment] = files_of(context, stored)
    log_in(client)

    got = client.get(f"/inbox/{conversation_of(context, attachment)}/files/{attachment.id}")

    assert got.status_code == 200
    assert "x-injected" not in got.headers
    raw_names = [name.lower() for name, _ in got.headers.raw]
    assert b"x-injected" not in raw_names
    disposition = got.headers["content-disposition"]
    assert "\r" not in disposition
    assert "\n" not in disposition
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == stored


def test_the_original_is_shown_sandboxed_with_cid_images_resolved_and_downloadable_as_eml(
    client: TestClient, context: Context, operator_id: int
) -> None:
    raw = deliver(context, PDF_AND_CID)
    png = files_of(context, "screenshot.png")[0]
    conversation_id = conversation_of(context, png)
    log_in(client)
    page = client.get(f"/inbox/{conversation_id}").text
    [original] = links(page, "original")

    view = client.get(original)
    assert view.status_code == 200
    frame = re.search(r'<iframe id="original"[^>]*>', view.text)
    assert frame is not None
    sandbox = re.search(r'sandbox="([^"]*)"', frame.group(0))
    assert sandbox is not None
    assert "allow-scripts" not in sandbox.group(1)
    assert "allow-same-origin" not in sandbox.group(1)
    assert "Анна Кузнецова" in view.text
    frame_url = html.unescape(re.search(r'src="([^"]+)"', frame.group(0)).group(1))  # type: ignore[union-attr]

    document = client.get(frame_url)
    policy = document.headers["content-security-policy"]
    assert "default-src 'none'" in policy
    assert "sandbox" in policy
    assert "allow-scripts" not in policy
    assert "cid:" not in document.text
    [image] = [html.unescape(u) for u in re.findall(r'<img src="([^"]+)"', document.text)]
    assert image.startswith(f"/files/{png.id}/")
    client.cookies.clear()  # a sandboxed frame's requests may come without the session cookie
    shown = client.get(image)
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/png"
    assert shown.content.startswith(b"\x89PNG")

    log_in(client)
    [eml] = links(view.text, "eml")
    got = client.get(eml)
    assert got.content == raw
    assert got.headers["content-disposition"].startswith('attachment; filename="message-')
    client.cookies.clear()
    assert client.get(eml).status_code == 303
    assert client.get(frame_url).status_code == 303


def test_the_original_of_a_message_in_another_conversation_is_not_shown(
    client: TestClient, context: Context, operator_id: int
) -> None:
    deliver(context, PDF_AND_CID)
    deliver(context, HOSTILE)
    first = conversation_of(context, files_of(context, "screenshot.png")[0])
    other = files_of(context, "page.html")[0].message_id
    log_in(client)
    for suffix in ("", "/frame", ".eml"):
        assert client.get(f"/inbox/{first}/messages/{other}/original{suffix}").status_code == 404


def test_a_text_only_mail_shows_its_full_text_in_the_frame(
    client: TestClient, context: Context, operator_id: int
) -> None:
    deliver(context, HOSTILE)
    with Session(context.engine) as session:
        message = session.exec(select(Message)).one()
    log_in(client)
    frame = client.get(f"/inbox/{message.conversation_id}/messages/{message.id}/original/frame")
    assert "<pre" in frame.text
    assert "Please open these files." in frame.text
