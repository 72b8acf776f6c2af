"""Strict parsers for settings read from the environment, and the machine facts settings default to.

A typo such as DEBUG=ture must fail loudly at start-up rather than silently
mean False, so every parser accepts a small, documented vocabulary.
"""
from __future__ import annotations

import os
import secrets
import socket
import subprocess
from pathlib import Path

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str, default: str) -> str:
    """A string setting; ``NAME_FILE`` (a path) wins so secrets can come from files."""
    file_path = os.environ.get(f"{name}_FILE")
    if file_path:
        return Path(file_path).read_text().strip()
    return os.environ.get(name, default)


def env_bool(name: str, default: bool) -> bool:
    """A boolean; empty counts as unset, so docker-compose can pass ``${NAME:-}`` through untouched."""
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of true/false/1/0/yes/no/on/off, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError as exc:
        raise ValueError(f"{name} must be an integer, not {raw!r}") from exc


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def private_dir(path: Path) -> Path:
    """Create ``path`` (and parents) and make it readable by its owner only.

    var/ holds the SQLite database (sessions, password hashes) and the secret key; 0700 keeps other
    local users, and a sandboxed snippet that runs as another uid, out of all of it at once.
    """
    path.mkdir(parents=True, exist_ok=True)
    if path.stat().st_uid == os.getuid():
        path.chmod(0o700)
    return path


def persistent_secret(path: Path) -> str:
    """The secret kept in ``path``, generated (0600) the first time any process asks.

    Several gunicorn workers start at once, so the key is written to a private temporary file and
    hard-linked into place: exactly one writer wins and every reader sees a complete key.
    """
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    temporary = path.with_name(f".{path.name}.{os.getpid()}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as handle:
        handle.write(secrets.token_urlsafe(50))
    try:
        os.link(temporary, path)
    except FileExistsError:
        pass  # another process won the race; its key is the one everybody uses
    finally:
        temporary.unlink()
    return path.read_text().strip()


def machine_hosts() -> list[str]:
    """This machine's host names and interface addresses, as a browser on the LAN would write them.

    Used for ALLOWED_HOSTS when the site is bound to every interface (``HOST=0.0.0.0 make run``), so a
    visitor who types the machine's address is served, and any other Host header gets a plain 400.
    """
    names = {socket.gethostname(), socket.getfqdn()}
    try:
        output = subprocess.run(["hostname", "-I"], capture_output=True, text=True, timeout=5, check=False).stdout
    except (OSError, subprocess.SubprocessError):
        output = ""
    for address in output.split():
        names.add(f"[{address}]" if ":" in address else address)
    return sorted(name for name in names if name)
