"""Quoted history in text replies (inbound.quotes), seen through clean_text_reply: what the chat shows."""

from __future__ import annotations

import pytest

from inbound.clean import clean_text_reply

SUPPORT = "Relaydesk Support <support+k3x9qf@relaydesk.example>"


# --- attributions ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "attribution",
    [
        f"On Tue, Nov 22, 2026 at 10:15 AM {SUPPORT} wrote:",
        f"On 22 Nov 2026, at 10:15, {SUPPORT} wrote:",
        "On 11/22/26 10:15, Relaydesk Support wrote:",
        '22.11.2026, 10:15, "Relaydesk Support" <support@relaydesk.example>:',
        f"Вт, 22 нояб. 2026 г. в 10:15, {SUPPORT}:",
        f"22 нояб. 2026 г., в 10:15, {SUPPORT} написал(а):",
        "22.11.2026 10:15, Relaydesk Support пишет:",
        f"Вторник, 22 ноября 2026, 10:15 +03:00 от {SUPPORT}:",
        f"On Wed, 14 Nov 2026 08:14:43 -0200 {SUPPORT} wrote",
    ],
)
def test_attribution_and_quote_below_it_are_removed(attribution: str) -> None:
    cleaned = clean_text_reply(f"New answer.\n\n{attribution}\n> Old question?\n> Anna\n")

    assert cleaned.text == "New answer."
    assert cleaned.quoted.startswith(attribution)
    assert "> Old question?" in cleaned.quoted


@pytest.mark.parametrize(
    ("first", "second"),
    [
        ("On Tue, Nov 22, 2026 at 10:15 AM Anna Smirnova from Relaydesk <", "support@x.example> wrote:"),
        ("On Tue, Nov 22, 2026 at 10:15 AM Anna Smirnova <support@x.example>", "wrote:"),
        ("Вт, 22 нояб. 2026 г. в 10:15, Анна Смирнова из Relaydesk <", "support@x.example>:"),
    ],
)
def test_attribution_wrapped_over_two_lines_is_removed_whole(first: str, second: str) -> None:
    cleaned = clean_text_reply(f"Yes.\n\n{first}\n{second}\n\n> Old.\n")

    assert cleaned.text == "Yes."
    assert first in cleaned.quoted
    assert second in cleaned.quoted


def test_attribution_without_quotes_after_it_cuts_the_rest() -> None:
    """HTML converted to text has the quoted body without ">"; everything after the attribution goes."""
    cleaned = clean_text_reply(f"Thanks!\n\nOn Tue, Nov 22, 2026 at 10:15 AM {SUPPORT} wrote:\n\nOld body\n")

    assert cleaned.text == "Thanks!"
    assert "Old body" in cleaned.quoted


def test_wrote_in_the_middle_of_a_sentence_is_kept() -> None:
    message = 'He wrote: "restart it" and I did.\nStill broken on 22.11.2026.'

    assert clean_text_reply(message).text == message


def test_a_paragraph_starting_with_on_is_not_an_attribution() -> None:
    message = "On Monday it failed.\nOn Tuesday it worked."

    assert clean_text_reply(message).text == message


def test_wrote_line_right_before_a_quote_is_an_attribution_even_without_date() -> None:
    cleaned = clean_text_reply("Fixed.\n\nRelaydesk Support пишет:\n> Проверьте ещё раз.\n")

    assert cleaned.text == "Fixed."


def test_attribution_over_three_lines_is_removed_whole() -> None:
    message = (
        "Fine now.\n\nOn Dec 16, 2011, at 12:47 PM, Corey Donohoe\n<reply@reply.github.com>\nwrote:\n\n"
        "> Fixed?\n"
    )

    cleaned = clean_text_reply(message)

    assert cleaned.text == "Fine now."
    assert cleaned.quoted.startswith("On Dec 16, 2011, at 12:47 PM, Corey Donohoe\n<reply@reply.github.com>")


# --- Outlook -----------------------------------------------------------------------------------


@pytest.mark.parametrize("marker", ["-----Original Message-----", "-----Исходное сообщение-----"])
def test_outlook_original_message_marker_cuts_the_rest(marker: str) -> None:
    cleaned = clean_text_reply(f"Answer.\n\n{marker}\nFrom: a@b.example\nSent: today\n\nOld body\n")

    assert cleaned.text == "Answer."
    assert cleaned.quoted.startswith(marker)


@pytest.mark.parametrize(
    "headers",
    [
        "From: Relaydesk <s@r.example>\nSent: Tuesday, November 22, 2026 10:15 AM\nTo: John\nSubject: Re: x",
        "From: Relaydesk <s@r.example>\nDate: Tuesday, 22 November 2026 at 10:15\nTo: John\nSubject: Re: x",
        "От: Relaydesk <s@r.example>\nОтправлено: 22 ноября 2026 г. 10:15\nКому: Сергей\nТема: Re: x",
        "От: Relaydesk <s@r.example>\nДата: 22 ноября 2026 г. 10:15\nКому: Сергей\nТема: Re: x",
        "*From:* Relaydesk <s@r.example>\n*Sent:* Tuesday, November 22, 2026\n*To:* John",
    ],
)
def test_outlook_header_block_and_its_separator_are_removed(headers: str) -> None:
    cleaned = clean_text_reply(f"Answer.\n\n________________________________\n{headers}\n\nOld body\n")

    assert cleaned.text == "Answer."
    assert cleaned.quoted.startswith("________________________________")
    assert "Old body" in cleaned.quoted


@pytest.mark.parametrize(
    "history",
    [
        "---- On Wed, 24 Feb 2021 14:02:50 +0530 john@example.com wrote ----",
        "------On 12/29/1987 17:32 PM, Julius Caesar wrote-----",
        "Date: Thu, 26 Jun 2014 13:53:45 +0400\nSubject: Test\nFrom: abc@example.com\nTo: alex@example.com",
        "From: Human Resources\n<a-long-address+1234@example.com>\nSent: Monday, August 26, 2019 4:37 PM",
        "*From:* bob@example.com [mailto:\n  bob@example.com]\n*Sent:* Wednesday, June 27, 2012 3:05 PM",
        "---\n\n**From:** Zinc <checks@example.com>\n**Sent:** Monday, July 28, 2025 15:45\n**To:** Laura",
    ],
    ids=["zoho dashed", "yahoo dashed", "date first", "wrapped from address", "bold", "markdown bold"],
)
def test_dashed_attributions_and_header_blocks_in_other_forms_cut_the_rest(history: str) -> None:
    cleaned = clean_text_reply(f"Answer.\n\n{history}\n\nOld body\n")

    assert cleaned.text == "Answer."
    assert "Old body" in cleaned.quoted


@pytest.mark.parametrize(
    "message",
    [
        "Report for build 42\nfrom the nightly job that\nwrote:\nnothing new since Monday.",
        "Дата: 12 мая\nТема: поставка\n\nПривезите, пожалуйста, к обеду.",
        "Two options — restart or reinstall.\nWhich one?",
    ],
    ids=["three lines ending in wrote: without an attribution's start", "date line without From", "em dash"],
)
def test_the_senders_text_that_only_resembles_history_is_kept(message: str) -> None:
    assert clean_text_reply(message).text == message


def test_a_from_line_without_a_date_line_is_kept() -> None:
    message = "От: бухгалтерии\nТема: счёт\n\nВыставьте счёт, пожалуйста."

    assert clean_text_reply(message).text == message


# --- ">" quoting -------------------------------------------------------------------------------


def test_inline_answers_are_kept_and_quotes_between_them_removed() -> None:
    message = "On 22.11.2026 10:15, Anna wrote:\n> Browser?\n\nFirefox.\n\n> OS?\n\nLinux.\n"

    cleaned = clean_text_reply(message)

    assert cleaned.text == "Firefox.\n\nLinux."
    assert cleaned.quoted == "On 22.11.2026 10:15, Anna wrote:\n> Browser?\n> OS?"


def test_trailing_quote_without_attribution_is_removed() -> None:
    assert clean_text_reply("Refund, please.\n\n> Refund or replacement?\n").text == "Refund, please."


def test_pasted_block_introduced_by_a_colon_is_kept_when_nothing_is_quoted() -> None:
    message = "The console prints:\n\n> vite build\n> error: out of memory"

    assert clean_text_reply(message).text == message


def test_quotes_answered_point_by_point_go_even_after_a_colon() -> None:
    message = "My answers:\n\n> Does it crash?\n\nYes, daily.\n\n> Since when?\n\nSince Monday."

    assert clean_text_reply(message).text == "My answers:\n\nYes, daily.\n\nSince Monday."


def test_several_pasted_blocks_each_introduced_by_a_colon_are_kept() -> None:
    message = "The build prints:\n\n> error: out of memory\n\nand the log says:\n\n> killed by signal 9"

    assert clean_text_reply(message).text == message


def test_one_lone_block_inside_the_senders_text_is_pasted_and_kept() -> None:
    message = "Посмотрите, что пришло в ответ.\n> 550 5.1.1 User unknown\nЧто это значит?"

    assert clean_text_reply(message).text == message


def test_without_attribution_a_block_that_opens_or_ends_the_message_is_a_quote() -> None:
    opens = "> Could you send the order number?\n\nSure, it is 48213."
    ends = "Да, оплатим сегодня.\n\n> Счёт отправлен вам на почту."

    assert clean_text_reply(opens).text == "Sure, it is 48213."
    assert clean_text_reply(ends).text == "Да, оплатим сегодня."


def test_nested_quotes_go_with_the_outer_quote() -> None:
    message = f"Any news?\n\nOn Wed, Nov 23, 2026 at 9:00 AM {SUPPORT} wrote:\n> Soon.\n>> Earlier.\n"

    assert clean_text_reply(message).text == "Any news?"


# --- replies written below a quoted Outlook header block ----------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "-----Original Message-----\nFrom: Relaydesk <s@r.example>\nSent: Tuesday, November 22, 2026 10:15",
        "________________\nFrom: Relaydesk <s@r.example>\nSent: 22 November 2026 10:15\nTo: Kim",
        "От: Relaydesk <s@r.example>\nОтправлено: 22 ноября 2026 г. 10:15\nКому: Сергей\nТема: RE: x",
        "-----Исходное сообщение-----\n\nОт: Relaydesk\nДата: 22.11.2026 10:15",
    ],
)
def test_reply_below_a_quoted_header_block_keeps_only_the_reply(header: str) -> None:
    cleaned = clean_text_reply(f"{header}\n\n> Does it drop on Wi-Fi only?\n\nOnly on Wi-Fi.\n")

    assert cleaned.text == "Only on Wi-Fi."
    assert cleaned.quoted.startswith(header.split("\n")[0])
    assert "> Does it drop on Wi-Fi only?" in cleaned.quoted


def test_answers_between_quotes_under_a_header_block_are_all_kept() -> None:
    message = "From: Relaydesk <s@r.example>\nSent: today 10:15\n\n> Model?\n\nM404.\n\n> USB?\n\nNo.\n"

    assert clean_text_reply(message).text == "M404.\n\nNo."


def test_header_block_over_an_unquoted_message_still_cuts_the_rest() -> None:
    message = "Answer.\n\nFrom: Relaydesk <s@r.example>\nSent: today 10:15\n\nOld body\n\nMore old body\n"

    assert clean_text_reply(message).text == "Answer."


def test_quotes_inside_a_top_posted_original_do_not_make_it_a_reply_below() -> None:
    message = "Works.\n\nFrom: Relaydesk <s@r.example>\nSent: today 10:15\n\n> Wi-Fi only?\n\nThen update.\n"

    assert clean_text_reply(message).text == "Works."
