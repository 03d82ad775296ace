"""Operator invitations: an email with the login, a set-password link and a link to the profile."""

from __future__ import annotations

from sqlmodel import Session

from bridge.context import Context
from bridge.i18n import language_or_default
from bridge.mailer import Envelope, send_templated
from chatcore.models import Operator, OutboxMail
from chatcore.operator_sessions import revoke_sessions
from webui.password_links import VALID_FOR, make_token

INVITATION = "operator_invitation"


def set_password_url(context: Context, operator: Operator) -> str:
    """A new link; every link sent before (and every session of the operator) stops working."""
    revoke_sessions(operator)
    token = make_token(context.settings.site.secret_key, operator, context.clock.now())
    return f"{_base(context)}/set-password/{token}"


def queue_invitation(session: Session, context: Context, operator: Operator) -> OutboxMail:
    """Put the invitation in the outbox, in the operator's language (else the site's)."""
    language = language_or_default(operator.language, context.settings.site.language)
    return send_templated(
        session,
        context,
        template=INVITATION,
        conversation=None,
        envelope=Envelope(operator.name, operator.email, None, language),
        values={
            "operator": operator,
            "set_password_url": set_password_url(context, operator),
            "valid_hours": int(VALID_FOR.total_seconds() // 3600),
            "profile_url": f"{_base(context)}/inbox/profile",
            "login_url": f"{_base(context)}/login",
        },
        message_ids=[],
        kind=INVITATION,
        auto_submitted="auto-generated",
    )


def _base(context: Context) -> str:
    return context.settings.site.base_url.rstrip("/")
