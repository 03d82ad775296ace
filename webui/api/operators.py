"""/api/v1/operators: who works at the desk (for assigning, mentions and avatars); admins invite,
rename, change roles, deactivate and reactivate through chatcore.operators, as Settings → Operators."""

from __future__ import annotations

from typing import Any

from sqlmodel import col, select
from starlette.responses import JSONResponse, Response

from chatcore import operators
from chatcore.models import Operator
from chatcore.operators import NewOperator, OperatorChanges
from webui.api.auth import require_admin
from webui.api.endpoint import ApiCall
from webui.api.errors import ApiError
from webui.api.schemas import NewOperatorBody, OperatorChangesBody
from webui.api.views import operator_json


def list_operators(call: ApiCall) -> dict[str, Any]:
    """Every operator, active ones first, by name; `active` tells who can be assigned."""
    rows = call.session.exec(
        select(Operator).order_by(col(Operator.active).desc(), col(Operator.name), col(Operator.id))
    )
    return {"items": [operator_json(row) for row in rows]}


def invite_operator(call: ApiCall) -> Response:
    """A new operator, emailed the set-password invitation; 409 if the address is taken."""
    require_admin(call.operator)
    body = call.body(NewOperatorBody)
    if call.deps.invite is None:
        raise ApiError(503, "this desk cannot send invitations")
    operator = operators.add_operator(
        call.session, NewOperator(body.email, body.name, body.admin), call.deps.clock.now()
    )
    call.deps.invite(call.session, operator)
    call.commit([])
    return JSONResponse(operator_json(operator), status_code=201)


def change_operator(call: ApiCall) -> dict[str, Any]:
    require_admin(call.operator)
    operator_id = call.path_id("operator_id", "operator")
    body = call.body(OperatorChangesBody)
    changes = OperatorChanges(name=body.name, admin=body.admin, active=body.active)
    operator = operators.change_operator(call.session, operator_id, changes)
    call.commit([])
    return operator_json(operator)
