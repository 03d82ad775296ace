"""Files on messages: rows written with the message, names and types made safe, sizes to show."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from chatcore.errors import DomainError
from chatcore.files import (
    NewAttachment,
    attachments_by_message,
    display_filename,
    normal_content_type,
    size_parts,
)
from chatcore.models import Conversation, Operator, Source
from chatcore.services import Desk, NewMessage
from tests.chatcore import test_services as setup
from tests.support.clock import ManualClock

session, contact, operator, conversation = setup.session, setup.contact, setup.operator, setup.conversation

DIGEST = "a" * 64


def test_a_file_alone_is_a_message_and_its_row_is_written_with_it(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    file = NewAttachment(DIGEST, "счёт.pdf", "Application/PDF; name=x", 42)
    events = Desk(session, clock.now()).post_operator_message(
        conversation, operator, NewMessage(text=" ", source=Source.WEB, attachments=(file,))
    )
    session.commit()

    [posted] = [e.message_id for e in events if hasattr(e, "message_id")]
    [row] = attachments_by_message(session, [posted])[posted]
    assert (row.sha256, row.filename, row.content_type, row.size) == (
        DIGEST,
        "счёт.pdf",
        "application/pdf",
        42,
    )


def test_neither_text_nor_file_is_refused(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    with pytest.raises(DomainError, match="text or a file"):
        Desk(session, clock.now()).post_operator_message(conversation, operator, NewMessage(text="  "))


def test_attachments_by_message_keeps_the_order_and_skips_messages_without_files(
    session: Session, clock: ManualClock, conversation: Conversation, operator: Operator
) -> None:
    desk = Desk(session, clock.now())
    files = tuple(NewAttachment(DIGEST, f"{n}.txt", "text/plain", n) for n in (3, 1, 2))
    with_files = desk.post_operator_message(conversation, operator, NewMessage(text="x", attachments=files))
    without = desk.post_operator_message(conversation, operator, NewMessage(text="y"))
    ids = [e.message_id for e in with_files + without if hasattr(e, "message_id")]

    found = attachments_by_message(session, ids)

    assert list(found) == [ids[0]]
    assert [a.filename for a in found[ids[0]]] == ["3.txt", "1.txt", "2.txt"]
    assert attachments_by_message(session, []) == {}


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\anna\\Desktop\\отчёт.docx", "отчёт.docx"),
        ("../../etc/passwd", "passwd"),
        ("a\r\nX-Injected: 1.pdf", "aX-Injected: 1.pdf"),
        ("a\u2028b\x00c\x7f.txt", "abc.txt"),
        ("..", "file"),
        ("   ", "file"),
        ("x" * 300 + ".pdf", "x" * 196 + ".pdf"),
    ],
)
def test_display_filenames_have_no_folders_controls_or_excess(raw: str, shown: str) -> None:
    assert display_filename(raw) == shown


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        ("image/PNG", "image/png"),
        ("text/plain; charset=utf-8", "text/plain"),
        ("text/html\r\nX: y", "application/octet-stream"),
        ("nonsense", "application/octet-stream"),
        ("", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_content_types_are_normalised_or_replaced(raw: str | None, normal: str) -> None:
    assert normal_content_type(raw) == normal


@pytest.mark.parametrize(
    ("size", "parts"),
    [
        (0, ("0", "B")),
        (1023, ("1023", "B")),
        (1536, ("1.5", "KB")),
        (10 * 1024, ("10", "KB")),
        (2 * 1024 * 1024, ("2", "MB")),
        (int(2.25 * 1024 * 1024), ("2.2", "MB")),
    ],
)
def test_sizes_to_show(size: int, parts: tuple[str, str]) -> None:
    assert size_parts(size) == parts
