"""The dialog list's view as the URL spells it, so a link reproduces what the operator sees.

/inbox?status=closed&assignee=me&tag=billing&tag=vip&unread=1&awaiting=1&q=refund
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import QueryParams

from chatcore.inbox import InboxFilter, StatusFilter

STATUSES: tuple[StatusFilter, ...] = ("open", "closed", "all")
MAX_TAGS = 10
MAX_QUERY = 200


@dataclass(frozen=True)
class ListView:
    status: StatusFilter = "open"
    assignee: str = ""  # "" anyone · "me" · "none" · an operator id
    tags: tuple[str, ...] = ()
    unread: bool = False
    awaiting: bool = False
    q: str = ""  # full-text search (chatcore/search.py); the other filters combine with it

    def query(self, **changes: Any) -> str:
        """The query string of this view with some fields changed ("" when it is the default view)."""
        view = replace(self, **changes)
        pairs: list[tuple[str, str]] = []
        if view.status != "open":
            pairs.append(("status", view.status))
        if view.assignee:
            pairs.append(("assignee", view.assignee))
        pairs.extend(("tag", tag) for tag in view.tags)
        if view.unread:
            pairs.append(("unread", "1"))
        if view.awaiting:
            pairs.append(("awaiting", "1"))
        if view.q:
            pairs.append(("q", view.q))
        return "?" + urlencode(pairs) if pairs else ""

    def with_tag(self, tag: str) -> str:
        return self.query(tags=self.tags if tag in self.tags else (*self.tags, tag))

    def without_tag(self, tag: str) -> str:
        return self.query(tags=tuple(t for t in self.tags if t != tag))

    def to_filter(self) -> InboxFilter:
        assignee: str | int | None = None
        if self.assignee in ("me", "none"):
            assignee = self.assignee
        elif self.assignee.isdigit():
            assignee = int(self.assignee)
        return InboxFilter(
            status=self.status,
            assignee=assignee,  # type: ignore[arg-type]
            tags=self.tags,
            unread=self.unread,
            awaiting=self.awaiting,
            q=self.q or None,
        )


def view_from(params: QueryParams) -> ListView:
    """Unknown values fall back to the default rather than failing: a stale link still opens the inbox."""
    status = params.get("status", "open")
    assignee = params.get("assignee", "")
    if assignee not in ("me", "none") and not (assignee.isdigit() and len(assignee) < 10):
        assignee = ""
    tags: list[str] = []
    for raw in params.getlist("tag"):
        tag = raw.strip().lower()
        if tag and tag not in tags and len(tag) <= 63:
            tags.append(tag)
    return ListView(
        status=status if status in STATUSES else "open",
        assignee=assignee,
        tags=tuple(tags[:MAX_TAGS]),
        unread=params.get("unread") == "1",
        awaiting=params.get("awaiting") == "1",
        q=" ".join(params.get("q", "").split())[:MAX_QUERY],
    )
