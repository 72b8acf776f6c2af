"""A uid of its own for each concurrent run, when the worker is root.

Why not one shared ``nobody``: the kernel counts RLIMIT_NPROC per uid, so runs
sharing a uid share one process budget (one run's fork bomb starves the next
visitor's), and a uid's leftovers — a process that escaped its process group, a key
in the uid's keyring, a file in a world-writable directory — would meet the next
run of the same uid. A small range of otherwise unused uids (``SANDBOX_UID_BASE``,
``SANDBOX_UID_COUNT`` slots) gives each concurrent run its own.

A slot is held with an exclusive ``flock`` on a lock file, so it is released when the
worker process exits, however it dies. The uids need no passwd entry.
"""

from __future__ import annotations

import fcntl
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "prep-sandbox-uids"


class NoFreeUid(RuntimeError):
    pass


class UidSlot:
    """Context manager: ``with UidSlot(base, count) as uid: ...`` holds ``uid`` for one run."""

    def __init__(self, base: int, count: int, wait_seconds: float = 5.0):
        self.base, self.count, self.wait_seconds = base, count, wait_seconds
        self.uid: int | None = None
        self._fd: int | None = None

    def __enter__(self) -> int:
        LOCK_DIR.mkdir(mode=0o700, exist_ok=True)
        deadline = time.monotonic() + self.wait_seconds
        while True:
            for offset in range(self.count):
                fd = os.open(LOCK_DIR / f"{self.base + offset}.lock", os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    os.close(fd)
                    continue
                self._fd, self.uid = fd, self.base + offset
                return self.uid
            if time.monotonic() > deadline:
                raise NoFreeUid(f"all {self.count} sandbox uids from {self.base} are in use")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.uid is not None:
            kill_every_process_of(self.uid)
        if self._fd is not None:
            os.close(self._fd)  # releases the flock


def kill_every_process_of(uid: int) -> None:
    """SIGKILL everything running as ``uid`` (kill(-1) from a helper that becomes that uid).

    Catches what a process group kill misses: a child that called setsid() to leave it.
    """

    def become() -> None:
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
        os.kill(-1, signal.SIGKILL)  # every process this uid may signal, except the caller
        os._exit(0)

    try:
        subprocess.run(["/bin/true"], preexec_fn=become, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        pass
