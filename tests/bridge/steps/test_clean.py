"""The clean step: the new text of a reply, without the quote under it."""

from __future__ import annotations

from sqlmodel import Session

from bridge.context import Context
from bridge.steps.clean import clean
from bridge.steps.parse import parse
from tests.bridge.pipeline_scene import (
    item_of,
    mail,
)


def test_the_quote_under_a_reply_is_cleaned_away_and_the_mail_text_kept(context: Context) -> None:
    body = "Thanks, that helped.\n\nOn Mon, Olga wrote:\n> Try restarting it.\n"
    with Session(context.engine) as session:
        item = clean(parse(item_of(mail("anna@example.org", text=body)), session, context), session, context)
    assert item.cleaned is not None
    assert item.cleaned.text == "Thanks, that helped."
    assert item.mail is not None
    assert "Try restarting it." in item.mail.text
