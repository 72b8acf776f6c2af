"""If the sandbox ever runs a snippet without its own filesystem view, the database is still not readable (finding 9)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import tempfile
from pathlib import Path
from types import SimpleNamespace

import pytest

from sandbox.jail.runner import DEFAULT_UID_BASE
from sandbox.private_files import make_sqlite_private


def _sqlite_file(path):
    sqlite3.connect(path).execute("create table sessions (key text)").connection.close()
    os.chmod(path, 0o644)  # what the usual umask gives a new file
    return path


def test_a_new_sqlite_connection_makes_the_database_owner_only(tmp_path):
    db = _sqlite_file(tmp_path / "db.sqlite3")
    (tmp_path / "db.sqlite3-wal").write_bytes(b"")
    os.chmod(tmp_path / "db.sqlite3-wal", 0o644)
    connection = SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(db)})
    make_sqlite_private(connection=connection)
    assert (db.stat().st_mode & 0o777, (tmp_path / "db.sqlite3-wal").stat().st_mode & 0o777) == (0o600, 0o600)


def test_the_receiver_is_connected_and_leaves_other_databases_alone(tmp_path):
    from django.db.backends.signals import connection_created

    assert any(receiver[0][0] == "sandbox-private-sqlite" for receiver in connection_created.receivers)
    make_sqlite_private(connection=SimpleNamespace(vendor="postgresql", settings_dict={"NAME": "prep"}))
    make_sqlite_private(connection=SimpleNamespace(vendor="sqlite", settings_dict={"NAME": ":memory:"}))


def test_a_run_uid_cannot_read_the_database_once_it_is_private():
    if os.geteuid() != 0:
        pytest.skip("needs root to act as a run's uid")
    # A directory other uids may traverse (pytest's own tmp_path is 0700): only the file's mode may refuse.
    with tempfile.TemporaryDirectory(dir="/tmp") as folder:
        os.chmod(folder, 0o755)
        db = _sqlite_file(Path(folder) / "db.sqlite3")
        as_run = ["setpriv", f"--reuid={DEFAULT_UID_BASE}", f"--regid={DEFAULT_UID_BASE}", "--clear-groups"]
        before = subprocess.run([*as_run, "head", "-c", "6", str(db)], capture_output=True, text=True)
        assert before.stdout == "SQLite"  # the umask's 0644: readable by the run, as before the fix
        make_sqlite_private(connection=SimpleNamespace(vendor="sqlite", settings_dict={"NAME": str(db)}))
        after = subprocess.run([*as_run, "head", "-c", "6", str(db)], capture_output=True, text=True)
        assert after.returncode != 0 and "Permission denied" in after.stderr
