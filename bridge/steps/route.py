"""Step 5: where the mail belongs (token, Message-ID, sender); a forged operator reply is quarantined and a
DKIM check that could not be made is tried again later."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import Session

from bridge.context import Context
from bridge.routing import OperatorProof, Rejected, TryLater, route
from bridge.steps.item import Deferred, Item, Quarantined, kind_of, mail_of
from inbound.classify import MailKind


def route_mail(item: Item, session: Session, context: Context) -> Item:
    if item.duplicate or kind_of(item) is MailKind.LOOP:
        return item
    proof = OperatorProof(
        raw=item.raw,
        require_dkim=context.settings.mail.require_dkim_for_operators,
        dnsfunc=context.dkim_dns,
        now=context.clock.now(),
        max_age=None if item.quiet else context.settings.mail.operator_reply_max_age,
    )
    try:
        found = route(
            session,
            context.codec,
            context.settings.mail.address,
            mail_of(item),
            list(item.envelope_to),
            proof,
        )
    except Rejected as exc:
        raise Quarantined("route", exc.detail, tell=exc) from exc
    except TryLater as exc:
        raise Deferred("route", exc.detail) from exc
    return replace(item, route=found)
