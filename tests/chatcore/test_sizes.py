"""Capping stored and quoted text: short text stays, long text ends at a line or word, then a marker."""

from __future__ import annotations

from chatcore.sizes import shortened


def test_text_within_the_limit_is_kept_as_it_is() -> None:
    assert shortened("Hello", 5, "[cut]") == "Hello"


def test_long_text_is_cut_at_a_line_end_and_marked() -> None:
    text = "first line\nsecond line\nthird line"
    assert shortened(text, 20, "[cut]") == "first line\n\n[cut]"


def test_text_without_lines_is_cut_at_a_word() -> None:
    assert shortened("one two three four", 12, "[…]") == "one two\n\n[…]"


def test_text_without_spaces_is_cut_at_the_limit() -> None:
    assert shortened("x" * 50, 10, "[…]") == "x" * 10 + "\n\n[…]"
