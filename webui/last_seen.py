"""When an operator was last seen at the desk (Settings → Operators): noted on a signed-in request,
at most every SEEN_EVERY seconds per operator, so it costs a short write that rarely."""

from __future__ import annotations

import logging

from sqlalchemy.exc import OperationalError
from sqlmodel import Session

from chatcore.models import Operator
from chatcore.operators import note_seen
from webui.deps import WebDeps

logger = logging.getLogger(__name__)
SEEN_EVERY = 300.0  # seconds: how precise "last seen" is


def note_request(deps: WebDeps, operator: Operator) -> None:
    """Blocking (call it off the event loop). A busy database only loses the note."""
    now = deps.clock.now()
    last = operator.last_seen_at
    if last is not None and (now - last).total_seconds() < SEEN_EVERY:
        return
    try:
        with Session(deps.engine) as session:
            if note_seen(session, operator.id or 0, now, SEEN_EVERY):
                session.commit()
    except OperationalError:
        logger.warning("could not note that operator %s was seen", operator.id, exc_info=True)
