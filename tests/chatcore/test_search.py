"""Full-text search (issue 18) on the fixture desk in tests/data/search, on SQLite and PostgreSQL."""

from __future__ import annotations

import mailbox
import subprocess
import sys
import textwrap
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from bridge.db import make_engine, migrate, read_session, transaction
from chatcore import search, search_index
from chatcore.errors import DomainError
from chatcore.files import NewAttachment
from chatcore.inbox import InboxFilter, InboxPage, item_to_json, list_conversations
from chatcore.merge import join_conversations
from chatcore.models import Contact, Conversation, Operator
from chatcore.search import excerpt, parse_query, search_conversations
from chatcore.search_terms import tokens
from chatcore.services import Desk, NewMessage
from inbound.clean import clean_reply
from tests.support.databases import backends, database_url
from tests.support.factories import add_contact, add_operator

DATA = Path(__file__).resolve().parent.parent / "data" / "search"
CORPUS = tomllib.loads((DATA / "corpus.toml").read_text(encoding="utf-8"))
CASES = tomllib.loads((DATA / "cases.toml").read_text(encoding="utf-8"))
START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@dataclass
class Desk_:
    engine: Engine
    ids: dict[str, int]  # dialog key -> conversation id

    def find(self, query: str, **filters: Any) -> list[str]:
        keys = {conversation_id: key for key, conversation_id in self.ids.items()}
        with Session(self.engine) as session:
            hits = search_conversations(session, query, 50, **filters)
        return [keys[hit.conversation_id] for hit in hits]


def load_corpus(engine: Engine) -> dict[str, int]:
    """Every dialog of corpus.toml, posted through the desk's services one minute apart."""
    ids: dict[str, int] = {}
    now = START
    with transaction(engine) as session:
        operator = add_operator(session, "olga@example.com", now=now, name="Olga")
        for dialog in CORPUS["dialog"]:
            contact = Contact(first_seen=now, last_seen=now, **dialog["contact"])
            session.add(contact)
            session.flush()
            conversation, _ = Desk(session, now).start_conversation(
                contact, dialog["channel"], dialog.get("subject", "")
            )
            for message in dialog["message"]:
                now += timedelta(minutes=1)
                _post(Desk(session, now), conversation, operator, message, dialog["channel"])
            assert conversation.id is not None
            ids[dialog["key"]] = conversation.id
    return ids


def _post(
    desk: Desk, conversation: Conversation, operator: Operator, message: dict[str, Any], channel: str
) -> None:
    body = clean_reply(message["body"], None).text if "body" in message else message["text"]
    files = tuple(
        NewAttachment(sha256="0" * 64, filename=name, content_type="application/octet-stream", size=1)
        for name in message.get("attachments", [])
    )
    new = NewMessage(text=body, source=channel, attachments=files)
    if message["author"] == "visitor":
        desk.post_visitor_message(conversation, new)
    elif message["author"] == "operator":
        desk.post_operator_message(conversation, operator, new)
    else:
        desk.post_note(conversation, operator, new)


@pytest.fixture(scope="module")
def desks(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Desk_]]:
    """The corpus loaded once per backend for the whole module."""
    made: dict[str, Desk_] = {}
    contexts = []
    for backend in backends():
        folder = tmp_path_factory.mktemp(backend)
        context = database_url(backend, folder)
        url = context.__enter__()
        contexts.append(context)
        engine = make_engine(url, str(folder))
        migrate(engine)
        made[backend] = Desk_(engine, load_corpus(engine))
    yield made
    for desk in made.values():
        desk.engine.dispose()
    for context in contexts:
        context.__exit__(None, None, None)


CASE_IDS = [case["query"] for case in CASES["case"]]


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("case", CASES["case"], ids=CASE_IDS)
def test_corpus_case(desks: dict[str, Desk_], backend: str, case: dict[str, Any]) -> None:
    found = desks[backend].find(case["query"])
    missing = set(case["find"]) - set(found)
    wrong = set(case.get("not", [])) & set(found)
    assert not missing, f"{case['query']!r} misses {missing}"
    assert not wrong, f"{case['query']!r} wrongly finds {wrong}"
    if "first" in case:
        assert found[0] == case["first"]


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("case", CASES["limit"], ids=[case["query"] for case in CASES["limit"]])
def test_what_stemming_cannot_do_is_as_documented(
    desks: dict[str, Desk_], backend: str, case: dict[str, Any]
) -> None:
    assert not set(case["not"]) & set(desks[backend].find(case["query"])), case["why"]


@pytest.mark.skipif(len(backends()) < 2, reason="needs RELAYDESK_TEST_DATABASE_URL (PostgreSQL)")
def test_both_databases_give_the_same_results_in_the_same_order(desks: dict[str, Desk_]) -> None:
    queries = [case["query"] for case in CASES["case"] + CASES["limit"]]
    queries += ["the", "и", "заказ оплата", '"payment failed"', "ivan", "example.com"]
    for query in queries:
        assert desks["sqlite"].find(query) == desks["postgres"].find(query), query


@pytest.mark.parametrize("backend", backends())
def test_the_list_filters_combine_with_the_query(desks: dict[str, Desk_], backend: str) -> None:
    desk = desks[backend]
    contact_id = _contact_of(desk, "orders-ru")
    assert desk.find("заказ", contact_id=contact_id) == ["orders-ru"]
    assert desk.find("заказ", status="closed") == []
    assert set(desk.find("заказ", status="open")) >= {"orders-ru", "card-ru"}


def _contact_of(desk: Desk_, key: str) -> int:
    with Session(desk.engine) as session:
        conversation = session.get(Conversation, desk.ids[key])
        assert conversation is not None
        return conversation.contact_id


@pytest.mark.parametrize("backend", backends())
def test_a_hit_shows_the_matching_text_highlighted(desks: dict[str, Desk_], backend: str) -> None:
    with Session(desks[backend].engine) as session:
        hits = search_conversations(session, "ПЛАТЕЖ картой", 5)
        by_contact = search_conversations(session, "+7 912 345-67-89", 5)
    assert [hit.conversation_id for hit in hits] == [desks[backend].ids["card-ru"]]
    assert "<mark>платёж</mark>" in hits[0].excerpt
    assert "<mark>картой</mark>" in hits[0].excerpt
    assert "Анна Смирнова" in by_contact[0].excerpt, "a contact match shows the contact"


def test_an_excerpt_is_escaped_before_it_is_marked() -> None:
    query = parse_query("payment")
    shown = excerpt('<img src=x onerror="alert(1)"> payment & <b>more</b>', query.highlighted)
    assert shown == (
        "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; <mark>payment</mark> &amp; &lt;b&gt;more&lt;/b&gt;"
    )


def test_a_long_text_is_cut_around_the_first_match() -> None:
    document = "word " * 100 + "the refund is late " + "tail " * 100
    shown = excerpt(document, parse_query("refund").highlighted, width=80)
    assert shown.startswith("…")
    assert shown.endswith("…")
    assert "<mark>refund</mark>" in shown
    assert len(shown) < 120


def test_the_query_reads_phrases_addresses_and_phones() -> None:
    query = parse_query('"Возврат денег" Ivan@Example.com  +7 (912) 345-67-89 заказ 1045 2026 acme.com')
    assert [part.terms for part in query.parts] == [
        ("возврат", "денег"),
        ("9123456789",),
        ("ivan@example.com",),
        ("заказ",),
        ("1045",),
        ("2026",),
        ("acm", "com"),
    ]
    assert parse_query('  "" ... ').parts == ()


def test_tokens_keep_the_place_of_each_word_in_the_text() -> None:
    found = [(t.start, t.end, t.term) for t in tokens("Ёлки, mail@x.ru!")]
    assert found == [(0, 4, "елк"), (6, 15, "mail@x.ru")]


# --- writes: contacts, crashes, migrate -----------------------------------------------------------


def test_an_edited_contact_is_found_by_what_it_says_now(engine: Engine) -> None:
    with transaction(engine) as session:
        contact = add_contact(session, now=START, name="Вера Павлова", email="vera@example.net")
        conversation, _ = Desk(session, START).start_conversation(contact, "chat")
        Desk(session, START).post_visitor_message(conversation, NewMessage(text="Добрый день"))
        contact_id = contact.id
    with transaction(engine) as session:
        stored = session.get(Contact, contact_id)
        assert stored is not None
        stored.name = "Вера Соколова"
        stored.phone = "+7 999 000-11-22"
        session.add(stored)
    with Session(engine) as session:
        assert [h.conversation_id for h in search_conversations(session, "Соколова")] == [conversation.id]
        assert search_conversations(session, "Павлова") == []
        assert len(search_conversations(session, "9990001122")) == 1
        assert search_index.is_current(session.connection())


def test_a_rolled_back_message_is_not_found_and_a_committed_one_is(engine: Engine) -> None:
    with transaction(engine) as session:
        contact = add_contact(session, now=START, name="Nick")
        conversation, _ = Desk(session, START).start_conversation(contact, "chat")
        Desk(session, START).post_visitor_message(conversation, NewMessage(text="my laptop overheats"))
    with pytest.raises(RuntimeError):
        _post_then_fail(engine, conversation.id)
    with Session(engine) as session:
        assert len(search_conversations(session, "laptop")) == 1
        assert search_conversations(session, "charger") == []
        assert search_index.is_current(session.connection())


def _post_then_fail(engine: Engine, conversation_id: int | None) -> None:
    with transaction(engine) as session:
        loaded = session.get(Conversation, conversation_id)
        assert loaded is not None
        Desk(session, START).post_visitor_message(loaded, NewMessage(text="the charger sparkles"))
        raise RuntimeError("the request failed after posting")


CRASHING_WRITER = textwrap.dedent(
    """
    import os, sys
    from datetime import UTC, datetime
    from sqlmodel import Session
    from bridge.db import make_engine
    from chatcore.models import Conversation
    from chatcore.services import Desk, NewMessage

    engine = make_engine(sys.argv[1])
    now = datetime.now(UTC)
    with Session(engine) as session:
        conversation = session.get(Conversation, int(sys.argv[2]))
        Desk(session, now).post_visitor_message(conversation, NewMessage(text="the parcel arrived wet"))
        session.commit()
        conversation = session.get(Conversation, int(sys.argv[2]))
        Desk(session, now).post_visitor_message(conversation, NewMessage(text="the umbrella broke"))
        session.flush()
        os._exit(1)  # dies with the second message written but not committed
    """
)


def test_a_process_killed_mid_transaction_leaves_the_index_in_step(engine: Engine, db_url: str) -> None:
    with transaction(engine) as session:
        contact = add_contact(session, now=START, name="Kim")
        conversation, _ = Desk(session, START).start_conversation(contact, "chat")
    result = subprocess.run(
        [sys.executable, "-c", CRASHING_WRITER, db_url, str(conversation.id)], check=False, timeout=60
    )
    assert result.returncode == 1
    with Session(engine) as session:
        assert len(search_conversations(session, "parcel wet")) == 1
        assert search_conversations(session, "umbrella") == []
        assert search_index.is_current(session.connection())


def _post_one(engine: Engine, words: str) -> int:
    with transaction(engine) as session:
        contact = add_contact(session, now=START, name="Lena")
        conversation, _ = Desk(session, START).start_conversation(contact, "chat", "Принтер")
        Desk(session, START).post_visitor_message(conversation, NewMessage(text=words))
        assert conversation.id is not None
        return conversation.id


def _found(engine: Engine, query: str) -> list[int]:
    with Session(engine) as session:
        return [hit.conversation_id for hit in search_conversations(session, query)]


def test_migrate_rebuilds_a_dropped_sqlite_index(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'desk.db'}")
    migrate(engine)
    conversation_id = _post_one(engine, "принтер печатает полосами")
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP TABLE searchtext_fts")
    migrate(engine)
    assert _found(engine, "принтеры полосы") == [conversation_id]


def test_migrate_rebuilds_a_stale_index(engine: Engine) -> None:
    """Messages written around the services (an older version, a bulk load) are indexed by migrate."""
    conversation_id = _post_one(engine, "принтер печатает полосами")
    with engine.begin() as connection:
        connection.execute(
            text(
                "INSERT INTO message (conversation_id, author_kind, text, is_note, source, "
                "from_other_address, verdicts, delivery, created_at) VALUES (:c, 'visitor', "
                "'картридж закончился', false, 'chat', false, '{}', '{}', :now)"
            ),
            {"c": conversation_id, "now": START},
        )
        if connection.dialect.name == "sqlite":
            connection.exec_driver_sql("INSERT INTO searchtext_fts(searchtext_fts) VALUES ('delete-all')")
    with engine.connect() as connection:
        assert not search_index.is_current(connection)
    migrate(engine)
    assert _found(engine, "картриджи") == [conversation_id]
    assert _found(engine, "полоса") == [conversation_id]
    with transaction(engine) as session:
        loaded = session.get(Conversation, conversation_id)
        assert loaded is not None
        Desk(session, START).post_visitor_message(loaded, NewMessage(text="и бумага застряла"))
    assert _found(engine, "бумагу") == [conversation_id], "new messages go on after the rebuilt ones"


# --- imported history -----------------------------------------------------------------------------


def test_imported_mail_is_searchable_once_stored(
    tmp_path: Path, db_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from bridge.cli import main

    archive = mailbox.mbox(tmp_path / "old.mbox", create=True)
    archive.add(
        "\r\n".join(
            [
                "From: Dana <dana@example.net>",
                "To: support@example.com",
                "Subject: Счёт за февраль",
                "Date: Mon, 02 Mar 2026 09:00:00 +0300",
                "Message-ID: <old-1@example.net>",
                "Content-Type: text/plain; charset=utf-8",
                "Content-Transfer-Encoding: 8bit",
                "",
                "Пришлите, пожалуйста, закрывающие документы.",
                "",
                "1 марта 2026 г., 10:00, support@example.com пишет:",
                "> Ваш пароль изменён.",
                "",
            ]
        ).encode()
    )
    archive.flush()
    config = tmp_path / "config.toml"
    config.write_text(
        f'[site]\nsecret_key = "{"k" * 40}"\n[database]\nurl = "{db_url}"\n'
        '[mail]\naddress = "support@example.com"\n[outbound]\nmaildir = "out"\n',
        encoding="utf-8",
    )
    assert main(["--config", str(config), "import", str(tmp_path / "old.mbox")]) == 0
    capsys.readouterr()
    engine = make_engine(db_url, str(tmp_path))
    try:
        with Session(engine) as session:
            dana = session.exec(select(Contact).where(Contact.email == "dana@example.net")).one()
            conversation = session.exec(select(Conversation).where(Conversation.contact_id == dana.id)).one()
        assert _found(engine, "документ") == [conversation.id]
        assert _found(engine, "счета") == [conversation.id], "the subject"
        assert _found(engine, "dana@example.net") == [conversation.id], "the contact the import made"
        assert _found(engine, "пароль") == [], "quoted history is not searched"
    finally:
        engine.dispose()


# --- the dialog list with a query -----------------------------------------------------------------


def _listed(desk: Desk_, limit: int = 50, cursor: str | None = None, **filters: Any) -> InboxPage:
    with Session(desk.engine) as session:
        operator = session.exec(select(Operator)).first()
        assert operator is not None
        assert operator.id is not None
        return list_conversations(session, operator.id, InboxFilter(**filters), limit, cursor)


@pytest.mark.parametrize("backend", backends())
def test_the_list_with_a_query_is_best_match_first_with_excerpts(
    desks: dict[str, Desk_], backend: str
) -> None:
    desk = desks[backend]
    keys = {conversation_id: key for key, conversation_id in desk.ids.items()}
    page = _listed(desk, q="payment", status="all")
    assert [keys[item.id] for item in page.items] == desk.find("payment")
    assert keys[page.items[0].id] == "payment-en"
    assert page.items[0].excerpt is not None
    assert "<mark>payment</mark>" in page.items[0].excerpt
    assert page.counts.all == len(page.items)
    assert item_to_json(page.items[0])["excerpt"] == page.items[0].excerpt
    plain = _listed(desk, status="all")
    assert all(item.excerpt is None for item in plain.items)
    assert "excerpt" not in item_to_json(plain.items[0])


@pytest.mark.parametrize("backend", backends())
def test_the_list_filters_narrow_a_search_and_pages_follow_the_ranking(
    desks: dict[str, Desk_], backend: str
) -> None:
    desk = desks[backend]
    keys = {conversation_id: key for key, conversation_id in desk.ids.items()}
    contact_id = _contact_of(desk, "orders-ru")
    assert [keys[i.id] for i in _listed(desk, q="заказ", contact_id=contact_id).items] == ["orders-ru"]
    assert _listed(desk, q="заказ", status="closed").items == []
    assert _listed(desk, q="заказ", assignee="me").items == []
    unread = _listed(desk, q="заказ", unread=True)
    assert [keys[i.id] for i in unread.items] == ["partner-ru"], "the operator answered the other two"
    assert unread.counts.all == 1
    everything = [keys[item.id] for item in _listed(desk, q="заказ").items]
    first = _listed(desk, limit=2, q="заказ")
    assert first.next_cursor is not None
    rest = _listed(desk, limit=2, cursor=first.next_cursor, q="заказ")
    assert [keys[item.id] for item in first.items + rest.items] == everything
    assert len(everything) == 3
    with pytest.raises(DomainError):
        _listed(desk, cursor=first.next_cursor)


@pytest.mark.parametrize("backend", backends())
@pytest.mark.parametrize("lookups", [0, 100], ids=["range-scan", "dialog-by-dialog"])
def test_a_common_word_is_looked_up_among_the_dialogs_of_a_rarer_one(
    desks: dict[str, Desk_], backend: str, lookups: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With at most 3 candidate texts, "заказ" (5 texts) is too common to pick candidates: "Анна" picks
    them, and "заказ" is looked up among them, however old they are."""
    monkeypatch.setattr(search, "CANDIDATE_TEXTS", 3)
    monkeypatch.setattr(search, "PER_DIALOG_LOOKUPS", lookups)
    desk = desks[backend]
    assert desk.find("заказ Анна") == ["card-ru"]
    assert desk.find("Анна заказ") == ["card-ru"]
    assert set(desk.find("заказ")) == {"partner-ru", "orders-ru"}, "its 3 newest texts only"


@pytest.mark.parametrize("backend", backends())
def test_search_runs_in_a_read_only_transaction(desks: dict[str, Desk_], backend: str) -> None:
    with read_session(desks[backend].engine) as session:
        operator = session.exec(select(Operator)).first()
        assert operator is not None
        assert operator.id is not None
        page = list_conversations(session, operator.id, InboxFilter(q="payment", status="all"))
        hits = search_conversations(session, "payment")
    assert [item.id for item in page.items] == [hit.conversation_id for hit in hits]
    assert hits


def test_a_joined_conversation_is_found_in_the_one_it_was_joined_into(engine: Engine) -> None:
    with transaction(engine) as session:
        contact = add_contact(session, now=START, name="Роза Ветрова")
        keeper, _ = Desk(session, START).start_conversation(contact, "email", "Кресло")
        Desk(session, START).post_visitor_message(keeper, NewMessage(text="кресло скрипит"))
        joined, _ = Desk(session, START).start_conversation(contact, "email", "Re: Кресло")
        Desk(session, START).post_visitor_message(joined, NewMessage(text="и подлокотник шатается"))
        join_conversations(session, START, keeper, joined, "joined")
        Desk(session, START).post_visitor_message(keeper, NewMessage(text="жду мастера"))
    assert _found(engine, "подлокотник") == [keeper.id]
    assert _found(engine, "Ветрова") == [keeper.id], "not the empty conversation left behind"
    assert _found(engine, "мастер скрипит подлокотник") == [keeper.id]
    with engine.connect() as connection:
        assert search_index.is_current(connection)
