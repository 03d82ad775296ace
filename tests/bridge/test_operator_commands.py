"""Operators run the desk from their mail client: commands in replies, applied all or nothing."""

from __future__ import annotations

from sqlmodel import Session, select

from bridge.context import Context
from chatcore.models import Conversation, Job, OutboxMail
from chatcore.services import Desk
from tests.bridge.pipeline_scene import Scene, deliver, mail, messages, operator_address, scene, spool
from tests.support.factories import add_operator, change_operator
from tests.support.mail import text_of_raw

__all__ = ["scene"]  # the fixture, imported for these tests


def from_olga(context: Context, scene: Scene, body: str, key: str) -> None:
    deliver(context, mail("olga@example.com", operator_address(context, scene), body), key)


def conversation(context: Context, scene: Scene) -> tuple[Conversation, list[str]]:
    with Session(context.engine) as session:
        row = session.get(Conversation, scene.conversation_id)
        assert row is not None
        return row, Desk(session, context.clock.now()).tags_of(row)


def notices_to_olga(context: Context) -> list[OutboxMail]:
    with Session(context.engine) as session:
        query = select(OutboxMail).where(OutboxMail.recipient == "olga@example.com")
        return [row for row in session.exec(query) if row.kind == "operator_refused"]


def test_note_is_posted_as_an_internal_note_and_nothing_is_scheduled_for_the_visitor(
    context: Context, scene: Scene
) -> None:
    deliver(
        context, mail("olga@example.com", operator_address(context, scene), "#note\nVIP, be gentle"), "k1"
    )
    [note] = messages(context)
    assert note.is_note
    assert note.text == "VIP, be gentle"
    with Session(context.engine) as session:
        assert session.exec(select(Job)).all() == []


def test_commands_then_text(context: Context, scene: Scene) -> None:
    body = "#tag billing\n#assign me\n#close\nRefund sent, closing.\n\nOn Mon, Anna wrote:\n> refund?"
    from_olga(context, scene, body, "k1")
    row, tags = conversation(context, scene)
    assert tags == ["billing"]
    assert row.assignee_id == scene.operator_id
    assert row.status == "closed"
    assert [m.text for m in messages(context)] == ["Refund sent, closing."]


def test_commands_alone_post_nothing(context: Context, scene: Scene) -> None:
    from_olga(context, scene, "#close", "k1")
    assert conversation(context, scene)[0].status == "closed"
    assert messages(context) == []
    assert spool(context, "k1").status == "done"


def test_assign_to_a_colleague_and_reopen(context: Context, scene: Scene) -> None:
    with Session(context.engine) as session:
        ivan = add_operator(session, "ivan@example.com", now=context.clock.now())
        session.commit()
        ivan_id = ivan.id
    from_olga(context, scene, "#close", "k1")
    deliver(
        context,
        mail("olga@example.com", operator_address(context, scene), "#reopen\n#assign ivan@example.com"),
        "k2",
    )
    row, _ = conversation(context, scene)
    assert row.status == "open"
    assert row.assignee_id == ivan_id


def test_unknown_command_changes_nothing_and_the_operator_is_told(context: Context, scene: Scene) -> None:
    deliver(
        context, mail("olga@example.com", operator_address(context, scene), "#close\n#frobnicate\nBye"), "k1"
    )
    row, _ = conversation(context, scene)
    assert row.status == "open"
    assert messages(context) == []
    [notice] = notices_to_olga(context)
    assert b"#frobnicate is not a command" in notice.raw.replace(b"=\r\n", b"")


def test_refused_command_rolls_back_the_ones_before_it(context: Context, scene: Scene) -> None:
    body = "#tag urgent\n#assign nobody@example.com\nOn it"
    from_olga(context, scene, body, "k1")
    row, tags = conversation(context, scene)
    assert tags == []
    assert row.assignee_id is None
    assert messages(context) == []
    [notice] = notices_to_olga(context)
    assert b"no active operator" in notice.raw.replace(b"=\r\n", b"")


def test_a_russian_operator_is_told_in_russian_what_was_wrong_with_the_commands(
    context: Context, scene: Scene
) -> None:
    change_operator(context.engine, scene.operator_id, language="ru")
    from_olga(context, scene, "#close now\n#frobnicate\nПока", "k1")

    [notice] = notices_to_olga(context)
    text = text_of_raw(notice.raw)
    assert "После #close ничего не пишется, а здесь «now»; команды #frobnicate нет" in text
    assert "Исправьте команду" in text, "the hint for a command"
