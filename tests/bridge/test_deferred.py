"""A temporary failure is temporary: the mail waits and is tried again, and is quarantined only after a
deadline. Pending mail is taken in the order the spool acknowledged it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, col, select

from bridge.context import Context
from bridge.inbound_store import store_raw
from bridge.pipeline import RETRY_FOR, process_pending
from chatcore.models import Message, SpoolStatus
from inbound.dkim_check import check_dkim
from tests.bridge.pipeline_scene import mail, messages, spool
from tests.bridge.test_dkim_operators import Keys, add_scene, dkim_context, refusals, reply, signed_by
from tests.support.clock import ManualClock
from tests.support.dkim_keys import DnsStub, make_key


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> Keys:
    directory = tmp_path_factory.mktemp("dkim-keys")
    return Keys(make_key(directory), make_key(directory), make_key(directory))


@pytest.fixture
def strict(tmp_path: Path, db_url: str, engine: Engine, keys: Keys) -> Iterator[Context]:
    yield from dkim_context(tmp_path, db_url, engine, keys, required=True)


@dataclass
class FlakyDns:
    """The real records, or a timeout while `down`."""

    inner: DnsStub
    down: bool = True

    def __call__(self, name: bytes, timeout: float = 5) -> bytes | None:
        if self.down:
            raise TimeoutError("DNS query timed out")
        return self.inner(name, timeout)


def clock_of(context: Context) -> ManualClock:
    assert isinstance(context.clock, ManualClock)
    return context.clock


def test_a_dns_timeout_is_a_temporary_error_not_a_bad_signature(keys: Keys) -> None:
    raw = signed_by(keys.client, "example.com", mail("olga@example.com", text="Hi"))
    down = check_dkim(raw, "example.com", FlakyDns(keys.dns()))
    assert (down.passed, down.temporary) == (False, True)
    assert "failed for now" in down.reason
    missing = check_dkim(raw, "example.com", DnsStub({}))
    assert (missing.passed, missing.temporary) == (False, False)
    assert check_dkim(raw, "example.com", keys.dns()).passed


def test_an_operator_reply_waits_out_a_dns_timeout_and_then_posts(strict: Context, keys: Keys) -> None:
    dns = FlakyDns(keys.dns())
    context = replace(strict, dkim_dns=dns)
    scene = add_scene(context)
    assert store_raw(context, "k1", signed_by(keys.client, "example.com", reply(context, scene)), None, [])
    process_pending(context)

    row = spool(context, "k1")
    assert row.status == SpoolStatus.PENDING
    assert row.reason.startswith("deferred: route: DKIM key lookup failed for now for example.com")
    assert row.next_attempt_at is not None
    assert row.next_attempt_at > context.clock.now()
    assert messages(context) == []
    assert refusals(context) == [], "nobody is told of a refusal that did not happen"
    assert process_pending(context) == 0, "not due yet"

    dns.down = False
    clock_of(context).advance(minutes=1)
    assert process_pending(context) == 1
    assert [m.author_kind for m in messages(context)] == ["operator"]
    assert spool(context, "k1").status == SpoolStatus.DONE


def test_a_mail_still_failing_after_the_deadline_is_quarantined(strict: Context, keys: Keys) -> None:
    context = replace(strict, dkim_dns=FlakyDns(keys.dns()))
    scene = add_scene(context)
    assert store_raw(context, "k1", signed_by(keys.client, "example.com", reply(context, scene)), None, [])
    tries = 0
    while spool(context, "k1").status == SpoolStatus.PENDING:
        due = spool(context, "k1").next_attempt_at or context.clock.now()
        clock_of(context).current = max(due, context.clock.now())
        tries += process_pending(context)
        assert tries < 60, "the backoff grows: a day takes a few dozen tries, not thousands"
    row = spool(context, "k1")
    assert row.status == SpoolStatus.QUARANTINED
    assert "still failing after 24 h" in row.reason
    assert row.processed_at is not None
    assert row.processed_at - row.received_at >= RETRY_FOR
    assert tries > 5


def test_pending_mail_is_taken_in_the_order_it_was_acknowledged(context: Context) -> None:
    """The wall clock can step back between two mails; the queue order must not follow it."""
    clock = clock_of(context)
    assert store_raw(context, "first", mail("anna@example.org", text="First", subject="Order"), None, [])
    clock.current -= timedelta(seconds=30)
    second = mail("anna@example.org", text="Second", subject="Order")
    assert store_raw(context, "second", second, None, [])
    process_pending(context)
    with Session(context.engine) as session:
        texts = session.exec(select(Message.text).order_by(col(Message.id))).all()
    assert list(texts) == ["First", "Second"]
