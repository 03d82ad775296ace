"""Step 2: who wrote the mail: a person, an automatic sender, a bounce, or our own mail come back."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bridge.context import Context
from bridge.steps.item import Item, mail_of
from inbound.classify import classify


def classify_mail(item: Item, session: Session, context: Context) -> Item:
    mail = mail_of(item)
    verdict = classify(
        mail, item.envelope_from, own_addresses=context.own_addresses, own_origin=context.origin
    )
    return replace(item, classification=verdict)
