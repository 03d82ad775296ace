"""The one mail the desk sends to an address a visitor typed into the chat: a link to confirm it.

Rate-limited so the chat cannot be used to mail-bomb anyone: one confirmation per address per day, and
a few per contact per day. The subject is fixed and translated; nothing the visitor wrote is in it.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlmodel import Session, col, func, select

from bridge.context import Context
from bridge.i18n import language_or_default
from bridge.mailer import Envelope, send_templated
from chatcore.events import EmailClaimed
from chatcore.models import Contact, OutboxMail
from webui.email_links import VALID_FOR, make_token

CONFIRMATION = "email_confirmation"
PER_ADDRESS_WINDOW = timedelta(days=1)
PER_CONTACT_PER_DAY = 3
_SENT_KEY = "email_confirmations_sent"  # in Contact.properties: when this contact's last ones went out


def send_confirmation(session: Session, context: Context, claimed: EmailClaimed) -> bool:
    """Queue the confirmation mail unless a limit says no; True when one was queued."""
    contact = session.get(Contact, claimed.contact_id)
    now = context.clock.now()
    if contact is None or contact.email != claimed.address or contact.email_verified_at is not None:
        return False
    recent = _recent_sends(contact, now)
    if len(recent) >= PER_CONTACT_PER_DAY or _mailed_lately(session, claimed.address, now):
        return False
    base = context.settings.site.base_url.rstrip("/")
    token = make_token(context.settings.site.secret_key, contact.id or 0, claimed.address, now)
    send_templated(
        session,
        context,
        template=CONFIRMATION,
        conversation=None,
        envelope=Envelope(
            "", claimed.address, None, language_or_default(contact.language, context.settings.site.language)
        ),
        values={
            "address": claimed.address,
            "confirm_url": f"{base}/confirm-email/{token}",
            "valid_hours": int(VALID_FOR.total_seconds() // 3600),
        },
        message_ids=[],
        kind=CONFIRMATION,
        auto_submitted="auto-generated",
    )
    contact.properties = {**contact.properties, _SENT_KEY: [*recent, now.isoformat()]}
    session.add(contact)
    return True


def _recent_sends(contact: Contact, now: datetime) -> list[str]:
    since = now - timedelta(days=1)
    sent = contact.properties.get(_SENT_KEY, [])
    return [at for at in sent if isinstance(at, str) and datetime.fromisoformat(at) > since]


def _mailed_lately(session: Session, address: str, now: datetime) -> bool:
    query = (
        select(func.count())
        .select_from(OutboxMail)
        .where(
            col(OutboxMail.kind) == CONFIRMATION,
            col(OutboxMail.recipient) == address,
            col(OutboxMail.created_at) > now - PER_ADDRESS_WINDOW,
        )
    )
    return int(session.exec(query).one()) > 0
