"""The route step: where a mail belongs (reply-address token, Message-ID, sender), and which forged
operator replies are quarantined."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bridge.context import Context
from bridge.steps.route import route_mail
from bridge.tokens import Party, Token
from tests.bridge.pipeline_scene import (
    SUPPORT,
    Scene,
    deliver,
    item_of,
    mail,
    messages,
    operator_address,
    scene,
    spool,
)

__all__ = ["scene"]  # the fixture, imported for these tests


def test_a_duplicate_is_not_routed(context: Context, scene: Scene) -> None:
    forged = mail("mallory@evil.test", operator_address(context, scene))
    with Session(context.engine) as session:
        item = replace(item_of(forged), duplicate=True)
        assert route_mail(item, session, context).route is None  # nor quarantined: it is stored already


def test_operator_reply_from_their_address_posts_an_operator_message(context: Context, scene: Scene) -> None:
    body = "Your order ships today.\n\nOn Mon, Anna wrote:\n> Where is my order?\n"
    deliver(context, mail("Olga <olga@example.com>", operator_address(context, scene), body), "k1")

    [message] = messages(context)
    assert message.author_kind == "operator"
    assert message.operator_id == scene.operator_id
    assert message.conversation_id == scene.conversation_id
    assert message.source == "email"
    assert message.text == "Your order ships today."
    assert spool(context, "k1").status == "done"


def test_operator_reply_from_an_alternate_address_is_accepted(context: Context, scene: Scene) -> None:
    deliver(context, mail("olga@home.example", operator_address(context, scene)), "k1")
    assert [m.author_kind for m in messages(context)] == ["operator"]


def test_operator_token_from_another_address_is_quarantined(context: Context, scene: Scene) -> None:
    deliver(context, mail("mallory@evil.test", operator_address(context, scene), "Refund granted!"), "k1")

    assert messages(context) == []
    row = spool(context, "k1")
    assert row.status == "quarantined"
    assert "mallory@evil.test" in row.reason
    assert "not that operator's address" in row.reason


def test_a_tampered_operator_token_does_not_route_as_that_operator(context: Context, scene: Scene) -> None:
    address = operator_address(context, scene)
    local, domain = address.split("@")
    last = local[-3]
    tampered = f"{local[:-3]}{'a' if last != 'a' else 'b'}{local[-2:]}@{domain}"
    deliver(context, mail("olga@example.com", tampered, "Refund granted!"), "k1")

    assert messages(context) == []
    row = spool(context, "k1")
    assert row.status == "quarantined"
    assert row.reason.startswith(f"route: the reply address {tampered} carries a token that does not verify")


def test_a_tampered_token_is_quarantined_even_beside_a_valid_message_id(
    context: Context, scene: Scene
) -> None:
    ours = context.codec.message_id(
        Token(Party.OPERATOR, scene.conversation_id, scene.operator_id).stamped(context.clock.now()),
        "a",
        "example.com",
    )
    local, domain = operator_address(context, scene).split("@")
    tampered = f"{local[:-1]}{'a' if local[-1] != 'a' else 'b'}@{domain}"
    deliver(context, mail("olga@example.com", tampered, "Refund granted!", In_Reply_To=f"<{ours}>"), "k1")

    assert messages(context) == []
    assert spool(context, "k1").status == "quarantined"


def test_a_plus_part_that_is_no_token_starts_a_conversation(context: Context) -> None:
    deliver(context, mail("bob@example.net", "support+sales@example.com", "Prices?"), "k1")
    assert [m.author_kind for m in messages(context)] == ["visitor"]


def test_reply_with_only_our_message_id_routes(context: Context, scene: Scene) -> None:
    ours = context.codec.message_id(
        Token(Party.VISITOR, scene.conversation_id, scene.contact_id), "abc", "example.com"
    )
    deliver(context, mail("anna@example.org", SUPPORT, "Thanks!", In_Reply_To=f"<{ours}>"), "k1")

    [message] = messages(context)
    assert message.author_kind == "visitor"
    assert message.conversation_id == scene.conversation_id
    assert not message.from_other_address


def test_operator_token_in_message_id_still_checks_the_sender(context: Context, scene: Scene) -> None:
    ours = context.codec.message_id(
        Token(Party.OPERATOR, scene.conversation_id, scene.operator_id).stamped(context.clock.now()),
        "a",
        "example.com",
    )
    deliver(context, mail("mallory@evil.test", SUPPORT, "hi", References=f"<{ours}>"), "k1")
    assert messages(context) == []
    assert spool(context, "k1").status == "quarantined"


def test_a_stored_message_id_routes(context: Context) -> None:
    first_id = "first-1@client.example"
    deliver(context, mail("Bob <bob@example.net>", message_id=f"<{first_id}>", subject="Invoice"), "k1")
    deliver(
        context,
        mail("bob@example.net", text="One more thing", subject="Re: Invoice", References=f"<{first_id}>"),
        "k2",
    )

    first, second = messages(context)
    assert second.conversation_id == first.conversation_id
    assert second.verdicts["route"] == "stored Message-ID"


def test_a_visitor_reply_from_another_address_is_labelled(context: Context, scene: Scene) -> None:
    address = context.codec.reply_address(
        SUPPORT, Token(Party.VISITOR, scene.conversation_id, scene.contact_id)
    )
    deliver(context, mail("anna.work@example.org", address), "k1")

    [message] = messages(context)
    assert message.conversation_id == scene.conversation_id
    assert message.from_other_address
    assert message.from_address == "anna.work@example.org"
