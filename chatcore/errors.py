"""Errors the domain raises; each carries what a person needs to fix the cause."""

from __future__ import annotations


class ConfigError(ValueError):
    """One problem in the configuration, named by its key: `[hours].tue: "9-25" is not a time range`."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class DomainError(Exception):
    """An operation the domain refuses, with a reason fit to show a user."""


class NotFound(DomainError):
    """The thing asked for does not exist, or the asker may not know that it does."""


class Forbidden(DomainError):
    """The thing exists and the asker sees it, but may not change it."""


class FieldError(DomainError):
    """One field of a request is wrong; `field` names it as the request did."""

    def __init__(self, field: str, problem: str) -> None:
        super().__init__(problem)
        self.field = field
        self.problem = problem


class Conflict(FieldError):
    """The request would make a second of something there may be only one of (409 over HTTP)."""
