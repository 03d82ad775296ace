"""/api/v1/operators: who works at the desk (for assigning, mentions and avatars)."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select

from chatcore.models import Operator
from webui.api.endpoint import ApiCall
from webui.api.views import operator_json


def list_operators(call: ApiCall) -> dict[str, Any]:
    """Every operator, active ones first, by name; `active` tells who can be assigned."""
    rows = call.session.exec(
        select(Operator).order_by(col(Operator.active).desc(), col(Operator.name), col(Operator.id))
    )
    return {"items": [operator_json(row) for row in rows]}
