"""A uid of its own for each concurrent run, when the worker is root.

Why not one shared ``nobody``: the kernel counts RLIMIT_NPROC per uid, so runs
sharing a uid share one process budget (one run's fork bomb starves the next
visitor's), and a uid's leftovers — a process that escaped its process group, a key
in the uid's keyring, a file in a world-writable directory — would meet the next
run of the same uid. A small range of otherwise unused uids (``SANDBOX_UID_BASE``,
``SANDBOX_UID_COUNT`` slots) gives each concurrent run its own.

A slot is held with an exclusive ``flock`` on a lock file, so it is released when the
worker process exits, however it dies. The uids need no passwd entry.

Zombies count against RLIMIT_NPROC too, and a run's orphans are reparented to PID 1,
which in a container is often not an init that reaps them (the worker itself, or a
supervisor that never calls wait): the uid's budget would then shrink run after run.
So the worker makes itself a child subreaper, and after a run it reaps the run uid's
orphans itself.
"""

from __future__ import annotations

import ctypes
import fcntl
import os
import shutil
import signal
import subprocess
import tempfile
import time
from functools import lru_cache
from pathlib import Path

LOCK_DIR = Path(tempfile.gettempdir()) / "prep-sandbox-uids"


class NoFreeUid(RuntimeError):
    pass


class UidSlot:
    """Context manager: ``with UidSlot(base, count) as uid: ...`` holds ``uid`` for one run."""

    def __init__(self, base: int, count: int, wait_seconds: float = 5.0, sweep: bool = True):
        # sweep: kill and reap whatever still runs as the uid afterwards. Not needed under bubblewrap,
        # whose PID namespace takes every process of the run with it.
        self.base, self.count, self.wait_seconds, self.sweep = base, count, wait_seconds, sweep
        self.uid: int | None = None
        self._fd: int | None = None

    def __enter__(self) -> int:
        _become_subreaper()
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
                if _processes_of(self.base + offset):  # something still runs (or lingers) as this uid
                    os.close(fd)
                    continue
                self._fd, self.uid = fd, self.base + offset
                return self.uid
            if time.monotonic() > deadline:
                raise NoFreeUid(f"all {self.count} sandbox uids from {self.base} are in use")
            time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.uid is not None and self.sweep:
            kill_every_process_of(self.uid)
            _reap_orphans_of(self.uid)
            remove_files_of(self.uid)
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


# World-writable places a run without its own filesystem view could leave files for the next run of its uid.
SHARED_WRITABLE = ("/tmp", "/var/tmp", "/dev/shm")


def remove_files_of(uid: int, folders: tuple[str, ...] = SHARED_WRITABLE) -> None:
    """Delete what ``uid`` left at the top of the shared writable folders (the sticky bit keeps it theirs)."""
    for folder in folders:
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                if entry.stat(follow_symlinks=False).st_uid != uid:
                    continue
                if entry.is_dir(follow_symlinks=False):
                    shutil.rmtree(entry.path, ignore_errors=True)
                else:
                    os.unlink(entry.path)
            except OSError:
                continue


PR_SET_CHILD_SUBREAPER = 36


@lru_cache(maxsize=1)
def _become_subreaper() -> None:
    """Orphans of a run come to this process instead of PID 1, so that we can reap them."""
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)


def _processes_of(uid: int) -> list[int]:
    """Pids running as ``uid``. A /proc/<pid> directory belongs to the process's uid: one stat each, no parsing."""
    found = []
    for name in os.listdir("/proc"):
        if name.isdigit():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    found.append(int(name))
            except OSError:
                continue
    return found


def _parent_of(pid: int) -> str:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("PPid:"):
                return line.split()[1]
    except OSError:
        pass
    return ""


def _reap_orphans_of(uid: int, wait_seconds: float = 2.0) -> None:
    """Collect this uid's processes that were reparented to us, once the kill has landed."""
    deadline = time.monotonic() + wait_seconds
    me = str(os.getpid())
    while True:
        ours = [pid for pid in _processes_of(uid) if _parent_of(pid) == me]
        for pid in ours:
            try:
                os.waitpid(pid, os.WNOHANG)
            except ChildProcessError:
                pass
        if not ours or time.monotonic() > deadline:
            return
        time.sleep(0.02)
