"""Ending an operator's web sessions: each session carries the operator's session version, and a
session whose version is no longer the operator's current one is refused on its next request."""

from __future__ import annotations

from chatcore.models import Operator


def revoke_sessions(operator: Operator) -> None:
    """Every session (and every set-password link) issued so far stops working."""
    operator.session_version += 1


def deactivate(operator: Operator) -> None:
    operator.active = False
    revoke_sessions(operator)
