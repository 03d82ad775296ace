"""Sizes and shapes an attacker chooses, against the real `relaydesk serve`: a huge mail is stored capped
(the rest stays in the original) and quoted capped; request bodies are refused before they are read; an
SMTP transaction takes at most 100 recipients; absurd ids and deeply nested JSON get a clear answer."""

from __future__ import annotations

import json
import re
import smtplib
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.integration.desk_client import OPERATOR, browser, log_in, plain_mail, send_mail, start_desk
from tests.support.process import RelaydeskProcess
from tests.support.sink import SmtpSink

Desk = tuple[RelaydeskProcess, str]
LINE = "All work and no play makes Jack a dull boy. " * 2 + "\r\n"  # 90 characters with the line end
WIDGET = "/api/widget/messages"


@pytest.fixture
def desk(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[Desk]:
    process, password = start_desk(tmp_path, db_url, sink.port)
    yield process, password
    assert process.stop() == 0


def stored_messages(process: RelaydeskProcess, count: int, timeout: float = 60) -> list[dict[str, Any]]:
    deadline = time.monotonic() + timeout
    while True:
        done = process.cli("export")
        assert done.returncode == 0, done.stderr
        messages = [m for line in done.stdout.splitlines() for m in json.loads(line)["messages"]]
        if len(messages) >= count or time.monotonic() > deadline:
            assert len(messages) >= count, f"{len(messages)} messages stored"
            return messages
        time.sleep(0.3)


def test_a_huge_mail_is_stored_and_quoted_capped_and_kept_whole_in_the_original(
    desk: Desk, sink: SmtpSink
) -> None:
    process, password = desk
    body = LINE * 30_000  # 2.7 MB of text
    send_mail(process, plain_mail(body.rstrip(), subject="A very long story"))

    [message] = stored_messages(process, 1)
    assert len(message["text"]) < 101_000
    assert message["text"].startswith(LINE.rstrip())
    assert message["text"].endswith("[Message truncated: the rest is in the original mail.]")

    [notification] = sink.wait_for(1, OPERATOR, timeout=60)
    assert len(notification.raw) < 60_000, "the notification quotes an excerpt, not 2.7 MB"
    assert "[…]" in notification.body()

    with closing(browser(process)) as olga:
        assert log_in(olga, password).status_code == 303
        dialog = olga.get("/inbox/1")
        assert "[Message truncated: the rest is in the original mail.]" in dialog.text
        original = re.search(r'href="(/inbox/1/messages/\d+/original)"', dialog.text)
        assert original, "the dialog links the original mail"
        eml = olga.get(original.group(1) + ".eml")
        assert eml.status_code == 200
        assert eml.content.count(LINE.encode()) == 30_000 - 1, "the original keeps every line"


def test_one_smtp_transaction_takes_at_most_100_recipients(desk: Desk) -> None:
    process, _password = desk
    with smtplib.SMTP("127.0.0.1", process.smtp_port, timeout=60) as smtp:
        smtp.ehlo("client.example.org")
        smtp.mail("anna@example.org")
        answers = [smtp.rcpt(f"support+{n}@example.com")[0] for n in range(150)]
        code, _ = smtp.data(plain_mail("One mail to many of your addresses"))

    assert answers[:100] == [250] * 100
    assert answers[100:] == [452] * 50
    assert code == 250, "the mail goes to the recipients accepted; the sender sends the rest again"
    assert len(stored_messages(process, 1)) == 1


def widget_json(text: str) -> bytes:
    return json.dumps({"text": text, "name": "Anna"}).encode()


def test_a_large_body_is_refused_before_it_is_read(desk: Desk) -> None:
    process, _password = desk
    large = widget_json("x" * 2_000_000)
    headers = {"Content-Type": "application/json"}
    with closing(browser(process)) as client:
        declared = client.post(WIDGET, content=large, headers=headers)
        streamed = client.post(WIDGET, content=iter([large[:1000], large[1000:]]), headers=headers)
        login = client.post(
            "/login",
            content=b"email=" + b"a" * 3_000_000,
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
        small = client.post(WIDGET, content=widget_json("Hello"), headers=headers)

    assert declared.status_code == 413
    assert declared.json()["error"].startswith("the request is larger than")
    assert streamed.status_code == 413, "a chunked body is counted as it comes"
    assert login.status_code == 413
    assert small.status_code == 201


@pytest.mark.parametrize(
    "path",
    ["/inbox/99999999999999999999", "/inbox/3000000000", "/inbox/1/messages/99999999999999999999/original"],
)
def test_an_id_too_large_for_any_row_is_not_found(desk: Desk, path: str) -> None:
    process, password = desk
    with closing(browser(process)) as olga:
        assert log_in(olga, password).status_code == 303
        assert olga.get(path).status_code == 404
        assert olga.get("/files/99999999999999999999/anything").status_code == 404


def test_a_message_id_too_large_in_the_widget_query_is_a_400(desk: Desk) -> None:
    process, _password = desk
    with closing(httpx.Client(base_url=process.base_url, timeout=60)) as visitor:
        assert visitor.post(WIDGET, json={"text": "Hello"}).status_code == 201
        answer = visitor.get(WIDGET, params={"after": "99999999999999999999"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "after must be a message id"}


def test_json_nested_100000_deep_is_a_400(desk: Desk) -> None:
    process, _password = desk
    deep = b"[" * 100_000 + b"]" * 100_000
    with closing(httpx.Client(base_url=process.base_url, timeout=60)) as client:
        answer = client.post(WIDGET, content=deep, headers={"Content-Type": "application/json"})
    assert answer.status_code == 400
    assert answer.json() == {"error": "the body is not valid JSON"}
