"""Relaydesk as several real `serve` processes on one database (web ×N, mail, worker), or as one process
with every role, plus what a test or benchmark does to them: sign in, write from the widget, reply from
the desk, open event streams."""

from __future__ import annotations

import re
import smtplib
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import httpx

from tests.support.process import RelaydeskProcess
from tests.support.sse import SseStream

SECRET = "live-stream-integration-secret-0123456789"  # 32+ characters, shared by every process
_CSRF = re.compile(r'name="csrf" value="([^"]+)"')
_PASSWORD = re.compile(r"password: (\S+)\s*$")


class LiveDesk:
    def __init__(self, workdir: Path, database_url: str, relay_port: int, webs: int = 2, split: bool = True):
        def process(name: str) -> RelaydeskProcess:
            directory = workdir / name
            directory.mkdir(parents=True, exist_ok=True)
            return RelaydeskProcess(
                directory,
                database_url,
                relay_port,
                site={"secret_key": SECRET},
                notifications={"operator_email_delay": "1h", "visitor_email_delay": "1h"},
            )

        self.split = split
        self.webs = [process(f"web{n}") for n in range(1, webs + 1)] if split else [process("all")]
        self.mail = process("mail") if split else self.webs[0]
        self.worker = process("worker") if split else None
        self.password = ""

    @property
    def processes(self) -> list[RelaydeskProcess]:
        every = [*self.webs, self.mail, *([self.worker] if self.worker else [])]
        return list({id(p): p for p in every}.values())

    def start(self, operator: str = "olga@example.com") -> LiveDesk:
        added = self.webs[0].cli("operator", "add", operator, "--name", "Olga", "--no-email")
        assert added.returncode == 0, added.stderr
        found = _PASSWORD.search(added.stdout)
        assert found, added.stdout
        self.operator, self.password = operator, found.group(1)
        if not self.split:
            self.webs[0].start()
            return self
        for web in self.webs:
            web.start_role("web")
        self.mail.start_role("mail")
        assert self.worker is not None
        self.worker.start_role("worker")
        return self

    def stop(self) -> None:
        for process in self.processes:
            process.stop()

    def sign_in(self, web: RelaydeskProcess) -> httpx.Cookies:
        with httpx.Client(base_url=web.base_url) as client:
            token = _csrf(client.get("/login").text)
            answer = client.post(
                "/login", data={"email": self.operator, "password": self.password, "csrf": token}
            )
            assert answer.status_code == 303, answer.text
            return client.cookies

    def operator_stream(
        self, web: RelaydeskProcess, cookies: httpx.Cookies, after: str | None = None
    ) -> SseStream:
        return SseStream(f"{web.base_url}/api/v1/events", cookies, after).open()

    def visitor_stream(self, web: RelaydeskProcess, visitor: httpx.Cookies) -> SseStream:
        return SseStream(f"{web.base_url}/api/widget/events", visitor).open()

    def widget_post(
        self, web: RelaydeskProcess, text: str, visitor: httpx.Cookies | None = None
    ) -> tuple[dict[str, Any], httpx.Cookies]:
        with httpx.Client(base_url=web.base_url, cookies=visitor) as client:
            answer = client.post("/api/widget/messages", json={"text": text, "name": "Anna"})
            assert answer.status_code == 201, answer.text
            return answer.json()["message"], client.cookies

    def reply(
        self, web: RelaydeskProcess, cookies: httpx.Cookies, conversation_id: int, text: str, note: bool
    ) -> None:
        with httpx.Client(base_url=web.base_url, cookies=cookies) as client:
            token = _csrf(client.get(f"/inbox/{conversation_id}").text)
            form = {"text": text, "csrf": token, **({"note": "1"} if note else {})}
            answer = client.post(f"/inbox/{conversation_id}/reply", data=form)
            assert answer.status_code == 303, answer.text

    def send_mail(self, sender: str, subject: str, body: str) -> None:
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = sender, "support@example.com", subject
        message.set_content(body)
        with smtplib.SMTP("127.0.0.1", self.mail.smtp_port, timeout=10) as client:
            client.send_message(message)


def _csrf(html: str) -> str:
    found = _CSRF.search(html)
    assert found, "no CSRF token on the page"
    return found.group(1)


def is_message(message_id: int | None = None, **fields: Any) -> Any:
    """A predicate over stream data: a message_posted event (for `message_id`, with `fields`)."""

    def wanted(data: dict[str, Any]) -> bool:
        if data.get("type") != "message_posted":
            return False
        if message_id is not None and data.get("message_id") != message_id:
            return False
        return all(data.get(key) == value for key, value in fields.items())

    return wanted
