"""Folders Relaydesk ships inside its packages (templates and catalogs, static files, migrations), found
through importlib.resources: an installed wheel finds them as a checkout does, whatever the current
directory. Relaydesk is installed as files (as pip installs a wheel), so every folder has a path on disk,
which Jinja2, Starlette's StaticFiles and Alembic need."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path


def shipped_dir(package: str, *parts: str) -> Path:
    """The folder `parts` inside the importable `package`, as a path on disk."""
    folder = files(package).joinpath(*parts)
    if not isinstance(folder, Path) or not folder.is_dir():
        raise FileNotFoundError(f"{package}: {'/'.join(parts) or 'the package'} is not a folder on disk")
    return folder
