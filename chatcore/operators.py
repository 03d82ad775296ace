"""Who works at the desk: adding operators, changing their name and role, deactivating them.

No limit on how many; the one rule is that the desk keeps an active admin: the last one can be
neither demoted nor deactivated. Deactivation ends the operator's sessions (their version is raised)
and their API tokens stop answering (api_tokens.operator_for checks `active`); their conversations
stay assigned to them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from chatcore.errors import Conflict, FieldError, NotFound
from chatcore.models import Conversation, ConversationStatus, Operator
from chatcore.operator_sessions import deactivate

ADMIN = "admin"
OPERATOR = "operator"
NAME_MAX = 100
EMAIL_MAX = 254
_EMAIL = re.compile(r"^[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
LAST_ADMIN = "the desk needs an active admin: make another operator an admin first"


@dataclass(frozen=True)
class NewOperator:
    email: str
    name: str = ""
    admin: bool = False


@dataclass(frozen=True)
class OperatorChanges:
    """None: leave as it is."""

    name: str | None = None
    admin: bool | None = None
    active: bool | None = None


def checked_email(raw: str) -> str:
    email = raw.strip().lower()
    if not email:
        raise FieldError("email", "enter an email address")
    if len(email) > EMAIL_MAX or not _EMAIL.match(email):
        raise FieldError("email", "this is not an email address")
    return email


def checked_name(raw: str) -> str:
    name = " ".join(_CONTROL.sub(" ", raw).split())
    if len(name) > NAME_MAX:
        raise FieldError("name", f"a name has at most {NAME_MAX} characters")
    return name


def add_operator(session: Session, new: NewOperator, now: datetime) -> Operator:
    """A new operator without a password (they choose one through the invitation's link)."""
    email = checked_email(new.email)
    name = checked_name(new.name)
    if email_in_use(session, email):
        raise Conflict("email", "an operator with this email exists already")
    operator = Operator(email=email, name=name, role=ADMIN if new.admin else OPERATOR, created_at=now)
    session.add(operator)
    try:
        session.flush()
    except IntegrityError:  # added by someone else since the check above; the caller rolls back
        raise Conflict("email", "an operator with this email exists already") from None
    return operator


def email_in_use(session: Session, email: str) -> bool:
    """Whether any operator signs in with `email` or has it among their other addresses."""
    return any(operator.owns_address(email) for operator in session.exec(select(Operator)))


def operator_by_id(session: Session, operator_id: int) -> Operator:
    operator = session.get(Operator, operator_id)
    if operator is None:
        raise NotFound(f"operator {operator_id} does not exist")
    return operator


def change_operator(session: Session, operator_id: int, changes: OperatorChanges) -> Operator:
    """Apply `changes`; refuses to leave the desk without an active admin. The caller commits."""
    operator = operator_by_id(session, operator_id)
    if changes.name is not None:
        operator.name = checked_name(changes.name)
    loses_admin = (
        operator.role == ADMIN and operator.active and (changes.admin is False or changes.active is False)
    )
    if loses_admin and active_admins(session) <= 1:
        raise FieldError("admin" if changes.admin is False else "active", LAST_ADMIN)
    if changes.admin is not None:
        operator.role = ADMIN if changes.admin else OPERATOR
    if changes.active is False and operator.active:
        deactivate(operator)
    elif changes.active is True:
        operator.active = True
    session.add(operator)
    session.flush()
    return operator


def active_admins(session: Session) -> int:
    query = (
        select(func.count())
        .select_from(Operator)
        .where(col(Operator.role) == ADMIN, col(Operator.active).is_(True))
    )
    return int(session.exec(query).one())


def note_seen(session: Session, operator_id: int, now: datetime, every: float) -> bool:
    """Store `now` as the operator's last seen moment unless one newer than `every` seconds is
    stored; whether it wrote. The caller commits."""
    operator = session.get(Operator, operator_id)
    if operator is None:
        return False
    if operator.last_seen_at is not None and (now - operator.last_seen_at).total_seconds() < every:
        return False
    operator.last_seen_at = now
    session.add(operator)
    return True


@dataclass(frozen=True)
class RosterRow:
    operator: Operator
    open_assigned: int  # open conversations assigned to them (a deactivated operator keeps theirs)


def roster(session: Session) -> list[RosterRow]:
    """Every operator, active ones first, by name then email, with their open conversations."""
    counts = dict(
        session.exec(
            select(col(Conversation.assignee_id), func.count())
            .where(col(Conversation.status) == ConversationStatus.OPEN)
            .where(col(Conversation.assignee_id).is_not(None))
            .group_by(col(Conversation.assignee_id))
        ).all()
    )
    operators = session.exec(select(Operator)).all()
    ordered = sorted(operators, key=lambda o: (not o.active, (o.name or o.email).casefold(), o.id or 0))
    return [RosterRow(operator, int(counts.get(operator.id, 0))) for operator in ordered]
