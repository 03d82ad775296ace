"""Contacts' public avatars from Libravatar/Gravatar ([contacts].avatar_lookup, off by default).

Looked up once per address (SHA-256 of the case-folded address, `d=404`), in a background thread, so
a page never waits: it shows initials until the image is there. A found image is kept in the blob
store by its content hash (like attachments and operator avatars); the answer is kept on the contact
(`avatar_for` is the address looked up, `avatar_sha256` the image or None: "none there" is cached too).
A failed lookup (timeout, 5xx) is not cached and is tried again when the card is next shown.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import urllib.error
import urllib.request
from concurrent.futures import Future, ThreadPoolExecutor

from sqlmodel import Session

from chatcore.models import Contact
from webui.avatars import image_type
from webui.deps import WebDeps

log = logging.getLogger(__name__)
MAX_BYTES = 512 * 1024
TIMEOUT = 5.0
SIZE = 128


def lookup_url(service: str, address: str) -> str:
    digest = hashlib.sha256(address.strip().lower().encode("utf-8")).hexdigest()
    return f"{service}{digest}?d=404&s={SIZE}"


def shown_url(contact: Contact) -> str | None:
    """The avatar to show now, if one was found for the contact's current address."""
    if contact.avatar_sha256 and contact.email and contact.avatar_for == contact.email:
        return f"/avatars/{contact.avatar_sha256}"
    return None


class ContactAvatars:
    """Held by the app (`app.state.contact_avatars`): one lookup thread, each contact once at a time."""

    def __init__(self, deps: WebDeps) -> None:
        self._deps = deps
        self._lock = threading.Lock()
        self._pending: set[int] = set()
        self._executor: ThreadPoolExecutor | None = None
        self._futures: list[Future[None]] = []

    def wanted(self, contact: Contact) -> bool:
        return bool(self._deps.avatar_service and contact.email and contact.avatar_for != contact.email)

    def look_up(self, contact: Contact) -> None:
        """Start a lookup for the contact's address unless one was made or is under way."""
        if not self.wanted(contact) or contact.id is None or contact.email is None:
            return
        with self._lock:
            if contact.id in self._pending:
                return
            self._pending.add(contact.id)
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="contact-avatars")
            self._futures = [f for f in self._futures if not f.done()]
            self._futures.append(self._executor.submit(self._run, contact.id, contact.email))

    def wait(self) -> None:
        """Until every lookup started has ended (tests, shutdown)."""
        with self._lock:
            futures = list(self._futures)
        for future in futures:
            future.result()

    def _run(self, contact_id: int, address: str) -> None:
        try:
            answered, digest = self._fetch(address)
            if answered:
                self._store(contact_id, address, digest)
        except Exception:
            log.exception("looking up the avatar of contact %s failed", contact_id)
        finally:
            with self._lock:
                self._pending.discard(contact_id)

    def _fetch(self, address: str) -> tuple[bool, str | None]:
        """(answered, the blob digest of the image or None when the service has none); (False, None)
        when the lookup failed."""
        assert self._deps.avatar_service is not None
        url = lookup_url(self._deps.avatar_service, address)
        request = urllib.request.Request(url, headers={"User-Agent": "Relaydesk"})  # noqa: S310 (http(s) only)
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT) as answer:  # noqa: S310
                data = answer.read(MAX_BYTES + 1)
        except urllib.error.HTTPError as error:
            return error.code == 404, None
        except (OSError, ValueError):
            return False, None
        if len(data) > MAX_BYTES or image_type(data) is None:
            return True, None
        return True, self._deps.blobs.put(data)

    def _store(self, contact_id: int, address: str, digest: str | None) -> None:
        with Session(self._deps.engine) as session:
            contact = session.get(Contact, contact_id)
            if contact is None or contact.email != address:
                return  # the address changed meanwhile: its own lookup will come
            contact.avatar_for = address
            contact.avatar_sha256 = digest
            session.add(contact)
            session.commit()
