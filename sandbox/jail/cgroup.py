"""A cgroup v2 of its own for each run: memory and process count limited for the run as a whole.

Rlimits are per process: RLIMIT_AS × RLIMIT_NPROC is the real memory budget
(4 GB × 64), and tmpfs pages are in no process's address space at all. A cgroup
counts every page the run's processes and files use (``memory.max``, swap off with
``memory.swap.max``) and every task it starts (``pids.max``), whoever its uid is.

It needs a *delegated* cgroup: a directory in the cgroup v2 tree that this worker
may write, with the ``memory`` and ``pids`` controllers available to its children.
``SANDBOX_CGROUP`` names one (e.g. a systemd unit with ``Delegate=yes``, or a
directory the container's entrypoint prepared); without it we try the worker's own
cgroup. When neither works the runner falls back to rlimits and says so in the
run's environment. Nothing here imports Django: the parent is passed in.
"""

from __future__ import annotations

import os
import time
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

CONTROLLERS = ("memory", "pids")


def _cgroup2_mount() -> Path | None:
    try:
        for line in Path("/proc/self/mountinfo").read_text().splitlines():
            fields = line.split(" - ")
            if len(fields) == 2 and fields[1].split()[0] == "cgroup2":
                return Path(fields[0].split()[4])
    except OSError:
        pass
    return None


def _own_cgroup() -> Path | None:
    mount = _cgroup2_mount()
    if mount is None:
        return None
    try:
        for line in Path("/proc/self/cgroup").read_text().splitlines():
            if line.startswith("0::"):
                return mount / line[3:].lstrip("/")
    except OSError:
        pass
    return None


def usable_parent(path: Path) -> bool:
    """True when children of ``path`` can get memory and pids limits, enabling them if needed."""
    try:
        available = (path / "cgroup.controllers").read_text().split()
        if not all(name in available for name in CONTROLLERS) or not os.access(path, os.W_OK):
            return False
        enabled = (path / "cgroup.subtree_control").read_text().split()
        missing = [name for name in CONTROLLERS if name not in enabled]
        if missing:
            # Fails with EBUSY while this cgroup itself holds processes ("no internal processes"):
            # then it was not delegated for this, and we fall back.
            (path / "cgroup.subtree_control").write_text(" ".join(f"+{name}" for name in missing))
        return True
    except OSError:
        return False


@lru_cache(maxsize=4)
def find_parent(configured: str = "") -> Path | None:
    """The delegated parent for per-run cgroups, or None. Checked once per process."""
    candidate = Path(configured) if configured else _own_cgroup()
    if candidate is None or not candidate.is_dir():
        return None
    return candidate if usable_parent(candidate) else None


@dataclass
class RunCgroup:
    """One run's cgroup: created with its limits, joined by the child before exec, killed and removed after."""

    path: Path
    memory_bytes: int
    processes: int

    @classmethod
    def create(cls, parent: Path, memory_bytes: int, processes: int) -> RunCgroup:
        path = parent / f"sandbox-{uuid.uuid4().hex[:12]}"
        path.mkdir()
        group = cls(path, memory_bytes, processes)
        group._write("memory.max", str(memory_bytes))
        group._write("memory.swap.max", "0", optional=True)  # swap would stretch the limit and slow the host
        group._write("pids.max", str(processes))
        return group

    def _write(self, name: str, value: str, optional: bool = False) -> None:
        try:
            (self.path / name).write_text(value)
        except FileNotFoundError:
            if not optional:
                raise

    def join(self) -> None:
        """Called in the child between fork and exec: "0" means the writing process."""
        fd = os.open(self.path / "cgroup.procs", os.O_WRONLY)
        try:
            os.write(fd, b"0")
        finally:
            os.close(fd)

    def oom_killed(self) -> bool:
        try:
            for line in (self.path / "memory.events").read_text().splitlines():
                name, _, count = line.partition(" ")
                if name == "oom_kill" and int(count) > 0:
                    return True
        except (OSError, ValueError):
            pass
        return False

    def destroy(self) -> None:
        """Kill whatever is left (a process that left the process group too) and remove the group."""
        if (self.path / "cgroup.kill").exists():
            self._write("cgroup.kill", "1", optional=True)
        else:  # kernels before 5.14
            for pid in (self.path / "cgroup.procs").read_text().split():
                try:
                    os.kill(int(pid), 9)
                except ProcessLookupError:
                    pass
        for _ in range(50):  # the kernel removes dying tasks asynchronously
            try:
                self.path.rmdir()
                return
            except FileNotFoundError:
                return
            except OSError:
                time.sleep(0.02)
