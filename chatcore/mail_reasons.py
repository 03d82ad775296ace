"""Why incoming mail was set aside or an operator's reply refused: a code with arguments, stored as JSON
beside the English sentence.

The sentence (`SpoolItem.reason`) is for logs and the command line; the code (`SpoolItem.reason_detail`,
`{"code": "too_many_parts", "args": {"limit": 500}}`) is put into words when shown, in the reader's
language (`mail_reason_text`). Rows quarantined before codes existed have no code: their sentence is
shown as it was stored.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from gettext import NullTranslations
from types import MappingProxyType

JsonArgs = Mapping[str, object]


class MailCode(StrEnum):
    TOO_LARGE = "too_large"  # size, limit (bytes)
    TOO_MANY_HEADERS = "too_many_headers"  # limit
    TOO_MANY_PARTS = "too_many_parts"  # limit
    TOO_DEEP = "too_deep"  # limit
    UNPARSABLE = "unparsable"  # error: the parser's own words
    TOKEN_UNVERIFIED = "token_unverified"  # noqa: S105 (a code, not a secret); address
    NO_CONVERSATION = "no_conversation"  # conversation
    INACTIVE_OPERATOR = "inactive_operator"  # operator (an id)
    NOT_OPERATORS_ADDRESS = "not_operators_address"  # operator (an address), sender ("" when none)
    ADDRESS_PREDATES_EXPIRY = "address_predates_expiry"
    ADDRESS_EXPIRED = "address_expired"  # issued (ISO date), days
    DKIM_UNREADABLE = "dkim_unreadable"  # domain
    DKIM_MISSING = "dkim_missing"  # domain
    DKIM_LOOKUP_FAILED = "dkim_lookup_failed"  # domain, error
    DKIM_INVALID = "dkim_invalid"  # domain, error
    NOTHING_TO_SHOW = "nothing_to_show"
    UNEXPECTED = "unexpected"  # error
    TEMPORARY = "temporary"  # error: the database or the disk was away for now
    STILL_FAILING = "still_failing"  # reason (a stored reason), hours
    # email commands in an operator's reply (chatcore.reply_commands, bridge.operator_mail)
    UNKNOWN_COMMAND = "unknown_command"  # command, commands ("#assign, #close, …")
    COMMAND_NEEDS_TAG = "command_needs_tag"  # command
    COMMAND_NEEDS_ASSIGNEE = "command_needs_assignee"  # command
    COMMAND_TAKES_NOTHING = "command_takes_nothing"  # command, argument
    NO_SUCH_OPERATOR = "no_such_operator"  # argument
    COMMANDS_NEED_DKIM = "commands_need_dkim"  # domain, reason (a stored reason)


@dataclass(frozen=True)
class MailReason:
    code: MailCode
    args: JsonArgs = field(default_factory=lambda: MappingProxyType({}))

    def to_json(self) -> dict[str, object]:
        return {"code": self.code.value, "args": dict(self.args)}

    @classmethod
    def from_json(cls, value: object) -> MailReason | None:
        """A stored reason, or None when the value is not one (a row from before codes)."""
        if not isinstance(value, Mapping):
            return None
        code, args = value.get("code"), value.get("args", {})
        if not (isinstance(code, str) and code in MailCode._value2member_map_ and isinstance(args, Mapping)):
            return None
        return cls(MailCode(code), MappingProxyType(dict(args)))

    @property
    def english(self) -> str:
        return mail_reason_text(self, NullTranslations())


class ReasonedError(Exception):
    """An error that says why as a code (`detail`) and as its English sentence (`reason`, the message)."""

    def __init__(self, detail: MailReason) -> None:
        super().__init__(detail.english)
        self.detail = detail
        self.reason = detail.english


def mail_reason(code: MailCode, **args: object) -> MailReason:
    return MailReason(code, MappingProxyType(args))


def refusal_hint(code: MailCode) -> str:
    """What an operator whose reply was refused should do next: "expired", "dkim", "command" or "address"."""
    if code in (MailCode.ADDRESS_EXPIRED, MailCode.ADDRESS_PREDATES_EXPIRY):
        return "expired"
    if code.value.startswith("dkim_") or code is MailCode.COMMANDS_NEED_DKIM:
        return "dkim"
    if code in _COMMAND_CODES:
        return "command"
    return "address"


def mail_reason_text(reason: MailReason, t: NullTranslations) -> str:
    """One sentence for people, in the catalog's language (English for `NullTranslations`)."""
    args = {name: _shown(value) for name, value in reason.args.items()}
    if reason.code in (MailCode.STILL_FAILING, MailCode.COMMANDS_NEED_DKIM):
        inner = MailReason.from_json(reason.args.get("reason"))
        args["reason"] = mail_reason_text(inner, t) if inner else _shown(reason.args.get("reason"))
    if reason.code is MailCode.NOT_OPERATORS_ADDRESS and not args.get("sender"):
        args["sender"] = t.gettext("no sender")
    days = reason.args.get("days")
    return _template(reason.code, t, days if isinstance(days, int) else 0) % args


def _shown(value: object) -> str:
    return "" if value is None else str(value)


def _(message: str) -> str:
    """Marks a sentence for the catalog; it is translated when shown."""
    return message


_SENTENCES: dict[MailCode, str] = {
    MailCode.TOO_LARGE: _(
        "The mail is %(size)s bytes, more than the limit of %(limit)s bytes (limit max_size)."
    ),
    MailCode.TOO_MANY_HEADERS: _("A header block has more than %(limit)s headers (limit max_headers)."),
    MailCode.TOO_MANY_PARTS: _("The mail has more than %(limit)s MIME parts (limit max_parts)."),
    MailCode.TOO_DEEP: _("The MIME structure is nested deeper than %(limit)s levels (limit max_depth)."),
    MailCode.UNPARSABLE: _("The parser failed on this mail: %(error)s"),
    MailCode.TOKEN_UNVERIFIED: _(
        "the reply address %(address)s carries a token that does not verify "
        "(altered, or signed with a key that is no longer accepted)"
    ),
    MailCode.NO_CONVERSATION: _("the token names conversation %(conversation)s, which does not exist"),
    MailCode.INACTIVE_OPERATOR: _("the token names operator %(operator)s, who is not an active operator"),
    MailCode.NOT_OPERATORS_ADDRESS: _(
        "sent to %(operator)s's reply address from %(sender)s, which is not that operator's address"
    ),
    MailCode.ADDRESS_PREDATES_EXPIRY: _(
        "this reply address is from before reply addresses expired; reply to the latest email about "
        "this conversation (its reply address is current), or answer in the inbox"
    ),
    MailCode.DKIM_UNREADABLE: _("DKIM signature invalid for %(domain)s (unreadable mail)"),
    MailCode.DKIM_MISSING: _("DKIM signature missing for %(domain)s"),
    MailCode.DKIM_LOOKUP_FAILED: _("DKIM key lookup failed for now for %(domain)s (%(error)s)"),
    MailCode.DKIM_INVALID: _("DKIM signature invalid for %(domain)s (%(error)s)"),
    MailCode.NOTHING_TO_SHOW: _("the mail has no text, subject or attachment to show"),
    MailCode.UNEXPECTED: _("unexpected %(error)s"),
    MailCode.TEMPORARY: _("a failure that may pass: %(error)s"),
    MailCode.STILL_FAILING: _("%(reason)s (still failing after %(hours)s h)"),
    MailCode.UNKNOWN_COMMAND: _("#%(command)s is not a command; the commands are %(commands)s"),
    MailCode.COMMAND_NEEDS_TAG: _("#%(command)s needs a tag name"),
    MailCode.COMMAND_NEEDS_ASSIGNEE: _('#%(command)s needs "me" or an operator\'s email'),
    MailCode.COMMAND_TAKES_NOTHING: _("#%(command)s takes nothing after it, got '%(argument)s'"),
    MailCode.NO_SUCH_OPERATOR: _("#assign %(argument)s: there is no active operator with that address"),
    MailCode.COMMANDS_NEED_DKIM: _(
        "email commands need a DKIM signature that verifies, as %(domain)s publishes DKIM keys: %(reason)s"
    ),
}
_COMMAND_CODES = frozenset(
    {
        MailCode.UNKNOWN_COMMAND,
        MailCode.COMMAND_NEEDS_TAG,
        MailCode.COMMAND_NEEDS_ASSIGNEE,
        MailCode.COMMAND_TAKES_NOTHING,
        MailCode.NO_SUCH_OPERATOR,
    }
)


def _template(code: MailCode, t: NullTranslations, days: int) -> str:
    if code is MailCode.ADDRESS_EXPIRED:
        return t.ngettext(
            "this reply address was issued on %(issued)s and expired after %(days)s day; reply to the "
            "latest email about this conversation (its reply address is current), or answer in the inbox",
            "this reply address was issued on %(issued)s and expired after %(days)s days; reply to the "
            "latest email about this conversation (its reply address is current), or answer in the inbox",
            days,
        )
    return t.gettext(_SENTENCES[code])
