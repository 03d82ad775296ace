"""The import direction of DESIGN.md, checked over every module's source (imports inside functions too)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("chatcore", "bridge", "inbound", "outbound", "webui")
IO_LIBRARIES = ("aiosmtpd", "imapclient", "smtplib", "starlette", "jinja2", "uvicorn", "socket", "http")
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "chatcore": ("bridge", "inbound", "outbound", "webui", *IO_LIBRARIES),
    "inbound": ("outbound", "webui", "bridge"),
    "outbound": ("inbound", "webui", "bridge"),
    "webui": ("bridge",),
    "bridge": (),
}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, module: str, is_package: bool) -> set[str]:
    """Every module the source imports, relative imports resolved against `module`."""
    found: set[str] = set()
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base_parts = package.split(".")
                base = ".".join(base_parts[: len(base_parts) - node.level + 1])
                target = f"{base}.{node.module}" if node.module else base
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return found


def broken_rules(package: str, imports: set[str]) -> list[str]:
    return sorted(
        name
        for name in imports
        for banned in FORBIDDEN[package]
        if name == banned or name.startswith(f"{banned}.")
    )


def modules() -> list[Path]:
    return sorted(
        path
        for package in PACKAGES
        for path in (ROOT / package).rglob("*.py")
        if "migrations" not in path.parts
    )


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_module_keeps_the_import_direction(path: Path) -> None:
    module = module_name(path)
    imports = imported_modules(path.read_text(encoding="utf-8"), module, path.name == "__init__.py")
    assert broken_rules(module.split(".")[0], imports) == [], f"{module} imports what its layer may not"


def test_every_package_is_checked() -> None:
    assert {module_name(path).split(".")[0] for path in modules()} == set(PACKAGES)


@pytest.mark.parametrize(
    ("package", "source", "expected"),
    [
        ("chatcore", "import smtplib", ["smtplib"]),
        ("chatcore", "from http.client import HTTPConnection", ["http.client", "http.client.HTTPConnection"]),
        (
            "chatcore",
            "def f():\n    from starlette.requests import Request\n",
            ["starlette.requests", "starlette.requests.Request"],
        ),
        ("chatcore", "from bridge import tokens", ["bridge", "bridge.tokens"]),
        ("chatcore", "import jinja2.ext", ["jinja2.ext"]),
        ("chatcore", "import httpx\nimport socketserver\nfrom sqlmodel import Session", []),
        ("inbound", "from outbound.compose import compose", ["outbound.compose", "outbound.compose.compose"]),
        ("inbound", "from . import spool\nfrom .parse import ParsedMail", []),
        ("outbound", "import inbound.parse", ["inbound.parse"]),
        ("webui", "from bridge.app import build_context", ["bridge.app", "bridge.app.build_context"]),
        ("webui", "from chatcore.models import Message", []),
        ("bridge", "import webui.app\nimport outbound\nimport inbound", []),
    ],
)
def test_the_checker_finds_broken_rules(package: str, source: str, expected: list[str]) -> None:
    imports = imported_modules(source, f"{package}.example", is_package=False)
    assert broken_rules(package, imports) == expected


def test_relative_imports_are_resolved() -> None:
    assert imported_modules("from .compose import compose", "outbound.render", is_package=False) >= {
        "outbound.compose",
        "outbound.compose.compose",
    }
    assert "bridge.tokens" in imported_modules("from . import tokens", "bridge", is_package=True)
