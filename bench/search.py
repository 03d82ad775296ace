"""Full-text search at scale: index build time, index size, and query times on SQLite and PostgreSQL.

Builds a desk of N conversations with ten messages each (bulk inserts; half Russian, half English,
words drawn from a Zipf-shaped vocabulary so some are in most messages and some in a handful), builds
the search index over it, and times 50 queries (one word, two words, a phrase, a rare and a very common
word, Russian and English) through chatcore.search.search_conversations (50 results with excerpts),
and through the desk list (chatcore.inbox.list_conversations with q=, which also counts the tabs).
Baseline: a substring scan (LIKE) over message text, the search that finds no word forms.

On SQLite the search runs in this process, so its CPU time is printed too: on a busy machine it is
what the queries would take on a quiet one.

Usage: python bench/search.py [--conversations 100000] [--postgres URL] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text
from sqlalchemy.engine import Engine
from sqlmodel import Session

from bridge.db import make_engine, migrate
from chatcore import search_index
from chatcore.inbox import InboxFilter, list_conversations
from chatcore.models import Attachment, Contact, Conversation, Message, Operator
from chatcore.search import search_conversations
from tests.support.databases import database_url

MESSAGES_PER_CONVERSATION = 10
VOCABULARY = 50_000
BATCH = 10_000
START = datetime(2025, 1, 1, tzinfo=UTC)

# Real words at chosen frequency ranks (0 = the most frequent word of its language), with their forms.
ANCHORS = {
    "ru": {
        0: ["заказ", "заказа", "заказы", "заказов", "заказом"],
        5: ["доставка", "доставки", "доставку", "доставкой"],
        20: ["оплата", "оплаты", "оплату", "оплатой"],
        200: ["возврат", "возврата", "возвратом"],
        3000: ["чайник", "чайника", "чайником"],
        40_000: ["квитанция", "квитанции", "квитанцию"],
    },
    "en": {
        0: ["order", "orders", "ordered"],
        5: ["delivery", "deliveries", "delivered"],
        20: ["payment", "payments", "paying"],
        200: ["refund", "refunds", "refunded"],
        3000: ["kettle", "kettles"],
        40_000: ["warranty", "warranties"],
    },
}
SENTENCES = {
    "ru": ["не проходит оплата картой", "где мой заказ", "прошу оформить возврат денег"],
    "en": ["my card payment failed", "where is my order", "please process a refund"],
}
QUERIES = [
    # one word
    ("one word", "заказ"),
    ("one word", "доставкой"),
    ("one word", "оплата"),
    ("one word", "возврату"),
    ("one word", "чайник"),
    ("one word", "order"),
    ("one word", "delivery"),
    ("one word", "payment"),
    ("one word", "refunds"),
    ("one word", "kettle"),
    # two words
    ("two words", "заказ доставка"),
    ("two words", "оплата возврат"),
    ("two words", "чайник заказ"),
    ("two words", "возврат денег"),
    ("two words", "картой оплата"),
    ("two words", "order delivery"),
    ("two words", "payment refund"),
    ("two words", "kettle order"),
    ("two words", "card failed"),
    ("two words", "refund please"),
    # phrases
    ("phrase", '"оплата картой"'),
    ("phrase", '"где мой заказ"'),
    ("phrase", '"возврат денег"'),
    ("phrase", '"не проходит"'),
    ("phrase", '"оформить возврат"'),
    ("phrase", '"card payment"'),
    ("phrase", '"where is my order"'),
    ("phrase", '"process a refund"'),
    ("phrase", '"payment failed"'),
    ("phrase", '"my card"'),
    # rare
    ("rare", "квитанция"),
    ("rare", "квитанцию"),
    ("rare", "warranty"),
    ("rare", "warranties"),
    ("rare", "квитанция заказ"),
    ("rare", "warranty order"),
    ("rare", "чайник квитанция"),
    ("rare", "kettle warranty"),
    ("rare", '"квитанция"'),
    ("rare", "zzzzqx"),
    # very common
    ("very common", "заказы"),
    ("very common", "заказов"),
    ("very common", "orders"),
    ("very common", "order"),
    ("very common", "заказ order"),
    ("very common", "доставка"),
    ("very common", "deliveries"),
    ("very common", "заказ доставка оплата"),
    ("very common", "order delivery payment"),
    ("very common", '"order"'),
]
BASELINE_QUERIES = ["заказ", "чайник", "kettle", "квитанция", "payment"]


# --- the desk ---------------------------------------------------------------------------------------


class Vocabulary:
    """Zipf-shaped word lists, one per language, with the anchor words at their ranks."""

    def __init__(self, rng: random.Random) -> None:
        self.words: dict[str, list[list[str]]] = {}
        self.weights = [1.0 / (rank + 1) for rank in range(VOCABULARY)]
        for language, letters in (
            ("ru", ("бвгдзклмнпрстфхчш", "аеиоуыя")),
            ("en", ("bcdfghklmnprstvw", "aeiou")),
        ):
            made: list[list[str]] = [_made_up(rng, *letters, language) for _ in range(VOCABULARY)]
            for rank, forms in ANCHORS[language].items():
                made[rank] = forms
            self.words[language] = made
        self.cumulative = list(_accumulate(self.weights))

    def message(self, rng: random.Random, language: str) -> str:
        count = rng.randint(6, 18)
        picks = rng.choices(self.words[language], cum_weights=self.cumulative, k=count)
        words = [rng.choice(forms) for forms in picks]
        if rng.random() < 0.05:
            words.insert(rng.randint(0, len(words)), rng.choice(SENTENCES[language]))
        return " ".join(words).capitalize() + "."


def _made_up(rng: random.Random, consonants: str, vowels: str, language: str) -> list[str]:
    base = "".join(rng.choice(consonants) + rng.choice(vowels) for _ in range(rng.randint(2, 4)))
    endings = ["", "а", "у", "ом", "ы", "ов"] if language == "ru" else ["", "s", "ed", "ing"]
    return [base + ending for ending in rng.sample(endings, 3)]


def _accumulate(weights: list[float]) -> Iterator[float]:
    total = 0.0
    for weight in weights:
        total += weight
        yield total


def build_desk(engine: Engine, conversations: int) -> None:
    """Contacts, conversations and messages in bulk, straight into the tables (no index yet)."""
    rng = random.Random(18)
    vocabulary = Vocabulary(rng)
    contacts = max(1, conversations // 2)
    with engine.begin() as connection:
        connection.execute(
            insert(Operator),
            [{"email": "op@example.com", "name": "Op", "alternate_emails": [], "created_at": START}],
        )
        for start in range(0, contacts, BATCH):
            connection.execute(
                insert(Contact), [_contact(i) for i in range(start, min(contacts, start + BATCH))]
            )
        for start in range(0, conversations, BATCH):
            ids = range(start, min(conversations, start + BATCH))
            connection.execute(insert(Conversation), [_conversation(i, contacts, rng) for i in ids])
            messages = [
                _message(i, n, vocabulary, rng) for i in ids for n in range(MESSAGES_PER_CONVERSATION)
            ]
            connection.execute(insert(Message), messages)
        attachments = [
            {
                "message_id": rng.randint(1, conversations * MESSAGES_PER_CONVERSATION),
                "sha256": "0" * 64,
                "filename": f"{rng.choice(['invoice', 'счёт', 'photo', 'договор'])}-{n}.pdf",
                "size": 1,
            }
            for n in range(conversations // 5)
        ]
        if attachments:
            connection.execute(insert(Attachment), attachments)


def _contact(i: int) -> dict[str, Any]:
    name = ["Анна", "Пётр", "John", "Mary", "Ольга", "Tom"][i % 6] + f" {i}"
    return {
        "id": i + 1,
        "name": name,
        "email": f"user{i}@example.com",
        "phone": f"+7 900 {i:07d}",
        "notes": "",
        "properties": {},
        "first_seen": START,
        "last_seen": START,
    }


def _conversation(i: int, contacts: int, rng: random.Random) -> dict[str, Any]:
    when = START + timedelta(minutes=i)
    return {
        "id": i + 1,
        "contact_id": rng.randint(1, contacts),
        "status": "open" if i % 3 else "closed",
        "subject": "",
        "channel": "chat",
        "message_count": MESSAGES_PER_CONVERSATION,
        "created_at": when,
        "updated_at": when,
        "last_activity_at": when,
    }


def _message(i: int, n: int, vocabulary: Vocabulary, rng: random.Random) -> dict[str, Any]:
    language = "ru" if i % 2 else "en"
    return {
        "conversation_id": i + 1,
        "author_kind": "visitor" if n % 2 == 0 else "operator",
        "text": vocabulary.message(rng, language),
        "is_note": False,
        "source": "chat",
        "from_other_address": False,
        "verdicts": {},
        "delivery": {},
        "created_at": START + timedelta(minutes=i, seconds=n),
    }


# --- measuring --------------------------------------------------------------------------------------


def index_size(engine: Engine, path: Path | None) -> int:
    with engine.connect() as connection:
        if path is None:
            return int(
                connection.execute(
                    text(
                        "SELECT pg_total_relation_size('searchtext') + pg_total_relation_size('searchperson')"
                    )
                ).scalar_one()
            )
        pages = connection.execute(text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'search%'")).scalar()
        return int(pages or 0)


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1000


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p95 = ordered[max(0, round(0.95 * len(ordered)) - 1)]
    return f"median {statistics.median(ordered):7.1f} ms   p95 {p95:7.1f} ms   max {ordered[-1]:7.1f} ms"


def run(name: str, url: str, folder: Path, conversations: int) -> dict[str, list[int]]:
    engine = make_engine(url, str(folder))
    migrate(engine)
    started = time.perf_counter()
    build_desk(engine, conversations)
    print(
        f"[{name}] desk built: {conversations} conversations, "
        f"{conversations * MESSAGES_PER_CONVERSATION} messages in {time.perf_counter() - started:.0f} s"
    )
    with engine.begin() as connection:
        build_cpu = time.process_time()
        build = timed(lambda: search_index.rebuild(connection))
        build_cpu = time.process_time() - build_cpu
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.exec_driver_sql("ANALYZE")
        else:
            connection.exec_driver_sql("ANALYZE")
    size = index_size(engine, None if name == "postgresql" else folder)
    print(
        f"[{name}] index build: {build / 1000:.1f} s (this process's CPU: {build_cpu:.1f} s), "
        f"index size: {size / 2**20:.0f} MiB"
    )
    results: dict[str, list[int]] = {}
    with Session(engine) as session:
        operator_id = 1
        for _, query in QUERIES[:5]:
            search_conversations(session, query)  # warm the caches
        times: dict[str, list[float]] = {}
        listed: list[float] = []
        per_query: list[tuple[float, str]] = []
        cpu: list[float] = []  # this process's CPU time: on SQLite all the work, whatever else runs
        for kind, query in QUERIES:
            started, started_cpu = time.perf_counter(), time.process_time()
            hits = search_conversations(session, query)
            times.setdefault(kind, []).append((time.perf_counter() - started) * 1000)
            cpu.append((time.process_time() - started_cpu) * 1000)
            per_query.append((times[kind][-1], query))
            results[query] = [hit.conversation_id for hit in hits]
            page_filter = InboxFilter(status="all", q=query)
            listed.append(timed(lambda f=page_filter: list_conversations(session, operator_id, f, 50)))
        every = [t for kind_times in times.values() for t in kind_times]
        slowest = sorted(per_query, reverse=True)[:3]
        print(f"[{name}] slowest: " + ", ".join(f"{q} {t:.0f} ms" for t, q in slowest))
        print(f"[{name}] search_conversations, {len(every)} queries: {percentiles(every)}")
        if name == "sqlite":
            print(f"[{name}]   CPU time     {percentiles(cpu)}")
        for kind, kind_times in times.items():
            print(f"[{name}]   {kind:<12} {percentiles(kind_times)}")
        print(f"[{name}] list_conversations(q=…), same queries: {percentiles(listed)}")
        like = [timed(lambda q=query: _substring_scan(session, q)) for query in BASELINE_QUERIES]
        ours = [timed(lambda q=query: search_conversations(session, q)) for query in BASELINE_QUERIES]
        print(
            f"[{name}] baseline LIKE scan over message text, {len(like)} one-word queries: "
            f"{percentiles(like)}; LIKE/search (medians) "
            f"{statistics.median(like) / statistics.median(ours):.0f}x"
        )
    engine.dispose()
    return results


def _substring_scan(session: Session, word: str) -> list[Any]:
    return list(
        session.execute(
            text(
                "SELECT conversation_id, count(*) AS n FROM message WHERE lower(text) LIKE :p "
                "GROUP BY conversation_id ORDER BY n DESC LIMIT 50"
            ),
            {"p": f"%{word}%"},
        )
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--conversations", type=int, default=100_000)
    parser.add_argument("--postgres", help="a PostgreSQL URL; a throwaway schema is made in it")
    parser.add_argument("--no-sqlite", action="store_true")
    args = parser.parse_args()
    found: dict[str, dict[str, list[int]]] = {}
    with tempfile.TemporaryDirectory() as folder:
        if not args.no_sqlite:
            with database_url("sqlite", Path(folder)) as url:
                found["sqlite"] = run("sqlite", url, Path(folder), args.conversations)
        if args.postgres:
            import os

            os.environ["RELAYDESK_TEST_DATABASE_URL"] = args.postgres
            with database_url("postgres", Path(folder)) as url:
                found["postgresql"] = run("postgresql", url, Path(folder), args.conversations)
    if len(found) == 2:
        same = sum(found["sqlite"][q] == found["postgresql"][q] for _, q in QUERIES)
        print(f"same results in the same order on both databases: {same}/{len(QUERIES)} queries")


if __name__ == "__main__":
    main()
