"""What the desk learned of a contact, on its pages: the card's visits and last pages, the contact page's
timeline with filters and "where from, how often", the site-keys page for admins, and public avatars
from a local fake of Libravatar (looked up once, in the background, cached even when there is none)."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.app import build_context, build_web_app
from bridge.context import Context
from chatcore import contact_history, site_keys
from chatcore.contact_history import HistoryLimits, PageView
from chatcore.models import Contact, Operator, Source
from chatcore.services import Desk, NewMessage
from tests.conftest import make_settings
from tests.support.clock import ManualClock
from tests.support.factories import add_contact, add_operator
from tests.webui.conftest import OPERATOR_EMAIL, OPERATOR_PASSWORD, csrf_from, log_in
from webui.auth import hash_password
from webui.contact_avatars import ContactAvatars

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def seeded(context: Context) -> tuple[int, int]:
    """A contact who came from a campaign, viewed pages, ordered, chatted and wrote by mail."""
    with Session(context.engine) as session:
        start = context.clock.now() - timedelta(hours=3)
        contact = add_contact(
            session, now=start, name="Мария", email="maria@example.org", visitor_id="m" * 20
        )
        limits = HistoryLimits()
        views = [
            (
                "https://shop.example/?utm_source=newsletter&utm_campaign=spring",
                "Главная",
                "https://mail.example/",
            ),
            ("https://shop.example/catalog", "Каталог", ""),
            ("https://shop.example/?utm_source=newsletter", "Главная", ""),
        ]
        for minutes, (url, title, referrer) in zip((0, 5, 90), views, strict=True):
            at = start + timedelta(minutes=minutes)
            contact_history.record_page_view(session, contact, PageView(url, title, referrer), at, limits)
        order = {"total": 1990, "currency": "RUB"}
        contact_history.record_site_event(
            session, contact, "order", order, start + timedelta(minutes=95), context.clock.now(), limits
        )
        desk = Desk(session, start + timedelta(minutes=100))
        chat, _ = desk.start_conversation(contact, Source.CHAT, "Где заказ?")
        desk.post_visitor_message(chat, NewMessage("Где мой заказ?", Source.CHAT))
        mail, _ = desk.start_conversation(contact, Source.EMAIL, "Возврат")
        later = Desk(session, start + timedelta(minutes=110))
        later.post_visitor_message(mail, NewMessage("Хочу вернуть товар", Source.EMAIL))
        session.commit()
        return contact.id or 0, chat.id or 0


def kinds_on(html: str) -> list[str]:
    part = html.split('id="timeline-items"', 1)[1].split("</ol>", 1)[0]
    return [chunk.split('"', 1)[0] for chunk in part.split('data-kind="')[1:]]


def test_the_card_and_the_timeline_show_what_the_contact_did(
    client: TestClient, context: Context, operator_id: int
) -> None:
    contact_id, chat_id = seeded(context)
    page = f"/inbox/contacts/{contact_id}"
    assert client.get(page).status_code == 303  # no session: the login page
    log_in(client)
    card = client.get(f"/inbox/{chat_id}").text
    assert 'id="visit-count">2<' in card
    assert "newsletter" in card.split('id="first-source"', 1)[1].split("</dd>", 1)[0]
    pages = card.split('id="page-views"', 1)[1].split("</ol>", 1)[0]
    assert pages.index("Главная") < pages.index("Каталог")  # newest first
    html = client.get(page).text
    assert kinds_on(html) == ["email", "dialog", "dialog", "event", "page", "page", "page"]
    assert "total: 1990" in html
    sources = html.split('id="source-counts"', 1)[1].split("</table>", 1)[0]
    assert "<td>newsletter</td><td>2</td>" in sources
    assert kinds_on(client.get(page + "?kind=page").text) == ["page", "page", "page"]
    assert kinds_on(client.get(page + "?kind=email").text) == ["email"]
    assert kinds_on(client.get(page + "?kind=nonsense").text)[0] == "email"  # unknown: everything


def test_only_admins_manage_site_keys(client: TestClient, context: Context, operator_id: int) -> None:
    log_in(client)
    assert client.get("/settings/site-keys").status_code == 403
    with Session(context.engine) as session:
        operator = session.get(Operator, operator_id)
        assert operator is not None
        operator.role = "admin"
        session.add(operator)
        session.commit()
    page = client.get("/settings/site-keys")
    assert page.status_code == 200
    token = csrf_from(page.text)
    created = client.post("/settings/site-keys", data={"name": "shop", "csrf": token})
    key = created.text.split('id="new-key">', 1)[1].split("<", 1)[0]
    assert key.startswith("rds_")
    listed = client.get("/settings/site-keys").text
    assert key not in listed
    key_id = listed.split('data-key-id="', 1)[1].split('"', 1)[0]
    assert client.post(f"/settings/site-keys/{key_id}/revoke", data={}).status_code == 403  # no CSRF token
    assert client.post(f"/settings/site-keys/{key_id}/revoke", data={"csrf": token}).status_code == 303
    with Session(context.engine) as session:
        assert site_keys.live_key(session, key) is None


class FakeLibravatar(BaseHTTPRequestHandler):
    images: ClassVar[dict[str, bytes]] = {}
    asked: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        digest = self.path.split("/avatar/", 1)[1].split("?", 1)[0]
        type(self).asked.append(self.path)
        image = self.images.get(digest)
        self.send_response(200 if image else 404)
        self.end_headers()
        self.wfile.write(image or b"")

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def libravatar() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeLibravatar)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    FakeLibravatar.asked = []
    yield f"http://127.0.0.1:{server.server_address[1]}/avatar/"
    server.shutdown()
    server.server_close()


def test_public_avatars_are_looked_up_once_in_the_background(
    tmp_path: Path, db_url: str, engine: Engine, clock: ManualClock, libravatar: str
) -> None:
    settings = make_settings(tmp_path, db_url, contacts={"avatar_lookup": True, "avatar_service": libravatar})
    context = build_context(settings, clock=clock, engine=engine)
    FakeLibravatar.images = {hashlib.sha256(b"maria@example.org").hexdigest(): PNG}
    contact_id, chat_id = seeded(context)
    with Session(engine) as session:
        nobody = add_contact(session, now=clock.now(), name="Пётр", email="petr@example.org")
        session.commit()
        nobody_id = nobody.id
    with Session(engine) as session:
        add_operator(
            session,
            OPERATOR_EMAIL,
            now=clock.now(),
            name="Olga",
            password_hash=hash_password(OPERATOR_PASSWORD),
        )
        session.commit()
    with TestClient(build_web_app(context), base_url="http://desk.test", follow_redirects=False) as client:
        log_in(client)
        avatars: ContactAvatars = client.app.state.contact_avatars  # type: ignore[attr-defined]
        first = client.get(f"/inbox/contacts/{contact_id}").text
        assert 'id="contact-avatar"' not in first  # the page did not wait: initials for now
        client.get(f"/inbox/contacts/{nobody_id}")
        avatars.wait()
        shown = client.get(f"/inbox/contacts/{contact_id}").text
        src = shown.split('id="contact-avatar" src="', 1)[1].split('"', 1)[0]
        image = client.get(src)
        assert (image.status_code, image.content) == (200, PNG)
        assert 'id="contact-avatar"' in client.get(f"/inbox/{chat_id}").text
        assert 'id="contact-avatar"' not in client.get(f"/inbox/contacts/{nobody_id}").text
        avatars.wait()
        assert len(FakeLibravatar.asked) == 2  # once each, the 404 remembered too
        assert all(path.endswith("?d=404&s=128") for path in FakeLibravatar.asked)
    with Session(engine) as session:
        petr = session.exec(select(Contact).where(Contact.id == nobody_id)).one()
        assert (petr.avatar_for, petr.avatar_sha256) == ("petr@example.org", None)
