"""Settings → Mail's two retries, for the web app: a quarantined mail through the pipeline again (as
`relaydesk quarantine retry` does) and a failing outbox row made due for the sender's next pass."""

from __future__ import annotations

from dataclasses import dataclass

from bridge import notifications, quarantine
from bridge.context import Context
from bridge.db import transaction
from bridge.delivery import mirror_state
from chatcore.mail_review import make_due
from chatcore.models import SpoolItem


@dataclass(frozen=True)
class MailRetries:
    context: Context

    def retry_quarantined(self, spool_id: int) -> SpoolItem | None:
        return quarantine.retry(self.context, spool_id)

    def retry_delivery(self, outbox_id: int) -> bool:
        """The messages it carries show "pending" again until the sender records the outcome."""
        context = self.context
        with transaction(context.engine) as session:
            now, retry_for = context.clock.now(), context.settings.outbound.retry_for
            row = make_due(session, outbox_id, now, retry_for)
            if row is None:
                return False
            notifications.react(session, context, mirror_state(session, row))
        return True
