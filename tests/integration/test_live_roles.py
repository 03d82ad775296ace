"""Live events across processes: `serve --role web` twice, `--role mail` and `--role worker` as separate
processes on one database (PostgreSQL through LISTEN/NOTIFY, SQLite through its file). Whatever process
causes a change, a stream open on any web process shows it; a stream resumed after a web process
restarted misses nothing."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.live_desk import LiveDesk, is_message
from tests.support.sink import SmtpSink


@pytest.fixture
def live(tmp_path: Path, db_url: str, sink: SmtpSink) -> Iterator[LiveDesk]:
    desk = LiveDesk(tmp_path, db_url, sink.port, webs=2, split=True).start()
    yield desk
    desk.stop()


def test_a_mail_and_a_widget_message_reach_streams_on_every_web_process(live: LiveDesk) -> None:
    web1, web2 = live.webs
    cookies = live.sign_in(web1)  # one session works on every web process: they share the secret
    streams = [live.operator_stream(web, cookies) for web in (web1, web2)]

    live.send_mail("maria@example.net", "Where is my parcel?", "It has not arrived yet.")
    for stream in streams:
        opened = stream.next_matching(lambda data: data["type"] == "conversation_opened")
        assert opened.data["channel"] == "email"
        posted = stream.next_matching(is_message(author_kind="visitor", source="email"))
        assert posted.data["conversation_id"] == opened.data["conversation_id"]

    message, _visitor = live.widget_post(web1, "Hello from the widget")
    for stream in streams:
        stream.next_matching(is_message(message["id"], author_kind="visitor", source="chat"))
    for stream in streams:
        stream.close()


def test_a_change_through_one_web_process_reaches_the_other_and_the_visitor_sees_no_notes(
    live: LiveDesk,
) -> None:
    web1, web2 = live.webs
    cookies = live.sign_in(web2)
    on_web1 = live.operator_stream(web1, cookies)
    message, visitor = live.widget_post(web2, "Is anyone there?")
    conversation_id = on_web1.next_matching(is_message(message["id"])).data["conversation_id"]
    visitor_on_web1 = live.visitor_stream(web1, visitor)

    live.reply(web2, cookies, conversation_id, "internal: a regular customer", note=True)
    on_web1.next_matching(is_message(author_kind="operator", is_note=True))
    live.reply(web2, cookies, conversation_id, "Yes, how can I help?", note=False)
    answer = on_web1.next_matching(is_message(author_kind="operator", is_note=False))

    seen = visitor_on_web1.next_matching(lambda data: True)
    assert seen.data == {
        "type": "message_posted",
        "conversation_id": conversation_id,
        "message_id": answer.data["message_id"],
        "author_kind": "operator",
    }  # the note before it never reached the visitor, nor anything but the message's id
    on_web1.close()
    visitor_on_web1.close()


def test_a_stream_resumed_after_its_web_process_restarted_misses_nothing(live: LiveDesk) -> None:
    web1, web2 = live.webs
    cookies = live.sign_in(web1)
    stream = live.operator_stream(web1, cookies)
    first, visitor = live.widget_post(web2, "first")
    stream.next_matching(is_message(first["id"]))
    resume_after = stream.last_id
    assert resume_after is not None

    assert web1.stop() == 0  # its open stream ends with it
    assert stream.ended.wait(10)
    stream.close()
    meanwhile = [live.widget_post(web2, f"while web1 was down {n}", visitor)[0]["id"] for n in range(3)]
    live.send_mail("pavel@example.net", "Written while web1 was down", "Hello")
    web1.start_role("web")

    resumed = live.operator_stream(web1, cookies, after=resume_after)
    for message_id in meanwhile:
        resumed.next_matching(is_message(message_id))
    resumed.next_matching(is_message(source="email"))
    resumed.close()
