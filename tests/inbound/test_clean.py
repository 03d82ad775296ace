"""Reply cleaning as a whole: "never empty", line endings, and the labelled corpus."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from inbound.clean import CleanedReply, clean_reply, clean_text_reply
from inbound.html_text import html_to_text
from tests.support.reply_corpus import CORPUS, load_cases

SUPPORT = "Relaydesk Support <support+k3x9qf@relaydesk.example>"


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
        '<blockquote type="cite">',
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
