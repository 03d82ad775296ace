"""Rows the tests need over and over: operators, contacts, conversations with messages."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.engine import Engine
from sqlmodel import Session

from chatcore.models import Contact, Operator


def add_operator(
    session: Session,
    email: str,
    *,
    now: datetime,
    name: str = "",
    password_hash: str = "",
    notify_email: bool = True,
    alternate_emails: list[str] | None = None,
) -> Operator:
    operator = Operator(
        email=email,
        name=name,
        password_hash=password_hash,
        notify_email=notify_email,
        alternate_emails=alternate_emails or [],
        created_at=now,
    )
    session.add(operator)
    session.flush()
    return operator


def add_contact(
    session: Session,
    *,
    now: datetime,
    name: str = "",
    email: str | None = None,
    visitor_id: str | None = None,
    verified: bool = True,
) -> Contact:
    """A contact; its address counts as verified (as if mail came from it) unless `verified` is False."""
    contact = Contact(name=name, email=email, visitor_id=visitor_id, first_seen=now, last_seen=now)
    contact.email_verified_at = now if email and verified else None
    session.add(contact)
    session.flush()
    return contact


def change_operator(engine: Engine, operator_id: int, **values: Any) -> None:
    """Set columns of one operator and commit, as an admin's change would."""
    with Session(engine) as session:
        operator = session.get(Operator, operator_id)
        assert operator is not None
        for name, value in values.items():
            setattr(operator, name, value)
        session.add(operator)
        session.commit()
