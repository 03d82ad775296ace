"""What would happen at a moment on a channel: the lines `relaydesk autoreply explain` prints and the
hours page shows (both call `explain`)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from gettext import NullTranslations

from chatcore.autoreply.engine import AutoreplySituation, decide
from chatcore.autoreply.rules import AutoreplyRule, Channel, Trigger
from chatcore.autoreply.words import capitalized, channel_text, reason_text, situation_text
from chatcore.hours import WorkingHours, wall_to_utc


def explain(
    rules: Sequence[AutoreplyRule],
    hours: WorkingHours,
    at: datetime,
    channel: Channel,
    new_conversation: bool,
    t: NullTranslations,
) -> list[str]:
    """Open or closed, the next opening or closing, each rule's reason, and the answer; one line each."""
    trigger = Trigger.NEW_CONVERSATION if new_conversation else Trigger.VISITOR_MESSAGE
    verdict = decide(rules, hours, AutoreplySituation(at=at, channel=channel, trigger=trigger))
    heading = t.gettext("At %(local)s %(timezone)s (%(utc)s), channel %(channel)s, %(situation)s:") % {
        "local": f"{hours.local(at):%Y-%m-%d %H:%M}",
        "timezone": hours.timezone_name,
        "utc": f"{at.astimezone(UTC):%Y-%m-%d %H:%M} UTC",
        "channel": channel_text(channel, t),
        "situation": situation_text(trigger, t),
    }
    if verdict.rule:
        answer = t.gettext('Answer: rule "%(rule)s".') % {"rule": verdict.rule}
    else:
        answer = t.gettext("Answer: no autoreply.")
    return [
        heading,
        capitalized(hours.describe(at, t)) + ".",
        *(reason_text(reason, t) for reason in verdict.reasons),
        answer,
    ]


def local_moment(text: str, hours: WorkingHours) -> datetime:
    """A wall time like "2026-12-31 15:30" in the desk's timezone, as an instant (DST folds included);
    ValueError when it is not such a time."""
    local = datetime.strptime(text.strip(), "%Y-%m-%d %H:%M")  # noqa: DTZ007 - a wall time, made aware below
    return wall_to_utc(local, hours.timezone, last=False)
