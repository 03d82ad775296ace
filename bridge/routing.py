"""Where an inbound mail belongs and who wrote it. Order: token in a recipient, our Message-ID token
in In-Reply-To/References, any stored Message-ID or thread reference, else a new conversation for the
sender. A visitor mail whose thread spans several conversations of its contact joins them (`joins`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import bindparam
from sqlmodel import Session, col, select

from bridge.thread_join import serialize_sender, thread_ids
from bridge.tokens import Party, Token, TokenCodec
from chatcore.identity import is_verified
from chatcore.mail_reasons import MailCode, MailReason, ReasonedError, mail_reason
from chatcore.merge import resolve
from chatcore.models import Contact, Conversation, MessageId, Operator, ThreadReference
from inbound.dkim_check import DkimVerdict, DnsFunc, check_dkim
from inbound.parse import ParsedMail


class RouteKind(StrEnum):
    OPERATOR_REPLY = "operator_reply"
    VISITOR_REPLY = "visitor_reply"
    NEW_CONVERSATION = "new_conversation"
    BOUNCE = "bounce"


class Rejected(ReasonedError):
    """The mail must not be posted; it is quarantined with this reason."""

    def __init__(
        self, detail: MailReason, notify_operator_id: int | None = None, conversation_id: int | None = None
    ) -> None:
        super().__init__(detail)
        self.notify_operator_id = notify_operator_id
        self.conversation_id = conversation_id


class TryLater(ReasonedError):
    """The mail cannot be placed now for a reason that may pass (a DNS timeout); it is tried again."""


@dataclass(frozen=True)
class OperatorProof:
    """What an operator reply must prove beyond its sender address: a reply address young enough, and
    (when required) a DKIM signature for its domain."""

    raw: bytes
    require_dkim: bool = False
    dnsfunc: DnsFunc | None = None  # None is dkimpy's own DNS lookup
    now: datetime | None = None
    max_age: timedelta | None = None  # None: reply addresses do not expire


@dataclass(frozen=True)
class Route:
    kind: RouteKind
    conversation_id: int | None = None
    operator_id: int | None = None
    contact_id: int | None = None
    outbox_id: int | None = None
    from_other_address: bool = False
    via: str = ""
    joins: tuple[int, ...] = ()  # conversations of the same contact and thread, to join into this one


def route(
    session: Session,
    codec: TokenCodec,
    mail_address: str,
    mail: ParsedMail,
    envelope_to: list[str],
    proof: OperatorProof | None = None,
) -> Route:
    recipients = [*envelope_to, *mail.to, *mail.cc, *mail.delivered_to]
    bounce = codec.from_addresses(recipients, mail_address, bounce=True)
    if bounce is not None:
        return Route(RouteKind.BOUNCE, outbox_id=bounce.party_id, via="bounce address")
    serialize_sender(session, mail.from_address)
    token = codec.from_addresses(recipients, mail_address)
    if token is not None:
        return _by_token(session, token, mail, proof, via="reply address")
    unverified = codec.unverified_reply_address(recipients, mail_address)
    if unverified is not None:
        raise Rejected(mail_reason(MailCode.TOKEN_UNVERIFIED, address=unverified))
    token = codec.from_message_ids([*mail.in_reply_to, *reversed(mail.references)])
    if token is not None:
        return _by_token(session, token, mail, proof, via="Message-ID")
    known = _known_conversation(session, mail)
    if known is not None:
        return _as_visitor(session, known, mail, via="stored Message-ID")
    return Route(RouteKind.NEW_CONVERSATION, via="new sender")


def _by_token(
    session: Session, token: Token, mail: ParsedMail, proof: OperatorProof | None, via: str
) -> Route:
    conversation = session.get(Conversation, resolve(session, token.conversation_id))
    if conversation is None:
        raise Rejected(mail_reason(MailCode.NO_CONVERSATION, conversation=token.conversation_id))
    if token.party is Party.OPERATOR:
        operator = session.get(Operator, token.party_id)
        if operator is None or not operator.active:
            raise Rejected(mail_reason(MailCode.INACTIVE_OPERATOR, operator=token.party_id))
        if not operator.owns_address(mail.from_address):
            raise Rejected(
                mail_reason(
                    MailCode.NOT_OPERATORS_ADDRESS, operator=operator.email, sender=mail.from_address
                ),
                notify_operator_id=operator.id,
                conversation_id=conversation.id,
            )
        if proof is not None:
            _require_fresh(proof, token, operator.id, conversation.id)
        if proof is not None and proof.require_dkim:
            _require_dkim(proof, mail, operator.id, conversation.id)
        return Route(RouteKind.OPERATOR_REPLY, conversation.id, operator_id=operator.id, via=via)
    return _as_visitor(session, conversation, mail, via=via)


def _require_fresh(
    proof: OperatorProof, token: Token, operator_id: int | None, conversation_id: int | None
) -> None:
    """A leaked reply address stops working: operator addresses expire after `max_age`."""
    if proof.now is None or proof.max_age is None:
        return
    issued = token.issued_on()
    if issued is None:
        why = mail_reason(MailCode.ADDRESS_PREDATES_EXPIRY)
    elif proof.now.date() - issued <= proof.max_age:
        return
    else:
        why = mail_reason(MailCode.ADDRESS_EXPIRED, issued=issued.isoformat(), days=proof.max_age.days)
    raise Rejected(
        why,
        notify_operator_id=operator_id,
        conversation_id=conversation_id,
    )


def _require_dkim(
    proof: OperatorProof, mail: ParsedMail, operator_id: int | None, conversation_id: int | None
) -> None:
    sender_domain = mail.from_address.rpartition("@")[2]
    verdict = check_dkim(proof.raw, sender_domain, proof.dnsfunc)
    if verdict.temporary:
        raise TryLater(_dkim_detail(verdict))
    if not verdict.passed:
        raise Rejected(_dkim_detail(verdict), notify_operator_id=operator_id, conversation_id=conversation_id)


def _dkim_detail(verdict: DkimVerdict) -> MailReason:
    assert verdict.detail is not None, "a verdict that did not pass says why"
    return verdict.detail


def _as_visitor(session: Session, conversation: Conversation, mail: ParsedMail, via: str) -> Route:
    contact = session.get(Contact, conversation.contact_id)
    # an address the visitor only claimed proves nothing
    known = (contact.email or "").lower() if contact and is_verified(contact) else ""
    thread = _same_contact(session, conversation, _thread_conversations(session, mail))
    keeper, *joins = sorted({conversation.id or 0, *thread})
    return Route(
        RouteKind.VISITOR_REPLY,
        keeper,
        contact_id=conversation.contact_id,
        from_other_address=bool(known) and mail.from_address != known,
        via=via,
        joins=tuple(joins),
    )


def _known_conversation(session: Session, mail: ParsedMail) -> Conversation | None:
    """The conversation of the newest stored Message-ID the mail names; else one whose mails named
    the same ids, or named this mail's own id, before it arrived."""
    named = [*mail.in_reply_to, *mail.references]
    connection = session.connection()
    found = connection.execute(_NEWEST_OF_IDS, {"ids": named}).scalar() if named else None
    if found is None:
        found = connection.execute(_REFERENCED_BY, {"ids": thread_ids(mail) or [""]}).scalar()
    return session.get(Conversation, resolve(session, found)) if found is not None else None


def _thread_conversations(session: Session, mail: ParsedMail) -> set[int]:
    """Every conversation holding a mail this one names, or a mail that names the same ids or it."""
    ids = thread_ids(mail)
    if not ids:
        return set()
    connection = session.connection()
    found = set(connection.execute(_HOLDING_IDS, {"ids": ids}).scalars())
    found |= set(connection.execute(_REFERENCING_IDS, {"ids": ids}).scalars())
    return {resolve(session, conversation_id) for conversation_id in found}


def _same_contact(session: Session, conversation: Conversation, candidates: set[int]) -> set[int]:
    others = candidates - {conversation.id or 0}
    if not others:
        return set()
    rows = session.connection().execute(_CONTACTS_OF, {"ids": sorted(others)}).all()
    return {row.id for row in rows if row.contact_id == conversation.contact_id}


# Built once: building a statement costs more than running it.
_NEWEST_OF_IDS = (
    select(MessageId.conversation_id)
    .where(col(MessageId.message_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(MessageId.created_at).desc())
)
_REFERENCED_BY = (
    select(ThreadReference.conversation_id)
    .where(col(ThreadReference.message_id).in_(bindparam("ids", expanding=True)))
    .order_by(col(ThreadReference.created_at).desc())
)
_HOLDING_IDS = (
    select(MessageId.conversation_id)
    .where(col(MessageId.message_id).in_(bindparam("ids", expanding=True)))
    .distinct()
)
_REFERENCING_IDS = (
    select(ThreadReference.conversation_id)
    .where(col(ThreadReference.message_id).in_(bindparam("ids", expanding=True)))
    .distinct()
)
_CONTACTS_OF = select(col(Conversation.id), col(Conversation.contact_id)).where(
    col(Conversation.id).in_(bindparam("ids", expanding=True))
)
