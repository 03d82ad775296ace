"""Raw mail bytes in, one frozen ParsedMail out; bad input ends as MailRejected with a reason.

The stdlib parser (policy.default) does the MIME work; the modules beside this one add what real mail
needs on top, one job each: hard limits checked before the expensive work starts (`limits`), charset
detection for undeclared or mislabelled Cyrillic text (`charsets`), tolerant header and RFC 2047
decoding (`headers`, `header_fields`), recovery of multiparts whose boundary is wrong (`mime_repair`),
and the sorting of parts into body text and attachments (`mime_parts`). This module puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import policy
from email.parser import BytesParser
from email.policy import Policy

from chatcore.mail_reasons import MailCode, mail_reason
from inbound.header_fields import addresses, message_ids, parse_date, unique
from inbound.headers import HeaderDecoder, default_policy
from inbound.limits import MailRejected, ParseLimits, check_tree, prescan, reject_depth
from inbound.mime_parts import Body, MailAttachment, add_leaf, leaves
from inbound.mime_repair import repair_multiparts
from inbound.sanitize import html_to_text, sanitize_html


@dataclass(frozen=True)
class ParsedMail:
    message_id: str | None
    in_reply_to: tuple[str, ...]
    references: tuple[str, ...]
    from_address: str
    from_name: str
    reply_to: tuple[str, ...]
    to: tuple[str, ...]
    cc: tuple[str, ...]
    delivered_to: tuple[str, ...]
    subject: str
    date: datetime | None
    text: str
    html: str | None
    attachments: tuple[MailAttachment, ...]
    headers: tuple[tuple[str, str], ...]
    defects: tuple[str, ...]

    def header(self, name: str) -> str | None:
        """First value of a header, case-insensitive; None when absent."""
        values = self.header_all(name)
        return values[0] if values else None

    def header_all(self, name: str) -> tuple[str, ...]:
        wanted = name.lower()
        return tuple(value for key, value in self.headers if key.lower() == wanted)


def parse_mail(raw: bytes, limits: ParseLimits | None = None) -> ParsedMail:
    """Parse raw mail bytes; raises MailRejected (and nothing else) for mail that cannot be accepted."""
    limits = limits or ParseLimits()
    prescan(raw, limits)
    try:
        return _parse_guarded(raw, limits)
    except MailRejected:
        raise
    except RecursionError as error:
        raise reject_depth(limits) from error
    except Exception as error:  # bad input goes to quarantine with a reason, never crashes the worker
        found = f"{type(error).__name__}: {error}"[:250]
        raise MailRejected(mail_reason(MailCode.UNPARSABLE, error=found)) from error


def _parse_guarded(raw: bytes, limits: ParseLimits) -> ParsedMail:
    """policy.default first; if its structured-header parser breaks on hostile input, compat32."""
    try:
        return _parse(raw, limits, default_policy(), [])
    except (MailRejected, RecursionError):
        raise
    except Exception as error:  # a stdlib bug on bad input must not lose the mail
        note = f"structured header parsing failed ({type(error).__name__}); re-read with the compat32 parser"
        return _parse(raw, limits, policy.compat32, [note])


def _parse(raw: bytes, limits: ParseLimits, mail_policy: Policy, defects: list[str]) -> ParsedMail:
    message = BytesParser(policy=mail_policy).parsebytes(raw)
    check_tree(message, limits, defects)
    if repair_multiparts(message, mail_policy, defects):
        check_tree(message, limits, [])
    if "content-type" not in message:
        defects.append("missing Content-Type header; body read as text")
    raw_headers = [(name, value) for name, value in message.raw_items()]
    decoder = HeaderDecoder([value for _, value in raw_headers], defects)
    body = Body()
    for leaf in leaves(message):
        add_leaf(leaf, body, decoder, defects)
    return _assemble(raw_headers, decoder, body, defects)


def _assemble(
    raw_headers: list[tuple[str, str]], decoder: HeaderDecoder, body: Body, defects: list[str]
) -> ParsedMail:
    def raw_all(name: str) -> list[str]:
        return [decoder.unstructured(key, value) for key, value in raw_headers if key.lower() == name]

    headers = tuple((name.replace("\x00", ""), decoder.text(name, value)) for name, value in raw_headers)
    senders = addresses(raw_all("from"), decoder)
    html = sanitize_html("\n".join(body.html)) if body.html else None
    text = "\n".join(body.plain).strip("\n")
    if not text.strip() and html:
        text = html_to_text(html)
    own_ids = message_ids(raw_all("message-id"))
    subject = next((value for name, value in headers if name.lower() == "subject"), "")
    date_values = raw_all("date")
    return ParsedMail(
        message_id=own_ids[0] if own_ids else None,
        in_reply_to=unique(message_ids(raw_all("in-reply-to"))),
        references=unique(message_ids(raw_all("references"))),
        from_address=senders[0][1] if senders else "",
        from_name=senders[0][0] if senders else _display_name_only(raw_all("from"), decoder),
        reply_to=unique([addr for _, addr in addresses(raw_all("reply-to"), decoder)]),
        to=unique([addr for _, addr in addresses(raw_all("to"), decoder)]),
        cc=unique([addr for _, addr in addresses(raw_all("cc"), decoder)]),
        delivered_to=unique(
            [addr for _, addr in addresses(raw_all("delivered-to") + raw_all("x-original-to"), decoder)]
        ),
        subject=subject,
        date=parse_date(date_values[0] if date_values else None, defects),
        text=text,
        html=html,
        attachments=tuple(body.attachments),
        headers=headers,
        defects=tuple(dict.fromkeys(defects)),
    )


def _display_name_only(values: list[str], decoder: HeaderDecoder) -> str:
    return decoder.text("from", values[0]).strip().strip('"') if values else ""


# MailRejected and ParseLimits belong to parse_mail's contract; MailAttachment is part of ParsedMail.
__all__ = ["MailAttachment", "MailRejected", "ParseLimits", "ParsedMail", "parse_mail"]
