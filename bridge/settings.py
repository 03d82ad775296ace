"""config.toml → typed, frozen settings. Every problem is one line naming its key."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationError,
    field_validator,
    model_validator,
)

from chatcore.autoreply import AutoreplyRule, load_autoreplies, validate_autoreplies
from chatcore.errors import ConfigError
from chatcore.hours import WorkingHours, validate_hours
from chatcore.units import parse_duration, parse_size
from outbound.dkim import DkimKeyError, check_private_key

_FROZEN = ConfigDict(frozen=True, extra="forbid")


# Keys that appear in examples and tutorials: whoever has read them could forge sessions and tokens.
PLACEHOLDER_KEYS = frozenset(
    {"change-me", "changeme", "change_me", "secret", "secret-key", "your-secret-key", "replace-me", "xxx"}
)
MIN_KEY_BYTES = 32


def weak_key_problem(key_name: str, value: str) -> str | None:
    """One line saying why a signing key must not be used, or None when it may."""
    if value.strip().lower() in PLACEHOLDER_KEYS:
        return (
            f'{key_name}: "{value}" is the example\'s placeholder, not a secret; '
            "run `relaydesk init` to write a config with a random key"
        )
    if len(value.encode("utf-8")) < MIN_KEY_BYTES:
        return (
            f"{key_name}: is {len(value.encode('utf-8'))} bytes; use at least {MIN_KEY_BYTES} random bytes "
            '(python3 -c "import secrets; print(secrets.token_urlsafe(32))")'
        )
    return None


class SettingsError(Exception):
    """The config cannot be used; `problems` holds one line per problem."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def _duration(value: object) -> timedelta:
    if isinstance(value, timedelta):
        return value
    return parse_duration(str(value) if isinstance(value, int) else value)  # type: ignore[arg-type]


def _size(value: object) -> int:
    return parse_size(value)  # type: ignore[arg-type]


class SiteSettings(BaseModel):
    model_config = _FROZEN
    name: str = "Relaydesk"
    base_url: str = "http://127.0.0.1:8000"
    language: Literal["en", "ru"] = "en"
    secret_key: str = ""
    secret_key_env: str | None = None
    previous_secret_keys: tuple[str, ...] = ()

    @property
    def secret_keys(self) -> tuple[str, ...]:
        """The signing key first, then the older keys still accepted."""
        return (self.secret_key, *self.previous_secret_keys)


class WebSettings(BaseModel):
    model_config = _FROZEN
    host: str = "127.0.0.1"
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 8000


class DatabaseSettings(BaseModel):
    model_config = _FROZEN
    url: str = "sqlite:///var/relaydesk.db"


class MailSettings(BaseModel):
    model_config = _FROZEN
    address: str = "support@example.com"
    from_name: str = "Support"
    require_dkim_for_operators: StrictBool = False
    operator_reply_max_age: timedelta = timedelta(days=30)  # an operator's reply address expires after this

    _age = field_validator("operator_reply_max_age", mode="before")(classmethod(lambda cls, v: _duration(v)))

    @field_validator("operator_reply_max_age")
    @classmethod
    def _at_least_a_day(cls, value: timedelta) -> timedelta:
        if value < timedelta(days=1):
            raise ValueError("must be at least 1d (reply addresses are dated by the day)")
        return value

    @field_validator("address")
    @classmethod
    def _one_address(cls, value: str) -> str:
        local, at, domain = value.partition("@")
        if not (local and at and domain) or any(c in value for c in " \r\n<>,+"):
            raise ValueError(f'must be a plain address like "support@example.com", got "{value}"')
        return value.lower()

    @property
    def local_part(self) -> str:
        return self.address.split("@", 1)[0]

    @property
    def domain(self) -> str:
        return self.address.split("@", 1)[1]


class SmtpInboundSettings(BaseModel):
    model_config = _FROZEN
    enabled: StrictBool = True
    host: str = "127.0.0.1"
    port: Annotated[StrictInt, Field(ge=0, le=65535)] = 2525
    lmtp: StrictBool = False
    max_message_size: Annotated[int, Field(gt=0)] = 25 * 1024 * 1024
    tls_cert: str | None = None
    tls_key: str | None = None
    spool_dir: str = "var/spool"

    _size = field_validator("max_message_size", mode="before")(classmethod(lambda cls, v: _size(v)))


class ImapSettings(BaseModel):
    model_config = _FROZEN
    name: str = ""
    host: str
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 993
    tls: StrictBool = True
    starttls: StrictBool = False
    username: str
    password: str = ""
    password_env: str | None = None
    folder: str = "INBOX"
    processed_folder: str | None = None
    idle: StrictBool = True
    poll_interval: timedelta = timedelta(seconds=60)
    idle_renew: timedelta = timedelta(minutes=10)
    timeout: timedelta = timedelta(seconds=30)
    ca_file: str | None = None

    _dur = field_validator("poll_interval", "idle_renew", "timeout", mode="before")(
        classmethod(lambda cls, v: _duration(v))
    )


class InboundSettings(BaseModel):
    model_config = _FROZEN
    smtp: SmtpInboundSettings = SmtpInboundSettings()
    imap: tuple[ImapSettings, ...] = ()


class OutboundSettings(BaseModel):
    model_config = _FROZEN
    transport: Literal["smtp", "maildir"] = "maildir"
    host: str = "127.0.0.1"
    port: Annotated[StrictInt, Field(ge=1, le=65535)] = 25
    starttls: StrictBool = False
    ssl: StrictBool = False
    username: str | None = None
    password: str = ""
    password_env: str | None = None
    timeout: timedelta = timedelta(seconds=30)
    retry_for: timedelta = timedelta(days=2)
    retry_first: timedelta = timedelta(seconds=30)
    maildir: str = "var/outbox-maildir"
    ca_file: str | None = None
    dkim_selector: str | None = None
    dkim_key_file: str | None = None

    _dur = field_validator("timeout", "retry_for", "retry_first", mode="before")(
        classmethod(lambda cls, v: _duration(v))
    )

    @field_validator("retry_first")
    @classmethod
    def _positive(cls, value: timedelta) -> timedelta:
        if value <= timedelta(0):
            raise ValueError("must be longer than 0s")
        return value


class NotificationSettings(BaseModel):
    model_config = _FROZEN
    operator_email_delay: timedelta = timedelta(minutes=2)
    visitor_email_delay: timedelta = timedelta(minutes=5)

    _dur = field_validator("operator_email_delay", "visitor_email_delay", mode="before")(
        classmethod(lambda cls, v: _duration(v))
    )


class AutoCloseSettings(BaseModel):
    """Close dialogs with no activity for `after`; off when `after` is not set."""

    model_config = _FROZEN
    after: timedelta | None = None
    text: str | dict[str, str] = {
        "en": "This conversation was closed after a period without activity. Write again any time.",
        "ru": "Диалог закрыт, так как в нём давно не было активности. Напишите нам в любое время.",
    }

    _dur = field_validator("after", mode="before")(
        classmethod(lambda cls, v: None if v is None else _duration(v))
    )

    def text_for(self, language: str) -> str:
        if isinstance(self.text, str):
            return self.text
        return self.text.get(language) or self.text.get("en") or next(iter(self.text.values()), "")


class WidgetSettings(BaseModel):
    model_config = _FROZEN
    mode: Literal["visible", "when_conversation", "hidden"] = "visible"
    # Pages on these origins may call the widget API (CORS); base_url's own origin always may.
    allowed_origins: tuple[str, ...] = ()

    @field_validator("allowed_origins")
    @classmethod
    def _origins(cls, origins: tuple[str, ...]) -> tuple[str, ...]:
        for origin in origins:
            problem = origin_problem(origin)
            if problem:
                raise ValueError(f'"{origin}" {problem}')
        return origins


_ORIGIN = re.compile(r"https?://[a-z0-9.\-]+(:[0-9]{1,5})?|https?://\[[0-9a-f:.]+\](:[0-9]{1,5})?")


def origin_problem(origin: str) -> str | None:
    """Why `origin` is not an exact origin such as "https://shop.example" (None when it is one)."""
    if "*" in origin:
        return "is a wildcard; list each origin exactly"
    if not _ORIGIN.fullmatch(origin):
        return 'is not an origin like "https://shop.example" (scheme and host, lower case, no path)'
    return None


class ContactSettings(BaseModel):
    """[contacts]: what the desk keeps of each contact's history, and whether it looks up public avatars."""

    model_config = _FROZEN
    avatar_lookup: bool = False  # off by default: a lookup tells the service a hash of the address
    avatar_service: str = "https://seccdn.libravatar.org/avatar/"
    history_days: int = Field(default=365, ge=1, le=36_500)
    history_events: int = Field(default=1000, ge=1, le=1_000_000)

    @field_validator("avatar_service")
    @classmethod
    def _http_base(cls, value: str) -> str:
        if not value.startswith(("https://", "http://")):
            raise ValueError("must be an http(s) URL, such as https://seccdn.libravatar.org/avatar/")
        return value if value.endswith("/") else value + "/"


class UploadSettings(BaseModel):
    model_config = _FROZEN
    dir: str = "var/files"
    max_file_size: int = 2 * 1024 * 1024
    max_avatar_size: int = 1024 * 1024
    email_attach_max: int = 512 * 1024  # an operator's files up to this total also go into the visitor's mail

    _size = field_validator("max_file_size", "max_avatar_size", "email_attach_max", mode="before")(
        classmethod(lambda cls, v: _size(v))
    )


class Settings(BaseModel):
    model_config = _FROZEN
    site: SiteSettings = SiteSettings()
    web: WebSettings = WebSettings()
    database: DatabaseSettings = DatabaseSettings()
    mail: MailSettings = MailSettings()
    inbound: InboundSettings = InboundSettings()
    outbound: OutboundSettings = OutboundSettings()
    notifications: NotificationSettings = NotificationSettings()
    hours: Mapping[str, Any] = Field(default_factory=dict)
    autoreply: tuple[Mapping[str, Any], ...] = ()
    widget: WidgetSettings = WidgetSettings()
    autoclose: AutoCloseSettings = AutoCloseSettings()
    uploads: UploadSettings = UploadSettings()
    contacts: ContactSettings = ContactSettings()
    base_dir: str = "."

    @model_validator(mode="after")
    def _needs_secret(self) -> Settings:
        if not self.site.secret_key:
            raise ValueError("[site].secret_key: is empty; set it or secret_key_env")
        problem = weak_key_problem("[site].secret_key", self.site.secret_key)
        for index, key in enumerate(self.site.previous_secret_keys):
            problem = problem or weak_key_problem(f"[site].previous_secret_keys[{index}]", key)
        if problem:
            raise ValueError(problem)
        return self

    def working_hours(self) -> WorkingHours:
        return WorkingHours.from_config(self.hours) if self.hours else WorkingHours.always_open()

    def autoreply_rules(self) -> tuple[AutoreplyRule, ...]:
        return load_autoreplies([dict(table) for table in self.autoreply])

    def path(self, relative: str) -> Path:
        """A path from the config, relative to the directory of config.toml."""
        return Path(self.base_dir, relative)


def load_settings(path: Path, environ: Mapping[str, str] | None = None) -> Settings:
    """Read, resolve secrets from the environment, validate; raise SettingsError listing every problem."""
    env = os.environ if environ is None else environ
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError([f"{path}: no such file; run `relaydesk init` to write one"]) from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError([f"{path}: not valid TOML: {exc}"]) from None
    return settings_from_mapping(raw, env, base_dir=str(path.resolve().parent))


def settings_from_mapping(raw: dict[str, Any], env: Mapping[str, str], base_dir: str = ".") -> Settings:
    problems: list[str] = []
    raw = _resolve_secrets(raw, env, problems)
    raw["base_dir"] = base_dir
    settings: Settings | None = None
    try:
        settings = Settings.model_validate(raw)
    except ValidationError as exc:
        problems.extend(_describe(error, raw) for error in exc.errors())
    problems.extend(_validate_rules(raw))
    if settings is not None:
        problems.extend(_validate_dkim(settings))
    if problems:
        raise SettingsError([_one_line(problem) for problem in _without_echoes(problems)])
    assert settings is not None
    return settings


def _without_echoes(problems: list[str]) -> list[str]:
    """A secret missing from the environment is reported once, not again as an empty key."""
    missing_env = {p.split("_env:", 1)[0] for p in problems if "_env: the environment variable" in p}
    return [p for p in problems if p.split(": is empty", 1)[0] not in missing_env]


def _one_line(problem: str) -> str:
    """A value quoted in a problem may hold line breaks; shown escaped, each problem stays one line."""
    return problem.replace("\r", "\\r").replace("\n", "\\n")


def _resolve_secrets(raw: dict[str, Any], env: Mapping[str, str], problems: list[str]) -> dict[str, Any]:
    """`secret_key_env = "X"` fills `secret_key` from $X (and likewise for password_env)."""
    pairs = [(("site",), "secret_key"), (("outbound",), "password")]
    for section, key in pairs:
        table = raw.get(section[0])
        if isinstance(table, dict):
            _fill_from_env(table, key, f"[{section[0]}]", env, problems)
    inbound = raw.get("inbound")
    if isinstance(inbound, dict):
        for index, account in enumerate(inbound.get("imap", []) or []):
            if isinstance(account, dict):
                _fill_from_env(account, "password", f"[[inbound.imap]][{index}]", env, problems)
                account.setdefault("name", account.get("username", f"imap{index}"))
    return raw


def _fill_from_env(
    table: dict[str, Any], key: str, where: str, env: Mapping[str, str], problems: list[str]
) -> None:
    variable = table.get(f"{key}_env")
    if variable is None or table.get(key):
        return
    if variable in env:
        table[key] = env[variable]
    else:
        problems.append(f"{where}.{key}_env: the environment variable {variable} is not set")


def _validate_rules(raw: Mapping[str, Any]) -> list[str]:
    """Hours and autoreply tables are checked by the domain, which knows their meaning."""
    errors: list[ConfigError] = []
    hours, rules = raw.get("hours"), raw.get("autoreply", [])
    if isinstance(hours, Mapping) and hours:
        errors.extend(validate_hours(hours))
    if isinstance(rules, list):
        errors.extend(validate_autoreplies(rules))
    return [str(error) for error in errors]


def _validate_dkim(settings: Settings) -> list[str]:
    """A selector needs a key and the other way round; the key must be one we can sign with."""
    outbound = settings.outbound
    if not outbound.dkim_selector and not outbound.dkim_key_file:
        return []
    if not outbound.dkim_key_file:
        return ["[outbound].dkim_key_file: is required when dkim_selector is set"]
    if not outbound.dkim_selector:
        return ["[outbound].dkim_selector: is required when dkim_key_file is set"]
    path = settings.path(outbound.dkim_key_file)
    try:
        check_private_key(path.read_bytes())
    except OSError as exc:
        return [f"[outbound].dkim_key_file: cannot read {path}: {exc.strerror or exc}"]
    except DkimKeyError as exc:
        return [f"[outbound].dkim_key_file: {path}: {exc}"]
    return []


def _describe(error: Any, raw: Mapping[str, Any]) -> str:
    """`[outbound].port: must be 1–65535, got "abc"` from a pydantic error."""
    location = [part for part in error["loc"] if not str(part).startswith("function-")]
    key = _key_name(location)
    kind = error["type"]
    got = _lookup(raw, location)
    shown = f'"{got}"' if isinstance(got, str) else repr(got)
    if kind == "extra_forbidden":
        return f"[{location[0]}]: unknown section" if len(location) == 1 else f"{key}: unknown key"
    if kind == "missing":
        return f"{key}: is required"
    if kind in {"greater_than_equal", "less_than_equal", "int_parsing", "int_type"} and location[-1] in {
        "port"
    }:
        return f"{key}: must be 1–65535, got {shown}"
    if kind == "literal_error":
        return f"{key}: must be one of {error['ctx']['expected']}, got {shown}"
    if kind == "value_error":
        message = str(error["ctx"]["error"])
        return message if message.startswith("[") else f"{key}: {message}"
    return f"{key}: {error['msg'].lower()}, got {shown}"


def _key_name(location: list[Any]) -> str:
    if not location:
        return "config"
    sections = [str(part) for part in location[:-1]]
    last = location[-1]
    if not sections:
        return f"[{last}]" if last in Settings.model_fields else str(last)
    head = ".".join(part for part in sections if not part.isdigit())
    index = "".join(f"[{part}]" for part in sections if part.isdigit())
    bracket = f"[[{head}]]{index}" if index else f"[{head}]"
    return f"{bracket}.{last}"


def _lookup(raw: Mapping[str, Any], location: list[Any]) -> Any:
    node: Any = raw
    for part in location:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            return None
    return node
