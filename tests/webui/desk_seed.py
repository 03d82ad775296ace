"""A desk with a few realistic dialogs, for the browser tests and the screenshots in docs/.

Two operators (Olga, who logs in, and Pavel), four people, dialogs in Russian and English with tags,
an assignee, an internal note, an autoreply, an email with a quoted part and deliveries in each state.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore.models import Contact, Conversation, Message, Operator, SavedReply, Source
from chatcore.services import Desk, NewMessage
from tests.support.factories import add_contact, add_operator
from webui.auth import hash_password

PASSWORD = "desk-browser-password"
OLGA = "olga@example.com"


@dataclass(frozen=True)
class Seeded:
    olga: int
    pavel: int
    order: int  # Анна: open, unassigned, tags delivery + vip, email with a quote, unread
    invoice: int  # John: open, Olga's, tag billing, awaiting reply
    refund: int  # Maria: open, Pavel's, tag billing, a failed delivery
    closed: int  # Анна's earlier dialog, closed
    anna: int


def seed(engine: Engine, now: datetime) -> Seeded:
    with Session(engine, expire_on_commit=False) as session:
        olga = add_operator(
            session, OLGA, now=now, name="Olga Smirnova", password_hash=hash_password(PASSWORD)
        )
        pavel = add_operator(session, "pavel@example.com", now=now, name="Pavel Orlov")
        anna = add_contact(session, now=now, name="Анна Кузнецова", email="anna@example.org")
        john = add_contact(session, now=now, name="John Carter", email="john@example.net")
        maria = add_contact(session, now=now, name="", email="maria@example.com")
        anna.phone, anna.properties = "+7 912 345-67-89", {"plan": "Pro", "city": "Казань"}
        session.add(anna)
        for title, text in (
            ("Delivery times", "Orders ship within 2 working days."),
            ("Спасибо", "Спасибо, что написали нам!"),
        ):
            session.add(
                SavedReply(
                    title=title, text=text, owner_id=olga.id, shared=True, created_at=now, updated_at=now
                )
            )
        at = Clockwork(now - timedelta(hours=6))

        closed = _dialog(session, at, anna, "Оплата картой", [("visitor", "Можно оплатить картой Мир?")])
        _reply(session, at, closed, olga, "Да, конечно.")
        Desk(session, at.next()).close(closed, olga)

        invoice = _dialog(session, at, john, "Invoice #1024", [("visitor", "Could you resend invoice 1024?")])
        _reply(session, at, invoice, olga, "Sure, it is on its way.")
        Desk(session, at.next()).post_visitor_message(
            invoice, NewMessage("Still nothing in my inbox, sorry.", Source.CHAT)
        )
        Desk(session, at.next()).tag(invoice, "billing")
        Desk(session, at.next()).assign(invoice, olga)

        refund = _dialog(session, at, maria, "Refund", [("visitor", "I would like a refund for order 77.")])
        failed = _reply(session, at, refund, pavel, "Refund approved, see the attached form.")
        _delivered(session, failed, "maria@example.com", "failed", "550 5.1.1 mailbox unavailable")
        Desk(session, at.next()).tag(refund, "billing")
        Desk(session, at.next()).assign(refund, pavel)

        order = _dialog(
            session, at, anna, "Где мой заказ?", [("visitor", "Здравствуйте! Где мой заказ 5521?")]
        )
        Desk(session, at.next()).post_system_message(
            order, "Мы ответим в рабочее время: пн–пт 9–18.", "autoreply"
        )
        sent = _reply(session, at, order, olga, "Заказ уже в пути, трек-номер пришлём письмом.")
        _delivered(session, sent, "anna@example.org", "sent", "")
        Desk(session, at.next()).post_note(
            order, olga, NewMessage("Проверить у курьера, если не придёт к пятнице.", Source.WEB)
        )
        quoted = (
            "Спасибо! А можно доставить в субботу?\n\n"
            "Olga Smirnova пишет:\n> Заказ уже в пути, трек-номер пришлём письмом.\n>\n> --\n> Acme Help"
        )
        Desk(session, at.next()).post_visitor_message(
            order, NewMessage(quoted, Source.EMAIL, from_address="anna@example.org")
        )
        for name in ("delivery", "vip"):
            Desk(session, at.next()).tag(order, name)
        session.commit()
        return Seeded(_id(olga), _id(pavel), _id(order), _id(invoice), _id(refund), _id(closed), _id(anna))


class Clockwork:
    """Each message a few minutes after the one before, so the list has a clear order."""

    def __init__(self, start: datetime) -> None:
        self.moment = start

    def next(self) -> datetime:
        self.moment += timedelta(minutes=7)
        return self.moment


def _dialog(
    session: Session, at: Clockwork, contact: Contact, subject: str, lines: list[tuple[str, str]]
) -> Conversation:
    desk = Desk(session, at.next())
    conversation, _events = desk.start_conversation(contact, Source.CHAT, subject)
    for _kind, text in lines:
        Desk(session, at.next()).post_visitor_message(conversation, NewMessage(text, Source.CHAT))
    return conversation


def _reply(
    session: Session, at: Clockwork, conversation: Conversation, operator: Operator, text: str
) -> Message:
    events = Desk(session, at.next()).post_operator_message(
        conversation, operator, NewMessage(text, Source.WEB)
    )
    message_id = max(getattr(e, "message_id", 0) for e in events)
    message = session.get(Message, message_id)
    assert message is not None
    return message


def _delivered(session: Session, message: Message, recipient: str, status: str, error: str) -> None:
    message.delivery = {recipient: {"status": status, "error": error, "outbox_id": 0}}
    session.add(message)


def _id(row: Operator | Contact | Conversation) -> int:
    assert row.id is not None
    return row.id
