"""Step 1: the raw bytes parsed, within the size limit of [inbound.smtp]; a rejected mail is quarantined."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bridge.context import Context
from bridge.steps.item import Item, Quarantined
from inbound.limits import MailRejected, ParseLimits
from inbound.parse import parse_mail


def parse(item: Item, session: Session, context: Context) -> Item:
    try:
        limits = ParseLimits(max_size=context.settings.inbound.smtp.max_message_size)
        return replace(item, mail=parse_mail(item.raw, limits))
    except MailRejected as exc:
        raise Quarantined("parse", exc.detail) from exc
