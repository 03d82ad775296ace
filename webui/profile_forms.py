"""What the profile forms accept. Each check returns the error to show beside its field, translated."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from gettext import NullTranslations

from chatcore.contacts import is_address
from webui.avatars import image_type

NAME_MAX = 100
PASSWORD_MIN = 10
PASSWORD_MAX = 1024  # argon2 hashes any length; a cap keeps a login form from being a CPU sink
ALTERNATES_MAX = 10
LANGUAGES = ("en", "ru")
_SEPARATORS = re.compile(r"[\s,;]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class Details:
    name: str
    language: str
    alternates: tuple[str, ...]
    notify_email: bool
    notify_sound: bool = True  # a short sound in the desk's pages on a new visitor message
    notify_browser: bool = True  # a native browser notification for it


def clean_name(raw: str) -> str:
    return " ".join(_CONTROL.sub(" ", raw).split())


def check_details(
    details: Details, reserved: Iterable[str], taken: Iterable[str], t: NullTranslations
) -> dict[str, str]:
    """`reserved`: the desk's own address; `taken`: every address of the other operators."""
    errors: dict[str, str] = {}
    if len(details.name) > NAME_MAX:
        errors["name"] = _at_most_characters(NAME_MAX, t)
    if details.language not in LANGUAGES:
        errors["language"] = t.gettext("Choose English or Russian.")
    problem = _check_alternates(details.alternates, set(reserved), set(taken), t)
    if problem:
        errors["alternates"] = problem
    return errors


def parse_alternates(raw: str, own_email: str) -> tuple[str, ...]:
    """One address per line (commas and spaces work too), lower-cased, each once, the login left out."""
    found: list[str] = []
    for part in _SEPARATORS.split(raw.strip().lower()):
        if part and part != own_email.lower() and part not in found:
            found.append(part)
    return tuple(found)


def _check_alternates(
    addresses: tuple[str, ...], reserved: set[str], taken: set[str], t: NullTranslations
) -> str | None:
    _ = t.gettext
    if len(addresses) > ALTERNATES_MAX:
        many = t.ngettext("At most %(count)s address.", "At most %(count)s addresses.", ALTERNATES_MAX)
        return many % {"count": ALTERNATES_MAX}
    for address in addresses:
        if not is_address(address):
            return _("“%(address)s” is not an email address.") % {"address": address}
        if _is_reserved(address, reserved):
            return _("%(address)s is the desk's own address.") % {"address": address}
        if address in taken:
            return _("%(address)s belongs to another operator.") % {"address": address}
    return None


def _is_reserved(address: str, reserved: set[str]) -> bool:
    local, _at, domain = address.partition("@")
    return f"{local.split('+', 1)[0]}@{domain}" in reserved


def check_new_password(new: str, repeated: str, t: NullTranslations) -> str | None:
    if len(new) < PASSWORD_MIN:
        fewest = t.ngettext("At least %(count)s character.", "At least %(count)s characters.", PASSWORD_MIN)
        return fewest % {"count": PASSWORD_MIN}
    if len(new) > PASSWORD_MAX:
        return _at_most_characters(PASSWORD_MAX, t)
    if new != repeated:
        return t.gettext("The two passwords differ.")
    return None


def _at_most_characters(count: int, t: NullTranslations) -> str:
    most = t.ngettext("At most %(count)s character.", "At most %(count)s characters.", count)
    return most % {"count": count}


def check_avatar(data: bytes, limit: int, t: NullTranslations) -> str | None:
    if not data:
        return t.gettext("Choose an image file.")
    if len(data) > limit:
        return too_large(limit, t)
    if image_type(data) is None:
        return t.gettext("Only PNG, JPEG, WebP or GIF images are accepted.")
    return None


def too_large(limit: int, t: NullTranslations) -> str:
    return t.gettext("The image must be at most %(size)s.") % {"size": readable_size(limit, t)}


def readable_size(size: int, t: NullTranslations) -> str:
    _ = t.gettext
    if size >= 1024 * 1024 and size % (1024 * 1024) == 0:
        return _("%(count)s MB") % {"count": size // (1024 * 1024)}
    if size >= 1024 and size % 1024 == 0:
        return _("%(count)s KB") % {"count": size // 1024}
    return _("%(count)s bytes") % {"count": size}
