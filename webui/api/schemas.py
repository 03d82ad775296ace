"""The bodies the API accepts: unknown fields and wrong types are refused with the field named."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, Field

Id = Annotated[int, Field(ge=1, le=2**31 - 1)]


class Body(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class NewMessageBody(Body):
    text: str = Field(max_length=100_000)
    note: bool = False


class AssigneeBody(Body):
    operator_id: Id | None


class TagBody(Body):
    name: str = Field(max_length=200)


class NewSavedReplyBody(Body):
    title: str = Field(max_length=1_000)
    text: str = Field(max_length=100_000)
    shared: bool = True


class SavedReplyChangesBody(Body):
    title: str | None = Field(default=None, max_length=1_000)
    text: str | None = Field(default=None, max_length=100_000)
    shared: bool | None = None


class ContactChangesBody(Body):
    name: str | None = Field(default=None, max_length=1_000)
    email: str | None = Field(default=None, max_length=1_000)
    phone: str | None = Field(default=None, max_length=1_000)
    notes: str | None = Field(default=None, max_length=100_000)
    properties: dict[str, Any] | None = None


class NewOperatorBody(Body):
    email: str = Field(max_length=1_000)
    name: str = Field(default="", max_length=1_000)
    admin: bool = False


class OperatorChangesBody(Body):
    name: str | None = Field(default=None, max_length=1_000)
    admin: bool | None = None
    active: bool | None = None


class TagChangesBody(Body):
    name: str | None = Field(default=None, max_length=200)
    colour: str | None = Field(default=None, max_length=40)


class TagMergeBody(Body):
    into: str = Field(max_length=200)
class SiteContactBody(Body):
    name: str | None = Field(default=None, max_length=1_000)
    email: str | None = Field(default=None, max_length=1_000)
    phone: str | None = Field(default=None, max_length=1_000)
    properties: dict[str, Any] | None = None


class SiteEventBody(Body):
    name: str = Field(max_length=1_000)
    properties: dict[str, Any] = Field(default_factory=dict)
    at: str | None = Field(default=None, max_length=100, description="ISO 8601 with offset; default now")


class SiteMessageBody(Body):
    text: str = Field(max_length=10_000)
    operator_email: str = Field(max_length=1_000)


BODIES: tuple[type[Body], ...] = (
    NewMessageBody,
    AssigneeBody,
    TagBody,
    NewSavedReplyBody,
    SavedReplyChangesBody,
    ContactChangesBody,
    NewOperatorBody,
    OperatorChangesBody,
    TagChangesBody,
    TagMergeBody,
    SiteContactBody,
    SiteEventBody,
    SiteMessageBody,
)
