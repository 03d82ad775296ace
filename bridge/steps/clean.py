"""Step 3: the new text of a reply, without quotes and signatures."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bridge.context import Context
from bridge.steps.item import Item, mail_of
from inbound.clean import clean_reply


def clean(item: Item, session: Session, context: Context) -> Item:
    mail = mail_of(item)
    return replace(item, cleaned=clean_reply(mail.text, mail.html))
