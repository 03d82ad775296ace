"""Signatures, mobile footers and closings (inbound.signature)."""

from __future__ import annotations

import pytest

from inbound.clean import CleanedReply, clean_text_reply

# --- signatures --------------------------------------------------------------------------------


@pytest.mark.parametrize("delimiter", ["-- ", "--"])
def test_signature_after_delimiter_is_removed(delimiter: str) -> None:
    cleaned = clean_text_reply(f"Invoice tomorrow.\n\n{delimiter}\nIvan Petrov\nACME Ltd\n")

    assert cleaned == CleanedReply(text="Invoice tomorrow.", quoted="", signature="--\nIvan Petrov\nACME Ltd")


@pytest.mark.parametrize("delimiter", ["—", "—————"])
def test_signature_after_a_line_of_em_dashes_is_removed(delimiter: str) -> None:
    cleaned = clean_text_reply(f"Thanks for the update!\n\n{delimiter}\nSarah Johnson\nProduct Manager\n")

    assert cleaned.text == "Thanks for the update!"
    assert cleaned.signature.endswith("Product Manager")


def test_double_dash_inside_a_line_is_not_a_signature() -> None:
    message = "It works -- but only for small files.\nAny idea why?"

    assert clean_text_reply(message).text == message


def test_double_dash_followed_by_a_long_text_is_not_a_signature() -> None:
    message = "Steps:\n--\n" + "\n".join(f"{step}. do something" for step in range(1, 20))

    assert clean_text_reply(message).text == message


@pytest.mark.parametrize(
    "footer",
    [
        "Sent from my iPhone",
        "Sent from my iPad",
        "Отправлено с iPhone",
        "Отправлено из мобильной Почты Mail.ru",
        "Отправлено с мобильного устройства Яндекс.Почты",
        "Sent from my Samsung Galaxy smartphone.",
        "Get Outlook for Android",
        "Sent from Yahoo Mail for iPhone",
        "Get Outlook for iOS<https://aka.ms/o0ukef>",
        "Download Outlook for Android<https://aka.ms/ghei36>",
        "Получить Outlook для iOS<https://aka.ms/o0ukef>",
        "Скачайте Outlook для Android",
        "Sent via the Samsung Galaxy S9, an AT&T 4G LTE smartphone",
        "Get Outlook for iOS [https://aka.ms/o0ukef]",
    ],
)
def test_mobile_footer_is_removed_as_signature(footer: str) -> None:
    cleaned = clean_text_reply(f"Call me tomorrow.\n\n{footer}\n")

    assert cleaned.text == "Call me tomorrow."
    assert cleaned.signature == footer


def test_sent_from_phrase_followed_by_more_text_is_kept() -> None:
    message = "Отправлено с сайта: форма не сработала.\nТелефон: +7 900 000-00-00"

    assert clean_text_reply(message).text == message


# --- closings ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "closing",
    [
        "Best regards,\nBob",
        "Kind regards,\nSarah Mitchell\nProcurement Manager",
        "Thanks,\n\nMike",
        "Cheers!",
        "Best regards, Bob",
        "С уважением,\nОльга",
        "С уважением, Ольга Петрова",
        "Спасибо!\nИван",
        "Всего доброго,\nНаталья\nООО «Ромашка»",
    ],
)
def test_a_closing_at_the_end_goes_with_the_signature(closing: str) -> None:
    cleaned = clean_text_reply(f"The invoice is paid.\n\n{closing}\n")

    assert cleaned == CleanedReply(text="The invoice is paid.", quoted="", signature=closing)


def test_a_closing_above_a_delimiter_signature_goes_too() -> None:
    cleaned = clean_text_reply("Paid.\n\nBest regards,\nAmy\n\n-- \nAmy Smith\nACME\n")

    assert cleaned.text == "Paid."
    assert cleaned.signature == "Best regards,\nAmy\n\n--\nAmy Smith\nACME"


@pytest.mark.parametrize(
    "message",
    [
        "Can you check the log?\n\nThanks for your help with this!",
        "It failed.\n\nThanks,\nI will try once more tomorrow morning and let you know how it went.",
        "It failed.\n\nRegards,\nBob\nPS: the log is attached too, see the second file?",
        "Всё заработало.\n\nСпасибо, Анна!",
        "Best regards from Lisbon! The workshop went great.\n\nCould you send the slides?",
        "С уважением,\nОльга",
    ],
    ids=[
        "thanks sentence",
        "sentence after",
        "too long a tail",
        "thanks to the operator",
        "not at the end",
        "nothing else",
    ],
)
def test_text_that_only_looks_like_a_closing_is_kept(message: str) -> None:
    assert clean_text_reply(message).text == message
