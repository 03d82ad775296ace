"""Every operator route of /api/v1 in one table: the app's routes and openapi.json are built from it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel
from starlette.routing import Route

from webui.api import admin_mail, contacts, conversations, operators, saved_replies, site, tags
from webui.api.endpoint import endpoint
from webui.api.schemas import (
    AssigneeBody,
    ContactChangesBody,
    NewMessageBody,
    NewOperatorBody,
    NewSavedReplyBody,
    OperatorChangesBody,
    SavedReplyChangesBody,
    SiteContactBody,
    SiteEventBody,
    SiteMessageBody,
    TagBody,
    TagChangesBody,
    TagMergeBody,
)

PREFIX = "/api/v1"
_ID = {"type": "integer", "minimum": 1}


@dataclass(frozen=True)
class Param:
    name: str
    description: str
    schema: dict[str, Any]
    repeat: bool = False


@dataclass(frozen=True)
class ApiRoute:
    method: str
    path: str
    handler: Callable[..., Any]  # takes an ApiCall, or a SiteCall for a site route
    summary: str
    body: type[BaseModel] | None = None
    query: tuple[Param, ...] = ()
    status: int = 200
    multipart: bool = False
    admin_only: bool = False
    site: bool = False  # the site's server: Authorization: Bearer SITE_KEY, never the session

    def route(self) -> Route:
        wrap = site.site_endpoint if self.site else endpoint
        return Route(PREFIX + self.path, wrap(self.handler, self.status), methods=[self.method])


LIST_QUERY = (
    Param("status", "open (default), closed or all", {"type": "string", "enum": ["open", "closed", "all"]}),
    Param("assignee", "me, none or an operator id", {"type": "string"}),
    Param("tag", "a tag name; repeat it: conversations with all of them", {"type": "string"}, repeat=True),
    Param("unread", "1: only conversations with messages the caller has not read", {"type": "string"}),
    Param("awaiting", "1: only conversations whose last message is the contact's", {"type": "string"}),
    Param("contact", "a contact id: only that person's conversations", _ID),
    Param("q", "words to search for", {"type": "string"}),
    Param("limit", "items a page, 1 to 100 (default 50)", {"type": "integer", "minimum": 1, "maximum": 100}),
    Param("cursor", "next_cursor of the page before", {"type": "string"}),
)
ONE_QUERY = (
    Param("before", "a message id: the page of messages before it", _ID),
    Param(
        "limit", "messages a page, 1 to 100 (default 50)", {"type": "integer", "minimum": 1, "maximum": 100}
    ),
)
EVENTS_QUERY = (
    Param("before", "an event id (next_before of the page before): older events", _ID),
    Param("limit", "events a page, 1 to 100 (default 50)", {"type": "integer", "minimum": 1, "maximum": 100}),
)
ONE = "/conversations/{conversation_id}"


def api_routes() -> list[ApiRoute]:
    c, r = conversations, saved_replies
    return [
        ApiRoute(
            "GET", "/conversations", c.list_page, "The dialog list, newest activity first", query=LIST_QUERY
        ),
        ApiRoute("GET", ONE, c.get_one, "One conversation with its messages, oldest first", query=ONE_QUERY),
        ApiRoute(
            "POST",
            ONE + "/messages",
            c.post_message,
            "Reply, or write an internal note",
            NewMessageBody,
            (),
            201,
            multipart=True,
        ),
        ApiRoute("POST", ONE + "/close", c.close, "Close the conversation"),
        ApiRoute("POST", ONE + "/reopen", c.reopen, "Reopen the conversation"),
        ApiRoute("POST", ONE + "/read", c.mark_read, "Mark every message read for the caller"),
        ApiRoute(
            "PUT",
            ONE + "/assignee",
            c.set_assignee,
            "Assign to an operator, or unassign (null)",
            AssigneeBody,
        ),
        ApiRoute("POST", ONE + "/tags", c.add_tag, "Add a tag", TagBody),
        ApiRoute("DELETE", ONE + "/tags/{name}", c.remove_tag, "Remove a tag"),
        ApiRoute(
            "GET",
            "/saved-replies",
            r.list_replies,
            "Saved replies the caller sees; q= searches",
            query=(Param("q", "text in the title or the reply", {"type": "string"}),),
        ),
        ApiRoute(
            "POST",
            "/saved-replies",
            r.create_reply,
            "Save a reply (shared or personal)",
            NewSavedReplyBody,
            status=201,
        ),
        ApiRoute(
            "PATCH",
            "/saved-replies/{reply_id}",
            r.change_reply,
            "Change a saved reply",
            SavedReplyChangesBody,
        ),
        ApiRoute("DELETE", "/saved-replies/{reply_id}", r.delete_reply, "Delete a saved reply", status=204),
        ApiRoute("GET", "/contacts/{contact_id}", contacts.get_contact, "A contact's card"),
        ApiRoute(
            "PATCH",
            "/contacts/{contact_id}",
            contacts.change_contact,
            "Change fields of the card",
            ContactChangesBody,
        ),
        ApiRoute(
            "GET",
            "/contacts/{contact_id}/events",
            contacts.contact_events,
            "Page views and site events, newest first",
            query=EVENTS_QUERY,
        ),
        ApiRoute("GET", "/operators", operators.list_operators, "Every operator"),
        ApiRoute(
            "POST",
            "/operators",
            operators.invite_operator,
            "Add an operator and email them the set-password invitation",
            NewOperatorBody,
            status=201,
            admin_only=True,
        ),
        ApiRoute(
            "PATCH",
            "/operators/{operator_id}",
            operators.change_operator,
            "Rename, make admin or operator, deactivate or reactivate",
            OperatorChangesBody,
            admin_only=True,
        ),
        ApiRoute(
            "GET", "/tags", tags.list_tags, "Every tag with its colour and how many conversations carry it"
        ),
        ApiRoute(
            "PATCH",
            "/tags/{name}",
            tags.change_tag,
            "Rename a tag or change its colour (a taken name: 409, merge instead)",
            TagChangesBody,
            admin_only=True,
        ),
        ApiRoute(
            "POST",
            "/tags/{name}/merge",
            tags.merge_tag,
            "Merge a tag into another: its conversations carry the other one, once",
            TagMergeBody,
            admin_only=True,
        ),
        ApiRoute(
            "DELETE",
            "/tags/{name}",
            tags.delete_tag,
            "Delete a tag from every conversation",
            status=204,
            admin_only=True,
        ),
        *admin_mail_routes(),
        *site_routes(),
    ]


PAGE_QUERY = (
    Param("offset", "items to skip (default 0)", {"type": "integer", "minimum": 0}),
    Param("limit", "items a page, 1 to 100 (default 50)", {"type": "integer", "minimum": 1, "maximum": 100}),
)


def admin_mail_routes() -> list[ApiRoute]:
    m = admin_mail
    state = Param("state", "failed, retrying or all (default)", {"type": "string", "enum": list(m.STATES)})
    return [
        ApiRoute(
            "GET",
            "/admin/quarantine",
            m.list_quarantine,
            "Quarantined inbound mail, newest first",
            query=PAGE_QUERY,
            admin_only=True,
        ),
        ApiRoute(
            "POST",
            "/admin/quarantine/{spool_id}/retry",
            m.retry_quarantined,
            "Run a quarantined mail through the pipeline again",
            admin_only=True,
        ),
        ApiRoute(
            "GET",
            "/admin/outbox",
            m.list_outbox,
            "Outbound mail that failed or is being retried, newest first",
            query=(state, *PAGE_QUERY),
            admin_only=True,
        ),
        ApiRoute(
            "POST",
            "/admin/outbox/{outbox_id}/retry",
            m.retry_outbox,
            "Send a failing mail on the sender's next pass",
            admin_only=True,
        ),
    ]


SITE_CONTACT = "/site/contacts/{external_id}"


def site_routes() -> list[ApiRoute]:
    return [
        ApiRoute(
            "PUT",
            SITE_CONTACT,
            site.put_contact,
            "Create or update the site's contact (201 when created); properties are merged",
            SiteContactBody,
            site=True,
        ),
        ApiRoute(
            "POST",
            SITE_CONTACT + "/events",
            site.post_event,
            "Record a site event of the contact (an order, an item put in the cart)",
            SiteEventBody,
            status=201,
            site=True,
        ),
        ApiRoute(
            "POST",
            SITE_CONTACT + "/messages",
            site.post_message,
            "An operator writes to the contact: in its open chat, or a new one",
            SiteMessageBody,
            status=201,
            site=True,
        ),
    ]


def routes() -> list[Route]:
    return [api_route.route() for api_route in api_routes()]
