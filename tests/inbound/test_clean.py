"""Reply cleaning: the rules one by one, the labelled corpus, and "never empty"."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from inbound.clean import (
    CleanedReply,
    clean_html_reply,
    clean_reply,
    clean_text_reply,
    html_to_text,
)
from tests.support.reply_corpus import CORPUS, load_cases

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


def test_forward_inside_quoted_history_goes_with_the_history() -> None:
    message = (
        f"Thanks.\n\nOn Tue, Nov 22, 2026 at 10:15 AM {SUPPORT} wrote:\n"
        "> ---------- Forwarded message ---------\n> From: x@y.example\n"
    )

    assert clean_text_reply(message).text == "Thanks."


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


def test_nested_quotes_go_with_the_outer_quote() -> None:
    message = f"Any news?\n\nOn Wed, Nov 23, 2026 at 9:00 AM {SUPPORT} wrote:\n> Soon.\n>> Earlier.\n"

    assert clean_text_reply(message).text == "Any news?"


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
    message = "It works -- but only for small files.\nThanks"

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
    ],
)
def test_mobile_footer_is_removed_as_signature(footer: str) -> None:
    cleaned = clean_text_reply(f"Call me tomorrow.\n\n{footer}\n")

    assert cleaned.text == "Call me tomorrow."
    assert cleaned.signature == footer


def test_sent_from_phrase_followed_by_more_text_is_kept() -> None:
    message = "Отправлено с сайта: форма не сработала.\nТелефон: +7 900 000-00-00"

    assert clean_text_reply(message).text == message


# --- never empty, line endings -----------------------------------------------------------------


def test_reply_with_nothing_new_returns_the_original_stripped() -> None:
    message = f"\n\nOn Tue, Nov 22, 2026 at 10:15 AM {SUPPORT} wrote:\n> Anything else?\n\n"

    assert clean_text_reply(message) == CleanedReply(text=message.strip(), quoted="", signature="")


def test_crlf_line_endings_are_understood() -> None:
    message = f"Thanks!\r\n\r\nOn Tue, Nov 22, 2026 at 10:15 AM {SUPPORT} wrote:\r\n> Old\r\n"

    assert clean_text_reply(message).text == "Thanks!"


_LINES = st.sampled_from(
    [
        "",
        " ",
        "Hello",
        "Здравствуйте",
        "-- ",
        "--",
        "> quoted",
        ">",
        "Sent from my iPhone",
        "Отправлено с iPhone",
        f"On Tue, Nov 22, 2026 at 10:15 AM {SUPPORT} wrote:",
        "22.11.2026 10:15, Anna пишет:",
        "-----Original Message-----",
        "From: a@b.example",
        "Sent: today",
        "Date: Thu, 26 Jun 2014",
        "—",
        "________________________________",
        "---------- Forwarded message ---------",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(_LINES, st.text(max_size=20)), min_size=1, max_size=12))
def test_text_cleaning_never_returns_empty_for_non_empty_input(lines: list[str]) -> None:
    message = "\n".join(lines)

    cleaned = clean_text_reply(message)

    assert bool(cleaned.text.strip()) == bool(message.strip())


_FRAGMENTS = st.sampled_from(
    [
        "<div>",
        "</div>",
        "<br>",
        "<p>",
        "</p>",
        "<blockquote type=\"cite\">",
        "</blockquote>",
        '<div class="gmail_quote">',
        '<div class="gmail_attr">',
        '<div id="appendonsend"></div>',
        '<div id="divRplyFwdMsg">',
        '<div class="gmail_signature">',
        "Hello",
        "Привет",
        "&nbsp;",
        "&lt;a@b.example&gt;",
        "-- ",
        "Sent from my iPhone",
    ]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_FRAGMENTS, min_size=1, max_size=15), st.sampled_from(["", "Plain text part"]))
def test_reply_cleaning_never_returns_empty_when_there_is_something_to_show(
    fragments: list[str], text: str
) -> None:
    html = "".join(fragments)

    cleaned = clean_reply(text, html)

    assert bool(cleaned.text.strip()) == bool(text.strip() or html_to_text(html).strip())


# --- HTML --------------------------------------------------------------------------------------


def test_html_blockquote_and_gmail_attribution_are_removed() -> None:
    html = (
        '<div dir="ltr">Thanks!</div><div class="gmail_quote"><div class="gmail_attr">On Tue wrote:</div>'
        '<blockquote class="gmail_quote" style="border-left:1px solid #ccc">Old &amp; done</blockquote></div>'
    )

    assert clean_html_reply(html) == '<div dir="ltr">Thanks!</div><div class="gmail_quote"></div>'


def test_gmail_indent_blockquote_is_the_senders_own_text() -> None:
    html = '<div>See:</div><blockquote style="margin:0 0 0 40px;border:none;padding:0">Clause 5</blockquote>'

    assert clean_html_reply(html) == html


def test_outlook_reply_header_removes_the_rest_of_its_parent_only() -> None:
    html = (
        "<html><body><div>New &nbsp;text</div><div id=\"appendonsend\"></div><hr>"
        '<div id="divRplyFwdMsg"><b>From:</b> x</div><div>Old body</div></body></html>'
    )

    assert clean_html_reply(html) == "<html><body><div>New &nbsp;text</div></body></html>"


def test_html_answers_between_quotes_are_kept() -> None:
    html = (
        "<blockquote type=cite>Browser?</blockquote><p>Firefox.</p>"
        "<blockquote type=cite>OS?</blockquote><p>Linux.</p>"
    )

    assert clean_reply("", html).text == "Firefox.\n\nLinux."


def test_html_forward_inside_a_quote_container_is_kept() -> None:
    html = (
        "<div>FYI</div><div class=\"gmail_quote\"><div class=\"gmail_attr\">"
        "---------- Forwarded message ---------<br>From: Olga &lt;olga@example.org&gt;</div>"
        "<div>Order 1042 is late</div></div>"
    )

    assert "Order 1042 is late" in clean_reply("", html).text
    assert "Forwarded message" in clean_reply("", html).text


def test_clean_reply_reports_removed_quote_and_signature_from_html() -> None:
    html = (
        "<div>Ok</div><div class=\"moz-signature\">-- <br>Ivan</div>"
        '<div class="moz-cite-prefix">On 11/22/26 10:15, Anna wrote:</div>'
        '<blockquote type="cite">Old</blockquote>'
    )

    cleaned = clean_reply("Ok\n-- \nIvan\n", html)

    assert cleaned.text == "Ok"
    assert "Old" in cleaned.quoted
    assert "On 11/22/26 10:15, Anna wrote:" in cleaned.quoted
    assert "Ivan" in cleaned.signature


def test_outlook_com_stop_spelling_rule_removes_the_rest_of_its_parent() -> None:
    html = (
        '<div dir="ltr">Fine, thanks.<br><div><hr id="stopSpelling">Date: Thu<br>Subject: Hi<br>'
        "<div>Old body</div></div></div><p>after</p>"
    )

    assert clean_html_reply(html) == '<div dir="ltr">Fine, thanks.<br><div></div></div><p>after</p>'


def test_clean_reply_without_html_uses_the_text_rules() -> None:
    assert clean_reply("Yes.\n\n> Old\n", None).text == "Yes."


def test_html_that_is_all_quote_falls_back_to_the_text_part() -> None:
    cleaned = clean_reply("Text part answer", "<blockquote>Everything quoted</blockquote>")

    assert cleaned.text == "Text part answer"


def test_html_to_text_keeps_lines_and_paragraphs() -> None:
    html = "<p>One</p><p>Two<br>Three</p><div>Four</div><div><br></div><div>Five &amp; six</div>"

    assert html_to_text(html) == "One\n\nTwo\nThree\n\nFour\n\nFive & six"


def test_html_to_text_collapses_spaces_across_tags() -> None:
    html = "<table><tr><th>Date:\n   </th>\n   <td>Tue, 3 May 2016</td></tr></table>"

    assert html_to_text(html) == "Date: Tue, 3 May 2016"


# --- the corpus --------------------------------------------------------------------------------


def test_corpus_covers_every_client_in_text_and_html() -> None:
    own = [case for case in load_cases() if "/" not in case.name]

    assert len(own) >= 60
    for client in ("gmail", "outlook", "apple", "ios", "thunderbird", "yandex", "mailru", "android"):
        forms = {"html" if case.html is not None else "text" for case in own if case.name.startswith(client)}
        assert forms == {"html", "text"}, client


def test_corpus_exact_match_share_is_not_below_the_baseline() -> None:
    cases = load_cases()
    failures = [case.name for case in cases if clean_reply(case.text, case.html).text != case.expected]
    share = (len(cases) - len(failures)) / len(cases)
    baseline = float((CORPUS / "BASELINE").read_text(encoding="utf-8").strip())

    assert share >= baseline, f"share {share:.4f} < baseline {baseline}; failing: {failures}"
