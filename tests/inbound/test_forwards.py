"""Forwarded messages are kept (inbound.forwards), in full, unless they sit inside quoted history."""

from __future__ import annotations

import pytest

from inbound.clean import clean_text_reply

SUPPORT = "Relaydesk Support <support+k3x9qf@relaydesk.example>"


# --- forwards ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "marker",
    [
        "---------- Forwarded message ---------",
        "-------- Forwarded Message --------",
        "-------- Пересылаемое сообщение --------",
        "-------- Перенаправленное сообщение --------",
        "Begin forwarded message:",
        "Начало переадресованного сообщения:",
    ],
)
def test_forwarded_message_is_kept_in_full(marker: str) -> None:
    message = f"See below.\n\n{marker}\nFrom: Olga <olga@example.org>\nDate: Mon, 21 Nov\n\n> quoted\nBody"

    cleaned = clean_text_reply(message)

    assert cleaned.text == message
    assert cleaned.quoted == ""


def test_a_forward_keeps_its_lines_as_sent_while_the_text_above_loses_trailing_spaces() -> None:
    message = (
        "Посмотрите, пожалуйста.   \n\n"
        "Начало переадресованного сообщения:\n\n> От: Банк  \n> \n> Платёж исполнен."
    )

    cleaned = clean_text_reply(message)

    assert cleaned.text == message.replace("пожалуйста.   ", "пожалуйста.")


def test_forward_inside_quoted_history_goes_with_the_history() -> None:
    message = (
        f"Thanks.\n\nOn Tue, Nov 22, 2026 at 10:15 AM {SUPPORT} wrote:\n"
        "> ---------- Forwarded message ---------\n> From: x@y.example\n"
    )

    assert clean_text_reply(message).text == "Thanks."
