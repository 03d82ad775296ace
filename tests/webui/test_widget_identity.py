"""A verified `data-user-id` ties the widget's visitor to the site's contact: the config call and the message
carry the user id and its hash, and the dialog lands on the contact the site's server upserted.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select
from starlette.testclient import TestClient

from bridge.app import build_context, build_web_app
from chatcore import site_keys
from chatcore.models import Contact, Conversation
from tests.conftest import make_settings
from tests.support.clock import ManualClock

SHOP = "https://shop.example"


@pytest.fixture
def client(tmp_path: Path, db_url: str, engine: Engine) -> Iterator[TestClient]:
    settings = make_settings(tmp_path, db_url, widget={"allowed_origins": [SHOP]})
    context = build_context(settings, clock=ManualClock(), engine=engine)
    with TestClient(build_web_app(context), base_url="http://desk.test", headers={"Origin": SHOP}) as client:
        yield client


def test_a_verified_user_chats_as_the_sites_contact_and_a_wrong_hash_is_refused(
    client: TestClient, engine: Engine
) -> None:
    now = ManualClock().now()
    with Session(engine) as session:  # what the site's server did through the site API
        _, key = site_keys.issue(session, "shop", now)
        session.add(
            Contact(external_id="u-7", name="Пётр", email="petr@example.org", first_seen=now, last_seen=now)
        )
        session.commit()
    user_hash = hmac.new(key.encode(), b"u-7", hashlib.sha256).hexdigest()

    wrong = client.get("/api/widget/config", params={"user_id": "u-7", "user_hash": "0" * 64})
    assert (wrong.status_code, wrong.json()["field"]) == (403, "user_hash")
    config = client.get("/api/widget/config", params={"user_id": "u-7", "user_hash": user_hash}).json()
    assert (config["name_known"], config["email_known"]) == (True, True)  # the site told us: not asked
    body = {"text": "Где заказ?", "visitor": config["visitor"], "user_id": "u-7", "user_hash": user_hash}
    assert client.post("/api/widget/messages", json=body).status_code == 201
    stolen = {**body, "user_id": "u-8"}  # the hash of u-7 does not vouch for u-8
    assert client.post("/api/widget/messages", json=stolen).status_code == 403

    with Session(engine) as session:
        petr = session.exec(select(Contact).where(Contact.external_id == "u-7")).one()
        assert petr.visitor_id == config["visitor"].rpartition(".")[0]
        [conversation] = session.exec(select(Conversation)).all()
        assert conversation.contact_id == petr.id
