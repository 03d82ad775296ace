"""/api/v1/admin/quarantine and /api/v1/admin/outbox: Settings → Mail for scripts. Admins only."""

from __future__ import annotations

from typing import Any

from chatcore import mail_review
from chatcore.mail_reasons import MailReason
from chatcore.models import OutboxStatus, SpoolStatus
from webui.api.auth import require_admin
from webui.api.endpoint import ApiCall
from webui.api.errors import ApiError
from webui.api.views import when
from webui.deps import MailRetries

STATES = {"failed": OutboxStatus.FAILED, "retrying": OutboxStatus.PENDING, "all": None}


def _page(call: ApiCall) -> tuple[int, int]:
    require_admin(call.operator)
    return call.query_int("offset", 0, 0, 10**6), call.query_int("limit", 50, 1, 100)


def _retries(call: ApiCall) -> MailRetries:
    require_admin(call.operator)
    if call.deps.mail_retries is None:
        raise ApiError(503, "retrying is not available in this process")
    return call.deps.mail_retries


def quarantined_json(mail: mail_review.QuarantinedMail) -> dict[str, Any]:
    return {
        "id": mail.id,
        "received_at": when(mail.received_at),
        "sender": mail.sender,
        "subject": mail.subject,
        "reason": mail.reason,
        **reason_code(mail.detail),
        "size": mail.size,
    }


def reason_code(detail: MailReason | None) -> dict[str, Any]:
    """The reason as a code with its arguments (chatcore.mail_reasons), for a client in any language."""
    return {
        "reason_code": detail.code.value if detail else None,
        "reason_args": dict(detail.args) if detail else {},
    }


def failing_json(mail: mail_review.FailingMail) -> dict[str, Any]:
    return {
        "id": mail.id,
        "recipient": mail.recipient,
        "subject": mail.subject,
        "kind": mail.kind,
        "state": "failed" if mail.status == OutboxStatus.FAILED else "retrying",
        "attempts": mail.attempts,
        "last_error": mail.last_error,
        "next_attempt_at": None if mail.status == OutboxStatus.FAILED else when(mail.next_attempt_at),
        "created_at": when(mail.created_at),
        "conversation_id": mail.conversation_id,
    }


def list_quarantine(call: ApiCall) -> dict[str, Any]:
    offset, limit = _page(call)
    items = mail_review.quarantined_page(call.session, offset, limit)
    total = mail_review.mail_counts(call.session).quarantined
    return {"items": [quarantined_json(mail) for mail in items], "total": total}


def retry_quarantined(call: ApiCall) -> dict[str, Any]:
    retries = _retries(call)
    spool_id = call.path_id("spool_id", "quarantined mail")
    row = retries.retry_quarantined(spool_id)
    if row is None:
        raise ApiError(404, "quarantined mail does not exist")
    conversation_id = None
    if row.status != SpoolStatus.QUARANTINED:
        conversation_id = mail_review.landed_in(call.session, spool_id)
    detail = MailReason.from_json(row.reason_detail)
    return {
        "id": spool_id,
        "status": row.status,
        "reason": row.reason,
        **reason_code(detail),
        "conversation_id": conversation_id,
    }


def list_outbox(call: ApiCall) -> dict[str, Any]:
    offset, limit = _page(call)
    state = call.request.query_params.get("state", "all")
    if state not in STATES:
        raise ApiError(422, "state must be failed, retrying or all", "state")
    items = mail_review.failing_page(call.session, offset, limit, STATES[state])
    return {"items": [failing_json(mail) for mail in items]}


def retry_outbox(call: ApiCall) -> dict[str, Any]:
    retries = _retries(call)
    outbox_id = call.path_id("outbox_id", "outbox mail")
    if not retries.retry_delivery(outbox_id):
        raise ApiError(409, "this mail is not failing, or it is being sent right now")
    return {"id": outbox_id, "state": "due"}
