"""The visitor's email names the operator of each message and shows their avatar (initials without one)."""

from __future__ import annotations

import re
from email.message import EmailMessage
from pathlib import Path

from bridge.blobs import BlobStore
from bridge.context import Context
from bridge.mailer import initials
from tests.bridge.test_notifications import build_scene, operator_says
from tests.support.clock import ManualClock
from tests.support.factories import change_operator
from tests.support.images import png
from tests.support.mail import SentMail, recipient, text_of


def give_avatar(context: Context, operator_id: int, tmp_path: Path) -> str:
    digest = BlobStore(tmp_path / "files").put(png())
    change_operator(context.engine, operator_id, avatar_sha256=digest)
    return digest


def html_of(mail: EmailMessage) -> str:
    part = mail.get_body(preferencelist=("html",))
    assert part is not None
    return str(part.get_content())


def test_each_operator_message_comes_with_its_authors_name_and_avatar(
    context: Context, clock: ManualClock, tmp_path: Path
) -> None:
    outbox = SentMail(context, tmp_path / "sent")
    scene = build_scene(context)
    digest = give_avatar(context, scene.olga, tmp_path)
    operator_says(context, scene, scene.olga, "Заказ уже в пути.")
    operator_says(context, scene, scene.ivan, "Tracking number: 42.")
    clock.advance(minutes=5)
    [mail] = [m for m in outbox.tick() if recipient(m) == "anna@example.org"]

    html = html_of(mail)
    avatar = f'<img src="http://desk.test/avatars/{digest}" width="32" height="32" alt="Ольга"'
    assert avatar in html
    assert html.index(avatar) < html.index("<b>Ольга</b>") < html.index("Заказ уже в пути.")
    # Ivan has no avatar: his initial stands in its place, then his name and his message.
    ivan = re.search(r">I</div>\s*</td>\s*<td[^>]*><b>Ivan</b></td>", html)
    assert ivan is not None
    assert html.index("Заказ уже в пути.") < ivan.start() < html.index("Tracking number: 42.")
    assert html.count("<img") == 1
    text = text_of(mail)
    assert text.index("Ольга:") < text.index("Заказ уже в пути.") < text.index("Ivan:")


def test_initials_stand_in_for_a_missing_avatar() -> None:
    assert initials("Olga Ivanova") == "OI"
    assert initials("Ольга") == "О"
    assert initials("olga.petrova@example.com") == "OP"
    assert initials("Anna Maria Lopez") == "AM"
    assert initials("") == ""
