"""Running a visitor's Python snippet in a contained child process.

Two interchangeable backends share one base class (the shape of Django's session
backends): ``BubblewrapSandbox`` builds a tiny root filesystem with bubblewrap —
no network, read-only system directories, a private size-capped /tmp, and none
of the site's settings, database or secrets (they are simply not mounted) — and
``RlimitSandbox`` is the fallback when bubblewrap cannot start: resource limits
and an unprivileged uid only, recorded as ``rlimit-only`` on the run.

Both apply the same rlimits (CPU seconds, address space, file size, process
count) and the same wall-clock timeout and output cap, enforced by the parent,
which stream-reads the child's output and kills the whole process group as soon
as a limit is crossed.

Why the uid switch matters: the worker usually runs as root in containers, and
the kernel does not apply RLIMIT_NPROC to root — nor to a uid that a user
namespace maps back to root. So when we are root, bubblewrap runs without a user
namespace and ``setpriv`` drops the child to ``nobody`` (a real unprivileged uid)
right before Python starts; the fork-bomb test checks that this holds.
"""

from __future__ import annotations

import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from functools import lru_cache
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]
NOBODY = 65534
MB = 1024 * 1024


class SandboxUnavailable(RuntimeError):
    """No backend can start on this machine; code runs are refused with this message."""


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = 4096 * MB  # address space: importing torch alone maps ~1 GB
    output_bytes: int = 64 * 1024
    file_bytes: int = 16 * MB
    processes: int = 64  # threads count too, and torch starts one per core
    tmp_bytes: int = 64 * MB

    @classmethod
    def from_settings(cls) -> Limits:
        from django.conf import settings

        return cls(
            wall_seconds=float(settings.SANDBOX_CODE_TIMEOUT),
            cpu_seconds=settings.SANDBOX_CODE_CPU_SECONDS,
            memory_bytes=settings.SANDBOX_CODE_MEMORY_MB * MB,
            output_bytes=settings.SANDBOX_CODE_OUTPUT_BYTES,
        )

    def describe(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class Outcome:
    exit_code: int | None
    output: str
    output_truncated: bool
    timed_out: bool
    cancelled: bool
    duration_s: float
    mode: str
    reason: str  # a sentence for the visitor when the sandbox stopped the program, else ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not (self.timed_out or self.cancelled or self.output_truncated)


def _apply_rlimits(limits: Limits) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_NPROC, (limits.processes, limits.processes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_env(home: str) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        "PYTHONPATH": str(REPO_ROOT),  # `import engine` works; nothing else of the repo is visible
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
        # Two cores shared by the site and its workers: one thread each keeps runs from starving them.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


class Sandbox:
    """Base class: subclasses say how to start the child; this class enforces the limits."""

    mode = "base"

    @classmethod
    def available(cls) -> bool:
        raise NotImplementedError

    def _argv(self, workdir: str) -> list[str]:
        raise NotImplementedError

    def _preexec(self, limits: Limits) -> Callable[[], None]:
        raise NotImplementedError

    def run(self, code: str, limits: Limits, should_stop: Callable[[], bool] | None = None) -> Outcome:
        """Run ``code`` with ``python -`` (the program arrives on stdin) and collect its output."""
        workdir = tempfile.mkdtemp(prefix="sandbox-")
        try:
            if os.geteuid() == 0:
                os.chown(workdir, NOBODY, NOBODY)
            return self._run_in(workdir, code, limits, should_stop or (lambda: False))
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _run_in(self, workdir: str, code: str, limits: Limits, should_stop: Callable[[], bool]) -> Outcome:
        started = time.monotonic()
        proc = subprocess.Popen(
            self._argv(workdir),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,  # one stream, in the order the program wrote it
            cwd=workdir,
            env=_child_env(workdir),
            preexec_fn=self._preexec(limits),
            start_new_session=True,  # its own process group, so one killpg stops everything it started
            close_fds=True,
        )
        try:
            proc.stdin.write(code.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            output, truncated, timed_out, cancelled = self._collect(proc, started, limits, should_stop)
        finally:  # also when the worker's own time limit interrupts us: never leave the child behind
            _kill_group(proc)
        exit_code = proc.wait()
        duration = time.monotonic() - started
        text = output.decode("utf-8", errors="replace")
        return Outcome(
            exit_code=exit_code,
            output=text,
            output_truncated=truncated,
            timed_out=timed_out,
            cancelled=cancelled,
            duration_s=round(duration, 3),
            mode=self.mode,
            reason=_reason(exit_code, text, truncated, timed_out, cancelled, limits),
        )

    @staticmethod
    def _collect(
        proc: subprocess.Popen, started: float, limits: Limits, should_stop: Callable[[], bool]
    ) -> tuple[bytes, bool, bool, bool]:
        """Read until EOF, killing the child at the first limit it crosses."""
        chunks: list[bytes] = []
        size = 0
        fd = proc.stdout.fileno()
        os.set_blocking(fd, False)
        with selectors.DefaultSelector() as selector:
            selector.register(fd, selectors.EVENT_READ)
            while True:
                if time.monotonic() - started > limits.wall_seconds:
                    return b"".join(chunks), False, True, False
                if should_stop():
                    return b"".join(chunks), False, False, True
                if not selector.select(timeout=0.05):
                    continue
                try:
                    data = os.read(fd, 65536)
                except BlockingIOError:
                    continue
                if not data:
                    return b"".join(chunks), False, False, False
                room = limits.output_bytes - size
                if len(data) > room:
                    chunks.append(data[:room])
                    return b"".join(chunks), True, False, False
                chunks.append(data)
                size += len(data)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.stdout:
        proc.stdout.close()


def _reason(
    exit_code: int | None, output: str, truncated: bool, timed_out: bool, cancelled: bool, limits: Limits
) -> str:
    if truncated:
        return f"Stopped: the program printed more than {limits.output_bytes // 1024} KB of output."
    if timed_out:
        return f"Stopped: the program ran longer than the {limits.wall_seconds:g} s wall-clock limit."
    if cancelled:
        return "Stopped: the run was cancelled."
    signo = (
        -exit_code
        if exit_code is not None and exit_code < 0
        else (exit_code - 128 if exit_code and exit_code > 128 else 0)
    )
    if signo in (signal.SIGXCPU, signal.SIGKILL) and exit_code != 0:
        return f"Stopped: the program used more than its {limits.cpu_seconds} s of CPU time (or was killed)."
    if "MemoryError" in output[-2000:]:
        return f"The program ran out of memory (limit {limits.memory_bytes // MB} MB of address space)."
    if signo:
        return f"The program was killed by signal {signal.Signals(signo).name}."
    return ""


class BubblewrapSandbox(Sandbox):
    """bubblewrap: a new root with only the interpreter, the venv and ``engine/``; no network."""

    mode = "bubblewrap"

    @classmethod
    @lru_cache(maxsize=1)
    def available(cls) -> bool:
        """Can bubblewrap start here (installed, namespaces allowed)? Checked once per process."""
        if not shutil.which("bwrap") or (os.geteuid() == 0 and not shutil.which("setpriv")):
            return False
        try:
            probe = subprocess.run(
                cls()._argv(tempfile.gettempdir(), program=["/usr/bin/true"]),
                stdin=subprocess.DEVNULL,
                capture_output=True,
                timeout=10,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return probe.returncode == 0

    def _mounts(self) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for name in ("bin", "lib", "lib64", "sbin", "lib32"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        # The interpreter, the venv (torch, triton, the bundled model) and the engine's source.
        binds = [sys.base_prefix, sys.prefix, str(REPO_ROOT / "engine")]
        weights = Path(os.environ.get("ENGINE_DATA_DIR") or REPO_ROOT / "var" / "engine")
        if weights.is_dir():  # the dequantised weight cache, read-only, so snippets can load the model fast
            binds.append(str(weights))
        made: set[str] = set()
        for path in dict.fromkeys(binds):
            if path.startswith("/usr/"):
                continue
            # Parents bwrap would create itself come out 0700, which nobody cannot traverse.
            for parent in reversed(Path(path).parents[:-1]):
                if str(parent) not in made:
                    made.add(str(parent))
                    args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", path, path]
        if weights.is_dir():
            args += ["--setenv", "ENGINE_DATA_DIR", str(weights)]
        return args

    def _argv(self, workdir: str, program: list[str] | None = None) -> list[str]:
        if os.geteuid() == 0:
            # No user namespace (it would map the child back to root); setpriv drops to nobody instead.
            isolation = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
            isolation += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
            drop = [
                "/usr/bin/setpriv",
                f"--reuid={NOBODY}",
                f"--regid={NOBODY}",
                "--clear-groups",
                "--no-new-privs",
                "--bounding-set=-all",
                "--inh-caps=-all",
            ]
        else:
            isolation, drop = ["--unshare-all"], []
        env: list[str] = ["--clearenv"]
        for key, value in _child_env("/tmp").items():
            env += ["--setenv", key, value]
        return [
            "bwrap", *isolation, "--die-with-parent", "--new-session", "--hostname", "sandbox",
            # The private /tmp comes first: a checkout or venv that lives under /tmp is bound on top of it.
            "--perms", "01777", "--size", str(Limits.tmp_bytes), "--tmpfs", "/tmp",
            *self._mounts(),
            "--proc", "/proc", "--dev", "/dev",
            "--chdir", "/tmp", *env,
            *drop, *(program or [sys.executable, "-u", "-"]),
        ]  # fmt: skip

    def _preexec(self, limits: Limits) -> Callable[[], None]:
        return lambda: _apply_rlimits(limits)


class RlimitSandbox(Sandbox):
    """Fallback: same limits, an unprivileged uid, a private working directory; no filesystem or network isolation."""

    mode = "rlimit-only"

    @classmethod
    @lru_cache(maxsize=1)
    def available(cls) -> bool:
        """As root we must be able to drop to nobody and still start the interpreter."""
        try:
            probe = subprocess.run(
                [sys.executable, "-c", "pass"],
                preexec_fn=cls._drop_privileges,
                capture_output=True,
                timeout=20,
                cwd="/",
            )
        except (OSError, subprocess.SubprocessError):
            return False
        return probe.returncode == 0

    @staticmethod
    def _drop_privileges() -> None:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(NOBODY)
            os.setuid(NOBODY)

    def _argv(self, workdir: str) -> list[str]:
        return [sys.executable, "-u", "-s", "-"]

    def _preexec(self, limits: Limits) -> Callable[[], None]:
        def prepare() -> None:
            _apply_rlimits(limits)
            self._drop_privileges()

        return prepare


BACKENDS: dict[str, type[Sandbox]] = {"bubblewrap": BubblewrapSandbox, "rlimit": RlimitSandbox}


def get_sandbox(preference: str = "auto") -> Sandbox:
    """The backend named by SANDBOX_BACKEND; ``auto`` prefers bubblewrap and falls back to rlimits."""
    if preference not in ("auto", *BACKENDS):
        raise ValueError(f"SANDBOX_BACKEND must be auto, bubblewrap or rlimit, not {preference!r}")
    names = ["bubblewrap", "rlimit"] if preference == "auto" else [preference]
    for name in names:
        backend = BACKENDS[name]
        if backend.available():
            return backend()
    raise SandboxUnavailable(
        "Code runs are unavailable on this worker: bubblewrap cannot start and the interpreter cannot run "
        "as an unprivileged user. Install bubblewrap (apt-get install bubblewrap)."
    )
