"""Keep the SQLite database unreadable to any other uid, whatever the umask made it.

The code sandbox runs snippets as other uids (root workers) and, if bubblewrap
cannot start, without a filesystem view of its own (``rlimit-only``): then file
permissions are what keep a snippet out of the sessions and password hashes in
``var/db.sqlite3``. SQLite creates the file with the process umask (usually 0644),
so every new connection makes it 0600 again; the ``-wal``/``-shm`` files SQLite
adds take the database file's mode. (``var/`` itself is made 0700 in settings.)
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

PRIVATE = 0o600


def make_sqlite_private(sender: Any = None, connection: Any = None, **kwargs: Any) -> None:
    """``connection_created`` receiver: chmod the SQLite file (and its journals) to 0600 if we own it."""
    if connection is None or connection.vendor != "sqlite":
        return
    name = str(connection.settings_dict.get("NAME") or "")
    if not name or name == ":memory:" or name.startswith("file:"):
        return
    for path in (Path(name), Path(name + "-wal"), Path(name + "-shm")):
        try:
            info = path.stat()
        except OSError:
            continue
        if info.st_uid == os.getuid() and info.st_mode & 0o777 != PRIVATE:
            path.chmod(PRIVATE)
