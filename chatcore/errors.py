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
