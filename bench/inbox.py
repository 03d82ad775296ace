"""The inbox read model at scale: the dialog list (every filter, deep cursor pages), a 40-message
dialog, the contact card and a reply, on a desk of 100,000 conversations and 1,000,000 messages.

Prints the median and 95th percentile of the time each takes (the server's work: the read model's
functions in a session of their own, as a request runs them) and the SQL statements each issues.
Every scenario runs twice: with the collector as Python leaves it, and after gc.freeze(), as
`relaydesk serve` does once started (long-lived objects leave the collector's generations).

Usage: python bench/inbox.py [--database URL] [--conversations N] [--repeat N] [--rebuild]
The database is built once (bulk inserts, a few minutes at full size) and kept for the next run.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, func, insert, select, text
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel, col

import bridge.app  # noqa: F401  (a heap like a running server's: every module the web app loads)
from bridge.db import make_engine, migrate, read_session, transaction
from chatcore.inbox import InboxFilter, encode_cursor, get_conversation, list_conversations
from chatcore.models import (
    Attachment,
    Contact,
    ContactEvent,
    Conversation,
    ConversationTag,
    Message,
    Operator,
    ReadMark,
    Tag,
)
from chatcore.services import PREVIEW_LENGTH, Desk, NewMessage

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
OPERATORS = 25
ME = 1  # the operator whose view is measured
TAGS = [
    "billing",
    "refund",
    "delivery",
    "vip",
    "bug",
    "feature",
    "b2b",
    "spam",
    "urgent",
    "return",
    "оплата",
    "доставка",
    "возврат",
    "жалоба",
    "партнёры",
]
TAG_WEIGHTS = [18, 8, 14, 4, 9, 6, 5, 3, 4, 6, 12, 10, 5, 3, 2]
RU = [
    "Здравствуйте, подскажите, пожалуйста, где сейчас мой заказ.",
    "Оплатил картой ещё в понедельник, но статус до сих пор не изменился.",
    "Курьер не приехал в назначенное время, и никто не позвонил.",
    "Спасибо за быстрый ответ, всё получилось.",
    "Прикладываю скриншот ошибки, которая появляется при входе в личный кабинет.",
    "Можно ли вернуть товар, если упаковка уже вскрыта?",
    "Мы рассматриваем ваш сервис для компании на сорок сотрудников и хотели бы обсудить условия.",
    "Пришлите, пожалуйста, закрывающие документы за прошлый месяц.",
    "Проверили: платёж прошёл, заказ передан в службу доставки.",
    "Номер заказа указан в письме выше.",
]
EN = [
    "Hi, could you tell me where my order is right now?",
    "I paid by card on Monday but the status still has not changed.",
    "The courier did not come at the agreed time and nobody called.",
    "Thanks for the quick reply, it worked.",
    "Attaching a screenshot of the error I get when I log in to my account.",
    "Can I return an item if the packaging has already been opened?",
    "We are considering your service for a team of forty and would like to talk about pricing.",
    "Please send the invoices for last month.",
    "We checked: the payment went through and the order is with the courier now.",
    "The order number is in the email below.",
]
FIRST = ["Анна", "Борис", "Вера", "Дмитрий", "Елена", "Olga", "John", "Maria", "Peter", "Sophie"]
LAST = ["Иванова", "Петров", "Смирнова", "Кузнецов", "Smith", "Brown", "Müller", "García", "Rossi"]


# --- building the desk ---------------------------------------------------------------------------


def message_text(message_id: int) -> str:
    """A deterministic text of realistic length (a line to a few paragraphs), Russian or English."""
    rng = random.Random(message_id)
    pool = RU if rng.random() < 0.55 else EN
    sentences = max(1, min(40, int(rng.lognormvariate(1.2, 0.8))))
    return " ".join(rng.choice(pool) for _ in range(sentences))


@dataclass
class Planned:
    conversation: int
    at: datetime
    author: str
    operator: int | None
    is_note: bool


def plan_messages(rng: random.Random, conversations: int, total: int, dialog: int) -> list[list[Planned]]:
    counts = [
        min(150, 1 + int(rng.expovariate(1 / (total / conversations - 1)))) for _ in range(conversations)
    ]
    counts[dialog] = 40
    missing = total - sum(counts)
    while missing:  # reach the total exactly, leaving the 40-message dialog alone
        index = rng.randrange(conversations)
        if index == dialog or (missing < 0 and counts[index] == 1):
            continue
        step = 1 if missing > 0 else -1
        counts[index] += step
        missing -= step
    plans: list[list[Planned]] = []
    for number, count in enumerate(counts, start=1):
        at = NOW - timedelta(days=365) * rng.random() ** 0.7
        operator = rng.randint(1, OPERATORS)
        messages = [Planned(number, at, "visitor", None, False)]
        for _ in range(count - 1):
            at += timedelta(minutes=rng.expovariate(1 / 180))
            roll = rng.random()
            if roll < 0.47:
                messages.append(Planned(number, at, "visitor", None, False))
            elif roll < 0.9:
                messages.append(Planned(number, at, "operator", operator, False))
            elif roll < 0.96:
                messages.append(Planned(number, at, "operator", rng.randint(1, OPERATORS), True))
            else:
                messages.append(Planned(number, at, "autoreply", None, False))
        plans.append(messages)
    return plans


def build(engine: Engine, conversations: int, per_conversation: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    started = time.perf_counter()
    SQLModel.metadata.drop_all(engine)
    with engine.begin() as connection:
        connection.execute(text("DROP TABLE IF EXISTS alembic_version"))
    migrate(engine)
    dialog = conversations // 3
    plans = plan_messages(rng, conversations, conversations * per_conversation, dialog)
    flat = sorted((m for plan in plans for m in plan), key=lambda m: m.at)
    ids: dict[int, list[int]] = {}
    for message_id, planned in enumerate(flat, start=1):
        ids.setdefault(planned.conversation, []).append(message_id)
    contacts = max(1, conversations * 7 // 10)
    with engine.begin() as connection:
        _insert(connection, Operator, _operators())
        _insert(connection, Tag, [{"id": n, "name": name} for n, name in enumerate(TAGS, start=1)])
        _insert(connection, Contact, _contacts(rng, contacts))
        _insert(connection, Conversation, _conversations(rng, plans, ids, contacts, dialog))
        _insert(connection, ConversationTag, _tags(rng, conversations))
        _insert(connection, Message, _messages(rng, flat))
        _insert(connection, Attachment, _attachments(rng, len(flat)))
        _insert(connection, ReadMark, _read_marks(rng, ids, plans))
        _insert(connection, ContactEvent, _events(rng, contacts))
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            autocommit = connection.execution_options(isolation_level="AUTOCOMMIT")
            for table in (
                "operator",
                "tag",
                "contact",
                "conversation",
                "message",
                "attachment",
                "contactevent",
            ):
                # rows came with their ids: move each sequence past them, as the application inserts next
                sequence = f"pg_get_serial_sequence('{table}', 'id')"
                autocommit.execute(text(f"SELECT setval({sequence}, (SELECT max(id) FROM {table}))"))
            autocommit.execute(text("VACUUM ANALYZE"))
    print(
        f"built {conversations} conversations, {len(flat)} messages in {time.perf_counter() - started:.0f} s"
    )


def _insert(
    connection: Any, model: type[SQLModel], rows: Iterator[dict[str, Any]] | list[dict[str, Any]]
) -> None:
    batch: list[dict[str, Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == 5000:
            connection.execute(insert(model), batch)
            batch = []
    if batch:
        connection.execute(insert(model), batch)


def _operators() -> list[dict[str, Any]]:
    return [
        {
            "id": n,
            "email": f"operator{n}@desk.example",
            "alternate_emails": [],
            "name": f"Оператор {n}",
            "avatar_sha256": f"{n:064x}" if n % 2 else None,
            "password_hash": "",
            "role": "operator",
            "active": True,
            "notify_email": True,
            "notify_sound": True,
            "notify_browser": True,
            "created_at": NOW - timedelta(days=400),
        }
        for n in range(1, OPERATORS + 1)
    ]


def _contacts(rng: random.Random, count: int) -> Iterator[dict[str, Any]]:
    for n in range(1, count + 1):
        name = f"{rng.choice(FIRST)} {rng.choice(LAST)}" if rng.random() < 0.8 else ""
        yield {
            "id": n,
            "name": name,
            "email": f"client{n}@mail{n % 97}.example",
            "phone": "",
            "notes": "",
            "language": rng.choice(["ru", "en"]),
            "properties": {"plan": rng.choice(["free", "pro", "team"]), "orders": rng.randint(0, 40)},
            "visitor_id": None,
            "first_seen": NOW - timedelta(days=400),
            "last_seen": NOW,
            "undeliverable_at": None,
            "undeliverable_reason": "",
        }


def _conversations(
    rng: random.Random, plans: list[list[Planned]], ids: dict[int, list[int]], contacts: int, dialog: int
) -> Iterator[dict[str, Any]]:
    for index, plan in enumerate(plans):
        number = index + 1
        last = plan[-1]
        replies = [m.at for m in plan if m.author == "operator" and not m.is_note]
        visits = [m.at for m in plan if m.author == "visitor"]
        last_reply = max(replies, default=None)
        last_visit = max(visits, default=None)
        unassigned = rng.random() < 0.3 and index != dialog
        yield {
            "id": number,
            "contact_id": rng.randint(1, contacts),
            "status": "open" if index == dialog or rng.random() < 0.5 else "closed",
            "assignee_id": None if unassigned else (ME if index == dialog else rng.randint(1, OPERATORS)),
            "subject": message_text(ids[number][0])[:80],
            "channel": rng.choice(["email", "chat"]),
            "message_count": len(plan),
            "created_at": plan[0].at,
            "updated_at": last.at,
            "last_visitor_message_at": last_visit,
            "last_operator_message_at": last_reply,
            "visitor_seen_message_id": 0,
            "visitor_emailed_message_id": 0,
            "last_message_id": ids[number][-1],
            "last_message_preview": message_text(ids[number][-1])[:PREVIEW_LENGTH],
            "last_message_author_kind": last.author,
            "last_message_is_note": last.is_note,
            "last_activity_at": last.at,
            "awaiting_reply": last_visit is not None and (last_reply is None or last_visit > last_reply),
        }


def _tags(rng: random.Random, conversations: int) -> Iterator[dict[str, Any]]:
    for number in range(1, conversations + 1):
        count = rng.choices([0, 1, 2, 3], [40, 35, 20, 5])[0]
        for tag in {rng.choices(range(1, len(TAGS) + 1), TAG_WEIGHTS)[0] for _ in range(count)}:
            yield {"conversation_id": number, "tag_id": tag}


def _messages(rng: random.Random, flat: list[Planned]) -> Iterator[dict[str, Any]]:
    for message_id, planned in enumerate(flat, start=1):
        body = message_text(message_id)
        email = planned.author == "visitor" and rng.random() < 0.6
        html = f"<div><p>{body}</p><blockquote>{body[:300]}</blockquote></div>" if email else None
        yield {
            "id": message_id,
            "conversation_id": planned.conversation,
            "author_kind": planned.author,
            "operator_id": planned.operator,
            "text": body,
            "html": html,
            "is_note": planned.is_note,
            "source": "email" if email else "chat",
            "email_message_id": f"<{message_id}.{planned.conversation}@mail.example>" if email else None,
            "from_address": f"client{planned.conversation}@mail.example" if email else None,
            "from_other_address": False,
            "spool_item_id": None,
            "content_sha256": None,
            "verdicts": {"spam": "pass"} if email else {},
            "delivery": {},
            "created_at": planned.at,
        }


def _attachments(rng: random.Random, messages: int) -> Iterator[dict[str, Any]]:
    for n, message_id in enumerate(rng.sample(range(1, messages + 1), messages // 33), start=1):
        yield {
            "id": n,
            "message_id": message_id,
            "sha256": f"{message_id:064x}",
            "filename": f"скан-{n}.pdf",
            "content_type": "application/pdf",
            "size": rng.randint(10_000, 3_000_000),
            "content_id": None,
            "inline": False,
        }


def _read_marks(
    rng: random.Random, ids: dict[int, list[int]], plans: list[list[Planned]]
) -> Iterator[dict[str, Any]]:
    """Every operator has read a share of the desk, the measured one much of it (a long history)."""
    numbers = list(ids)
    for operator in range(1, OPERATORS + 1):
        share = 0.45 if operator == ME else 0.08
        for number in rng.sample(numbers, int(len(numbers) * share)):
            own = ids[number]
            read = own[-1] if rng.random() < 0.75 else own[rng.randrange(len(own))]
            yield {
                "operator_id": operator,
                "conversation_id": number,
                "last_read_message_id": read,
                "last_emailed_message_id": read,
            }


def _events(rng: random.Random, contacts: int) -> Iterator[dict[str, Any]]:
    for contact in range(1, contacts + 1):
        for _ in range(rng.randint(0, 4)):
            yield {
                "contact_id": contact,
                "kind": "page_view",
                "url": f"https://shop.example/p/{rng.randint(1, 500)}",
                "title": "Товар",
                "properties": {},
                "created_at": NOW - timedelta(days=rng.random() * 90),
            }


def desk_size(engine: Engine) -> tuple[int, int]:
    try:
        with read_session(engine) as session:
            conversations = session.exec(select(func.count()).select_from(Conversation)).one()
            messages = session.exec(select(func.max(col(Message.id)))).one() or 0
        return int(conversations[0]), int(messages[0])
    except Exception:  # no tables yet
        return 0, 0


# --- measuring -----------------------------------------------------------------------------------


class StatementCounter:
    def __init__(self, engine: Engine) -> None:
        self.count = 0
        event.listen(engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        if not statement.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            self.count += 1


@dataclass
class Scenario:
    name: str
    run: Callable[[], object]


def scenarios(engine: Engine, rng: random.Random) -> list[Scenario]:
    def page(**filters: Any) -> Callable[[], object]:
        cursor = filters.pop("cursor", None)

        def run() -> object:
            with read_session(engine) as session:
                return list_conversations(session, ME, InboxFilter(**filters), limit=50, cursor=cursor)

        return run

    def deep_cursor(depth: int, status: str | None = None) -> str | None:
        """The cursor a reader gets after `depth` rows (found directly rather than by paging there)."""
        query = select(col(Conversation.last_activity_at), col(Conversation.id))
        if status is not None:
            query = query.where(col(Conversation.status) == status)
        query = query.order_by(col(Conversation.last_activity_at).desc(), col(Conversation.id).desc())
        with read_session(engine) as session:
            found = session.exec(query.offset(depth - 1).limit(1)).first()
        return encode_cursor(found[0], found[1]) if found else None  # a small desk has no such depth

    dialog = _dialog_id(engine)
    contacts = _open_contacts(engine, rng)
    targets = _open_conversations(engine, rng)

    def open_dialog() -> object:
        with read_session(engine) as session:
            return get_conversation(session, ME, dialog)

    def card() -> object:
        contact_id = rng.choice(contacts)
        with read_session(engine) as session:
            contact = session.get(Contact, contact_id)
            history = list_conversations(session, ME, InboxFilter(status="all", contact_id=contact_id), 20)
            events = session.exec(
                select(ContactEvent)
                .where(col(ContactEvent.contact_id) == contact_id)
                .order_by(col(ContactEvent.created_at).desc())
                .limit(20)
            ).all()
            return contact, history, events

    def reply() -> object:
        with transaction(engine) as session:
            desk = Desk(session, datetime.now(UTC))
            conversation = desk.get_conversation(rng.choice(targets))
            operator = session.get(Operator, ME)
            assert operator is not None
            return desk.post_operator_message(
                conversation, operator, NewMessage(text=message_text(rng.randrange(10**6)))
            )

    def baseline() -> object:
        """What main's GET /inbox did in the database: 200 rows by updated_at, then unread counts that
        join the operator's read marks (webui/inbox.py before the read model)."""
        with read_session(engine) as session:
            rows = session.exec(
                select(Conversation, Contact)
                .join(Contact, col(Contact.id) == col(Conversation.contact_id))
                .where(col(Conversation.status) == "open")
                .order_by(col(Conversation.updated_at).desc())
                .limit(200)
            ).all()
            ids = [conversation.id for conversation, _ in rows]
            read_up_to = func.coalesce(col(ReadMark.last_read_message_id), 0)
            return session.exec(
                select(col(Message.conversation_id), func.count())
                .outerjoin(
                    ReadMark,
                    (col(ReadMark.conversation_id) == col(Message.conversation_id))
                    & (col(ReadMark.operator_id) == ME),
                )
                .where(col(Message.conversation_id).in_(ids), col(Message.id) > read_up_to)
                .group_by(col(Message.conversation_id))
            ).all()

    return [
        Scenario("baseline: main's /inbox queries", baseline),
        Scenario("list: open (no filter)", page()),
        Scenario("list: closed", page(status="closed")),
        Scenario("list: all", page(status="all")),
        Scenario("list: assignee=me", page(assignee="me")),
        Scenario("list: assignee=none", page(assignee="none")),
        Scenario("list: assignee=7", page(assignee=7)),
        Scenario("list: all, assignee=me", page(status="all", assignee="me")),
        Scenario("list: tag=billing", page(tags=("billing",))),
        Scenario("list: tag=vip (rare)", page(tags=("vip",))),
        Scenario("list: tags=billing+доставка", page(tags=("billing", "доставка"))),
        Scenario("list: unread", page(unread=True)),
        Scenario("list: awaiting", page(awaiting=True)),
        Scenario("list: unread+awaiting+me", page(unread=True, awaiting=True, assignee="me")),
        Scenario("list: contact", page(status="all", contact_id=contacts[0])),
        Scenario("list: q=Петров", page(q="Петров")),
        Scenario("list: open, page 201", page(cursor=deep_cursor(10_000, "open"))),
        Scenario("list: all, page 1001", page(status="all", cursor=deep_cursor(50_000))),
        Scenario("dialog: 40 messages", open_dialog),
        Scenario("card: contact + history + events", card),
        Scenario("reply: post + commit", reply),
    ]


def _dialog_id(engine: Engine) -> int:
    with read_session(engine) as session:
        found = session.exec(
            select(col(Conversation.id))
            .where(col(Conversation.message_count) == 40)
            .order_by(col(Conversation.id))
            .limit(1)
        ).first()
    assert found is not None, "the desk has no 40-message dialog"
    return int(found[0])


def _open_contacts(engine: Engine, rng: random.Random) -> list[int]:
    with read_session(engine) as session:
        rows = session.exec(
            select(col(Conversation.contact_id)).where(col(Conversation.status) == "open").limit(5000)
        ).all()
    return rng.sample([row[0] for row in rows], min(200, len(rows)))


def _open_conversations(engine: Engine, rng: random.Random) -> list[int]:
    with read_session(engine) as session:
        rows = session.exec(
            select(col(Conversation.id)).where(col(Conversation.status) == "open").limit(20000)
        ).all()
    return rng.sample([row[0] for row in rows], min(500, len(rows)))


@dataclass
class Figures:
    wall_median: float
    wall_p95: float
    cpu_median: float
    cpu_p95: float
    statements: int


def measure(scenario: Scenario, counter: StatementCounter, repeat: int) -> Figures:
    """Wall time, and this thread's CPU time: on a busy machine the wall time includes waiting for a
    core, while the CPU time is what the request costs (with SQLite, the database's work included)."""
    for _ in range(3):
        scenario.run()  # warm the caches the way a running server has them
    walls: list[float] = []
    cpus: list[float] = []
    statements = 0
    for _ in range(repeat):
        before = counter.count
        started, cpu_started = time.perf_counter(), time.thread_time()
        scenario.run()
        walls.append((time.perf_counter() - started) * 1000)
        cpus.append((time.thread_time() - cpu_started) * 1000)
        statements = counter.count - before
    return Figures(statistics.median(walls), _p95(walls), statistics.median(cpus), _p95(cpus), statements)


def _p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, int(len(ordered) * 0.95) - 1)]


class FullCollections:
    """Counts the collector's generation-2 passes and the time they take."""

    def __init__(self) -> None:
        self.count = 0
        self.total_ms = 0.0
        self._started = 0.0
        gc.callbacks.append(self._seen)

    def _seen(self, phase: str, info: dict[str, int]) -> None:
        if info.get("generation") != 2:
            return
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.count += 1
            self.total_ms += (time.perf_counter() - self._started) * 1000


def report(engine: Engine, repeat: int, mode: str, only: str | None) -> dict[str, float]:
    counter = StatementCounter(engine)
    collections = FullCollections()
    p95s: dict[str, float] = {}
    print(f"\n{mode}:{'wall median':>30} {'p95':>7} {'cpu median':>11} {'p95':>7} {'queries':>8}")
    chosen = [
        s
        for s in scenarios(engine, random.Random(11))
        if not only or any(w in s.name for w in only.split(","))
    ]
    for scenario in chosen:
        figures = measure(scenario, counter, repeat)
        p95s[scenario.name] = figures.cpu_p95
        flag = "" if figures.cpu_p95 < 50 else "   cpu p95 over 50 ms"
        print(
            f"  {scenario.name:<34} {figures.wall_median:8.1f} {figures.wall_p95:7.1f}"
            f" {figures.cpu_median:11.1f} {figures.cpu_p95:7.1f} {figures.statements:8d}{flag}"
        )
    each = collections.total_ms / collections.count if collections.count else 0.0
    print(f"  full (gen-2) collections: {collections.count}, {each:.1f} ms each")
    base, new = p95s.get("baseline: main's /inbox queries"), p95s.get("list: open (no filter)")
    if base and new:
        print(f"  open list against main's /inbox: {new / base:.2f} of its cpu p95")
    gc.callbacks.remove(collections._seen)
    return p95s


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = f"sqlite:///{Path(tempfile.gettempdir()) / 'relaydesk-bench-inbox.sqlite'}"
    parser.add_argument("--database", default=default, help="SQLAlchemy URL (default: %(default)s)")
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--messages-per-conversation", type=int, default=10)
    parser.add_argument("--repeat", type=int, default=100, help="timed runs per scenario")
    parser.add_argument(
        "--rebuild", action="store_true", help="build the desk even if one of this size is there"
    )
    parser.add_argument("--gc", choices=["default", "freeze", "both"], default="both")
    parser.add_argument("--only", help="comma-separated parts of scenario names to run")
    args = parser.parse_args()
    engine = make_engine(args.database)
    wanted = (args.conversations, args.conversations * args.messages_per_conversation)
    size = desk_size(engine)
    if args.rebuild or size[0] != wanted[0] or size[1] < wanted[1]:
        build(engine, args.conversations, args.messages_per_conversation)
    conversations, messages = desk_size(engine)
    print(f"database: {engine.dialect.name}, {conversations} conversations, {messages} messages")
    gc.collect()
    results: dict[str, dict[str, float]] = {}
    if args.gc in ("default", "both"):
        results["gc as is"] = report(engine, args.repeat, "gc as is", args.only)
    if args.gc in ("freeze", "both"):
        gc.freeze()
        results["gc.freeze()"] = report(engine, args.repeat, "gc.freeze()", args.only)
    if len(results) == 2:
        before, after = results.values()
        worst_before = max(v for k, v in before.items() if not k.startswith("baseline"))
        worst_after = max(v for k, v in after.items() if not k.startswith("baseline"))
        print(f"\nworst cpu p95: {worst_before:.1f} ms as is, {worst_after:.1f} ms frozen")


if __name__ == "__main__":
    main()
