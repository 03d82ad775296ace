"""A Server-Sent Events client for tests and benchmarks: reads a stream in a thread, queues its events."""

from __future__ import annotations

import json
import queue
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx


@dataclass(frozen=True)
class SseEvent:
    id: str | None
    data: dict[str, Any]
    received_at: float  # time.monotonic()


class SseStream:
    def __init__(
        self,
        url: str,
        cookies: httpx.Cookies | dict[str, str] | None = None,
        last_event_id: str | None = None,
    ) -> None:
        self.url = url
        self.cookies = cookies
        self.headers = {"Accept": "text/event-stream"}
        if last_event_id is not None:
            self.headers["Last-Event-ID"] = last_event_id
        self.events: queue.Queue[SseEvent] = queue.Queue()
        self.comments = 0
        self.status: int | None = None
        self.retry: int | None = None
        self.ended = threading.Event()
        self._opened = threading.Event()
        self._client = httpx.Client(cookies=cookies, timeout=httpx.Timeout(5, read=60))
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._kept: list[SseEvent] = []
        self.last_id: str | None = last_event_id

    def open(self, timeout: float = 10) -> SseStream:
        self._thread.start()
        assert self._opened.wait(timeout), f"no answer from {self.url}"
        assert self.status == 200, f"{self.url} answered {self.status}"
        return self

    def close(self) -> None:
        self._client.close()
        self._thread.join(timeout=5)

    def next_matching(self, wanted: Any, timeout: float = 20) -> SseEvent:
        """The first event (kept or new) for which `wanted(data)` is true; AssertionError after `timeout`."""
        for index, event in enumerate(self._kept):
            if wanted(event.data):
                return self._kept.pop(index)
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no matching event from {self.url} in {timeout}s; got {self._kept}")
            try:
                event = self.events.get(timeout=remaining)
            except queue.Empty:
                continue
            if wanted(event.data):
                return event
            self._kept.append(event)

    def _read(self) -> None:
        try:
            with self._client.stream("GET", self.url, headers=self.headers) as response:
                self.status = response.status_code
                self._opened.set()
                if response.status_code != 200:
                    return
                self._parse(response)
        except httpx.HTTPError:
            pass
        finally:
            self._opened.set()
            self.ended.set()

    def _parse(self, response: httpx.Response) -> None:
        event_id: str | None = None
        data: list[str] = []
        for line in response.iter_lines():
            if line == "":
                if data:
                    self.last_id = event_id if event_id is not None else self.last_id
                    self.events.put(SseEvent(event_id, json.loads("\n".join(data)), time.monotonic()))
                event_id, data = None, []
            elif line.startswith(":"):
                self.comments += 1
            elif line.startswith("id:"):
                event_id = line[3:].strip()
            elif line.startswith("data:"):
                data.append(line[5:].lstrip())
            elif line.startswith("retry:"):
                self.retry = int(line[6:].strip())
