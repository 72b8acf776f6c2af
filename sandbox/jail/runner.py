"""Running a visitor's Python snippet in a contained child process.

Two interchangeable backends share one base class (the shape of Django's session
backends): ``BubblewrapSandbox`` builds a tiny root filesystem with bubblewrap —
no network, read-only system directories, a private size-capped /tmp, and none
of the site's settings, database or secrets (they are simply not mounted) — and
``RlimitSandbox`` is the fallback when bubblewrap cannot start: resource limits,
the seccomp filter and an unprivileged uid only, recorded as ``rlimit-only``.

Layers every run gets (``sandbox/README.md`` has the threat model):

* the seccomp filter of ``seccomp.py`` (no new namespaces, mounts, io_uring, bpf,
  keyrings, perf, ptrace);
* a per-run cgroup (``memory.max``, ``pids.max``) when the worker has a delegated
  cgroup v2, else rlimits only — what was used is recorded in ``Outcome.confinement``;
* rlimits for CPU seconds, address space, file size and process count;
* a uid of its own: as root each concurrent run gets one from a small range
  (``uids.py``); as a non-root worker bubblewrap gives it a user namespace of its
  own, and RLIMIT_NPROC is set *inside* that namespace, where the kernel counts
  only the run's own tasks (set outside, it would count every thread of the
  worker's uid: a worker with 70 threads could then start no run at all);
* a wall-clock timeout and an output cap enforced by the parent, which stream-reads
  the child's output and kills the whole process group at the first limit crossed.

A run may also get an ``Exchange`` (graded exercises use it): input files the child can
read but not change (``./input/``), a result pipe whose write end the child finds in
``SANDBOX_RESULT_FD`` (read by the parent under its own size cap, so a run cannot fill a
disk with what it returns), and ``engine=False``, which leaves the engine's source unmounted
and off ``PYTHONPATH``: an exercise submission must not find the implementation it is graded against.

Why root needs the uid switch: the kernel applies RLIMIT_NPROC neither to root nor
to a uid that a user namespace maps back to root. So as root bubblewrap runs without
a user namespace and ``setpriv`` drops the child to its run's uid right before Python
starts; the fork-bomb test checks that this holds.
"""

from __future__ import annotations

import logging
import os
import resource
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import ExitStack
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from sandbox.jail import seccomp
from sandbox.jail.cgroup import RunCgroup, find_parent
from sandbox.jail.uids import NoFreeUid, UidSlot

log = logging.getLogger(__name__)

REPO_ROOT = Path(__file__).resolve().parents[2]
MB = 1024 * 1024
# Root workers give each concurrent run a uid from here (no passwd entry needed); see uids.py.
DEFAULT_UID_BASE = 1_900_000
DEFAULT_UID_COUNT = 32


INPUT_DIR = "input"  # the exchange's input files, relative to the child's working directory


class SandboxUnavailable(RuntimeError):
    """No backend can start on this machine; code runs are refused with this message."""


@dataclass(frozen=True)
class Limits:
    wall_seconds: float = 30.0
    cpu_seconds: int = 30
    memory_bytes: int = 4096 * MB  # per run with a cgroup; else address space per process (torch maps ~1 GB)
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
            processes=settings.SANDBOX_CODE_PROCESSES,
        )

    def describe(self) -> dict[str, float | int]:
        return asdict(self)


@dataclass(frozen=True)
class Jail:
    """Where this worker's runs get their uids and cgroups (from settings; plain values so tests can pass their own)."""

    uid_base: int = DEFAULT_UID_BASE
    uid_count: int = DEFAULT_UID_COUNT
    cgroup_parent: str = ""  # a delegated cgroup v2 directory; "" tries the worker's own cgroup
    uid_wait_seconds: float = 5.0  # how long a run waits for a free uid before it is refused

    @classmethod
    def from_settings(cls) -> Jail:
        from django.conf import settings

        return cls(settings.SANDBOX_UID_BASE, settings.SANDBOX_UID_COUNT, settings.SANDBOX_CGROUP)


@dataclass(frozen=True)
class Exchange:
    """What a run gets beyond its code: input files in, one result stream out, with or without the engine."""

    files: Mapping[str, bytes] = field(default_factory=dict)  # plain names; the child reads them from ./input/
    result_bytes: int = 0  # cap on what the child may send back on SANDBOX_RESULT_FD; 0: no result pipe
    engine: bool = True  # False: the engine's source is neither mounted nor importable
    # Called with each piece of the child's output as it arrives (decoded; a split character waits for its rest).
    on_output: Callable[[str], None] | None = None

    def __post_init__(self) -> None:
        for name in self.files:
            if not name or "/" in name or name.startswith("."):
                raise ValueError(f"exchange file names must be plain names, got {name!r}")


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
    confinement: dict[str, str] = field(default_factory=dict)  # which mechanism enforced what, for the run's record
    result: bytes = b""  # what the child wrote to its result pipe (an Exchange with result_bytes), up to the cap
    result_truncated: bool = False  # the child tried to send more than result_bytes: killed, result cut

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not (self.timed_out or self.cancelled or self.output_truncated)


def _apply_rlimits(limits: Limits, nproc: int | None) -> None:
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 1))
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_bytes, limits.memory_bytes))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_bytes, limits.file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if nproc is not None:
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc, nproc))


def proc_statuses(uid: int) -> Iterator[tuple[int, dict[str, str]]]:
    """``(pid, /proc/<pid>/status fields)`` of each process whose real uid is ``uid`` (no procps needed).

    A process that exits while /proc is walked is skipped, not an error.
    """
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                status = (entry / "status").read_text()
            except OSError:
                continue
            fields = {key: value.strip() for key, value in (line.split(":", 1) for line in status.splitlines() if ":" in line)}
            if fields.get("Uid", "").split()[:1] == [str(uid)]:
                yield int(entry.name), fields


def _tasks_of_uid(uid: int) -> int:
    """Threads running under ``uid`` now: what RLIMIT_NPROC would count besides the run."""
    return sum(int(fields.get("Threads") or 1) for _, fields in proc_statuses(uid))


def _child_env(home: str, engine: bool = True) -> dict[str, str]:
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "TMPDIR": home,
        # `import engine` works; nothing else of the repo is visible (an exercise run gets not even that).
        **({"PYTHONPATH": str(REPO_ROOT)} if engine else {}),
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "PYTHONIOENCODING": "utf-8",
        "LANG": "C.UTF-8",
        # Two cores shared by the site and its workers: one thread each keeps runs from starving them.
        "OMP_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
    }


def _weights_dir() -> str:
    """The engine's weight cache if there is one ("" otherwise): bound read-only and announced to the run."""
    weights = Path(os.environ.get("ENGINE_DATA_DIR") or REPO_ROOT / "var" / "engine")
    return str(weights) if weights.is_dir() else ""


@dataclass
class _Confinement:
    """What one run is held by, decided before it starts."""

    uid: int | None  # the run's own uid (root workers), else None: the worker's uid
    group: RunCgroup | None
    seccomp_program: bytes

    def describe(self, limits: Limits, mode: str) -> dict[str, str]:
        mb = limits.memory_bytes // MB
        if self.group:
            memory = f"cgroup memory.max {mb} MB for the whole run (and {mb} MB address space per process)"
            processes = f"cgroup pids.max {limits.processes} for the whole run"
        else:
            memory = f"rlimit only: {mb} MB address space per process (no cgroup delegated to this worker)"
            processes = f"RLIMIT_NPROC {limits.processes}"
        if self.uid is not None:
            who = f"uid {self.uid}, this run's own"
        elif mode == "bubblewrap":
            who = "the worker's uid in a user namespace of the run's own"
        else:
            who = "the worker's own uid (no uid switch without root)"
        return {"memory": memory, "processes": processes, "uid": who, "seccomp": "on"}


@dataclass(frozen=True)
class Probe:
    """Whether a backend can start here, and if not what the attempt said (for the page and the logs)."""

    ok: bool
    detail: str = ""


class Sandbox:
    """Base class: subclasses say how to start the child; this class enforces the limits."""

    mode = "base"
    pid_namespace = False  # True: every process of a run dies with it, nothing to sweep up afterwards

    def __init__(self, jail: Jail | None = None):
        self.jail = jail or Jail()

    @classmethod
    def available(cls) -> bool:
        return cls.probe().ok

    @classmethod
    def probe(cls) -> Probe:
        raise NotImplementedError

    def _argv(
        self,
        workdir: str,
        limits: Limits,
        uid: int | None,
        seccomp_fd: int,
        exchange: Exchange | None = None,
        extra_env: Mapping[str, str] | None = None,
    ) -> list[str]:
        raise NotImplementedError

    def _preexec(self, limits: Limits, confinement: _Confinement) -> Callable[[], None]:
        raise NotImplementedError

    def run(
        self, code: str, limits: Limits, should_stop: Callable[[], bool] | None = None, exchange: Exchange | None = None
    ) -> Outcome:
        """Run ``code`` with ``python -`` (the program arrives on stdin) and collect its output."""
        exchange = exchange or Exchange()
        with ExitStack() as stack:
            workdir = tempfile.mkdtemp(prefix="sandbox-")
            stack.callback(shutil.rmtree, workdir, ignore_errors=True)  # last: after the uid's processes are gone
            uid = None
            if os.geteuid() == 0:
                try:
                    slot = UidSlot(self.jail.uid_base, self.jail.uid_count, self.jail.uid_wait_seconds, sweep=not self.pid_namespace)
                    uid = stack.enter_context(slot)
                except NoFreeUid:
                    raise SandboxUnavailable(
                        f"Every one of this worker's {self.jail.uid_count} sandbox slots is busy; "
                        "try again in a moment (or raise SANDBOX_UID_COUNT)."
                    ) from None
                os.chown(workdir, uid, uid)
            _write_inputs(workdir, exchange.files)
            group = self._cgroup(limits)
            if group is not None:
                stack.callback(group.destroy)
            try:
                confinement = _Confinement(uid, group, seccomp.filter_bpf())
            except seccomp.SeccompUnavailable as exc:  # never run without the filter
                raise SandboxUnavailable(f"Code runs are unavailable on this worker: {exc}") from None
            return self._run_in(workdir, code, limits, should_stop or (lambda: False), confinement, exchange)
        raise AssertionError("unreachable")  # pragma: no cover  (ExitStack does not swallow exceptions)

    def _cgroup(self, limits: Limits) -> RunCgroup | None:
        """This run's cgroup, or None (rlimits only, recorded) when none is delegated or creating it fails."""
        parent = find_parent(self.jail.cgroup_parent)
        if parent is None:
            return None
        try:
            return RunCgroup.create(parent, limits.memory_bytes, limits.processes)
        except OSError:
            log.warning("could not create a cgroup under %s; this run has rlimits only", parent, exc_info=True)
            return None

    def _run_in(
        self,
        workdir: str,
        code: str,
        limits: Limits,
        should_stop: Callable[[], bool],
        confinement: _Confinement,
        exchange: Exchange,
    ) -> Outcome:
        started = time.monotonic()
        seccomp_fd = seccomp.filter_fd()
        result_read, result_write = os.pipe() if exchange.result_bytes else (None, None)
        result_env = {"SANDBOX_RESULT_FD": str(result_write)} if result_write is not None else {}
        try:
            proc = subprocess.Popen(
                self._argv(workdir, limits, confinement.uid, seccomp_fd, exchange, extra_env=result_env),
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,  # one stream, in the order the program wrote it
                cwd=workdir,
                env={**_child_env(workdir, exchange.engine), **result_env},
                preexec_fn=self._preexec(limits, confinement),
                start_new_session=True,  # its own process group, so one killpg stops everything it started
                close_fds=True,
                pass_fds=tuple(fd for fd in (seccomp_fd if self.mode == "bubblewrap" else None, result_write) if fd is not None),
            )
        except BaseException:
            if result_read is not None:
                os.close(result_read)
            raise
        finally:
            os.close(seccomp_fd)
            if result_write is not None:
                os.close(result_write)  # the child holds the only write end: EOF on it means the child is done
        try:
            proc.stdin.write(code.encode())
            proc.stdin.close()
        except BrokenPipeError:
            pass
        collected = _Collected(limits.output_bytes, exchange.result_bytes, exchange.on_output)
        try:
            truncated, timed_out, cancelled = self._collect(proc, started, limits, should_stop, collected, result_read)
        finally:  # also when the worker's own time limit interrupts us: never leave the child behind
            _kill_group(proc)
            if result_read is not None:
                os.close(result_read)
        output = b"".join(collected.output)
        exit_code = proc.wait()
        duration = time.monotonic() - started
        text = output.decode("utf-8", errors="replace")
        out_of_memory = confinement.group is not None and confinement.group.oom_killed()
        return Outcome(
            exit_code=exit_code,
            output=text,
            output_truncated=truncated,
            timed_out=timed_out,
            cancelled=cancelled,
            duration_s=round(duration, 3),
            mode=self.mode,
            reason=(f"Stopped: the program sent back more than {exchange.result_bytes / MB:g} MB of results."
                    if collected.result_truncated  # we killed it for that: not the signal's usual meaning
                    else _reason(exit_code, text, truncated, timed_out, cancelled, out_of_memory, limits)),
            confinement=confinement.describe(limits, self.mode),
            result=b"".join(collected.result),
            result_truncated=collected.result_truncated,
        )

    @staticmethod
    def _collect(
        proc: subprocess.Popen,
        started: float,
        limits: Limits,
        should_stop: Callable[[], bool],
        collected: _Collected,
        result_fd: int | None = None,
    ) -> tuple[bool, bool, bool]:
        """Read output (and the result pipe) until EOF, killing the child at the first limit it crosses.

        Returns (output truncated, timed out, cancelled); what was read is in ``collected``.
        """
        out_fd = proc.stdout.fileno()
        open_fds = {out_fd} | ({result_fd} if result_fd is not None else set())
        with selectors.DefaultSelector() as selector:
            for fd in open_fds:
                os.set_blocking(fd, False)
                selector.register(fd, selectors.EVENT_READ)
            # The output's EOF ends the run (as before the result pipe existed); the result pipe is then
            # drained of what is already written, since the child has exited or closed its stdout.
            while out_fd in open_fds:
                if time.monotonic() - started > limits.wall_seconds:
                    return False, True, False
                if should_stop():
                    return False, False, True
                for key, _ in selector.select(timeout=0.05):
                    try:
                        data = os.read(key.fd, 65536)
                    except BlockingIOError:
                        continue
                    if not data:
                        selector.unregister(key.fd)
                        open_fds.discard(key.fd)
                    elif key.fd == out_fd and not collected.add_output(data):
                        return True, False, False
                    elif key.fd != out_fd and not collected.add_result(data):
                        return False, False, False
            if result_fd in open_fds:
                _drain(result_fd, collected, deadline=started + limits.wall_seconds)
        return False, False, False


@dataclass
class _Collected:
    """What a run sent back, each stream under its own cap."""

    output_cap: int
    result_cap: int
    on_output: Callable[[str], None] | None = None
    output: list[bytes] = field(default_factory=list)
    result: list[bytes] = field(default_factory=list)
    output_size: int = 0
    result_size: int = 0
    result_truncated: bool = False
    _pending: bytes = b""  # the start of a UTF-8 character split across reads, for on_output

    def add_output(self, data: bytes) -> bool:
        """Keep ``data`` (up to the cap); False when the cap is crossed."""
        room = self.output_cap - self.output_size
        kept = data[:room]
        self.output.append(kept)
        self.output_size += len(kept)
        self._stream(kept)
        return len(data) <= room

    def add_result(self, data: bytes) -> bool:
        room = self.result_cap - self.result_size
        if len(data) > room:
            self.result_truncated = True
            return False
        self.result.append(data)
        self.result_size += len(data)
        return True

    def _stream(self, data: bytes) -> None:
        if self.on_output is None or not data:
            return
        data, self._pending = self._pending + data, b""
        cut = len(data)
        # Hold back an incomplete trailing UTF-8 sequence (at most 3 bytes) until its rest arrives.
        for back in range(1, min(4, len(data)) + 1):
            byte = data[-back]
            if byte & 0xC0 != 0x80:  # the lead byte of the last character
                needed = 1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
                if needed > back:
                    cut = len(data) - back
                break
        data, self._pending = data[:cut], data[cut:]
        if data:
            try:
                self.on_output(data.decode("utf-8", errors="replace"))
            except Exception:  # a listener's failure (a closed page) must not stop the run
                log.warning("on_output listener failed", exc_info=True)


def _drain(fd: int, collected: _Collected, deadline: float) -> None:
    """Read what is left in the result pipe after the child's output closed (bounded by the run's deadline)."""
    with selectors.DefaultSelector() as selector:
        selector.register(fd, selectors.EVENT_READ)
        while time.monotonic() < deadline:
            if not selector.select(timeout=0.05):
                continue
            try:
                data = os.read(fd, 65536)
            except BlockingIOError:
                continue
            if not data or not collected.add_result(data):
                return


def _write_inputs(workdir: str, files: Mapping[str, bytes]) -> None:
    """The exchange's input files, readable by the run's uid and writable by nobody but the worker."""
    if not files:
        return
    folder = Path(workdir) / INPUT_DIR
    folder.mkdir()
    for name, content in files.items():
        (folder / name).write_bytes(content)
        (folder / name).chmod(0o444)
    folder.chmod(0o555)


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    if proc.stdout:
        proc.stdout.close()


def _reason(
    exit_code: int | None,
    output: str,
    truncated: bool,
    timed_out: bool,
    cancelled: bool,
    out_of_memory: bool,
    limits: Limits,
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
    if out_of_memory:
        return f"The program ran out of memory (limit {limits.memory_bytes // MB} MB for the whole run)."
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
    pid_namespace = True

    @classmethod
    @lru_cache(maxsize=1)
    def probe(cls) -> Probe:
        """Can bubblewrap start here (installed, namespaces allowed, filter loadable)? Checked once per process."""
        if not shutil.which("bwrap"):
            return Probe(False, "bwrap is not installed")
        if os.geteuid() == 0 and not shutil.which("setpriv"):
            return Probe(False, "setpriv (util-linux) is not installed")
        try:
            fd = seccomp.filter_fd()
        except (seccomp.SeccompUnavailable, OSError) as exc:
            return Probe(False, str(exc))
        try:
            uid = DEFAULT_UID_BASE if os.geteuid() == 0 else None
            argv = cls()._argv(tempfile.gettempdir(), Limits(), uid, fd, program=["/usr/bin/true"])
            probe = subprocess.run(argv, stdin=subprocess.DEVNULL, capture_output=True, timeout=10, pass_fds=(fd,))
        except (OSError, subprocess.TimeoutExpired) as exc:
            return Probe(False, str(exc))
        finally:
            os.close(fd)
        return Probe(probe.returncode == 0, probe.stderr.decode(errors="replace").strip()[:300])

    def _mounts(self, engine: bool = True) -> list[str]:
        args = ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]
        for name in ("bin", "lib", "lib64", "sbin", "lib32"):
            path = Path("/") / name
            if path.is_symlink():
                args += ["--symlink", os.readlink(path), str(path)]
            elif path.is_dir():
                args += ["--ro-bind", str(path), str(path)]
        # The interpreter, the venv (torch, triton, the bundled model) and the engine's source.
        binds = [sys.base_prefix, sys.prefix, *([str(REPO_ROOT / "engine")] if engine else [])]
        weights = _weights_dir()
        if weights:  # the dequantised weight cache, read-only, so snippets can load the model fast
            binds.append(weights)
        made: set[str] = set()
        for path in dict.fromkeys(binds):
            if path.startswith("/usr/"):
                continue
            # Parents bwrap would create itself come out 0700, which the run's uid cannot traverse.
            for parent in reversed(Path(path).parents[:-1]):
                if str(parent) not in made:
                    made.add(str(parent))
                    args += ["--perms", "0755", "--dir", str(parent)]
            args += ["--ro-bind", path, path]
        return args

    def _argv(
        self,
        workdir: str,
        limits: Limits,
        uid: int | None,
        seccomp_fd: int,
        exchange: Exchange | None = None,
        extra_env: Mapping[str, str] | None = None,
        program: list[str] | None = None,
    ) -> list[str]:
        exchange = exchange or Exchange()
        if uid is not None:
            # Root: no user namespace (it would map the child back to root); setpriv drops to the run's uid instead.
            isolation = ["--unshare-net", "--unshare-pid", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
            isolation += ["--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
            drop = [
                "/usr/bin/setpriv",
                f"--reuid={uid}",
                f"--regid={uid}",
                "--clear-groups",
                "--no-new-privs",
                "--bounding-set=-all",
                "--inh-caps=-all",
            ]
        else:
            isolation, drop = ["--unshare-all"], []
        # Set inside the new namespaces: a user namespace counts only its own tasks against it (see the docstring).
        nproc = ["/usr/bin/prlimit", f"--nproc={limits.processes}:{limits.processes}", "--"]
        env: list[str] = ["--clearenv"]  # bwrap applies these in order: every --setenv must come after it
        child_env = {**_child_env("/tmp", exchange.engine), **(extra_env or {})}
        if _weights_dir():
            child_env["ENGINE_DATA_DIR"] = _weights_dir()
        for key, value in child_env.items():
            env += ["--setenv", key, value]
        return [
            "bwrap", *isolation, "--die-with-parent", "--new-session", "--hostname", "sandbox",
            # The private /tmp comes first: a checkout or venv that lives under /tmp is bound on top of it.
            "--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
            *self._mounts(exchange.engine),
            # The exchange's input files, read-only, at ./input (the working directory is /tmp).
            *(["--ro-bind", str(Path(workdir) / INPUT_DIR), f"/tmp/{INPUT_DIR}"] if exchange.files else []),
            "--proc", "/proc", "--dev", "/dev",
            # /dev is a tmpfs the run's uid owns in a user namespace: cap /dev/shm and make the rest read-only,
            # or it is an unbounded place to park memory.
            "--perms", "01777", "--size", str(limits.tmp_bytes), "--tmpfs", "/dev/shm", "--remount-ro", "/dev",
            "--seccomp", str(seccomp_fd),
            "--chdir", "/tmp", *env,
            *nproc, *drop, *(program or [sys.executable, "-u", "-"]),
        ]  # fmt: skip

    def _preexec(self, limits: Limits, confinement: _Confinement) -> Callable[[], None]:
        group = confinement.group

        def prepare() -> None:
            if group is not None:
                group.join()
            _apply_rlimits(limits, nproc=None)  # the process count is limited inside, by prlimit

        return prepare


class RlimitSandbox(Sandbox):
    """Fallback: same limits and filter, an unprivileged uid, a private working directory; no filesystem or network isolation."""

    mode = "rlimit-only"

    @classmethod
    @lru_cache(maxsize=1)
    def probe(cls) -> Probe:
        """As root we must be able to drop to an unprivileged uid and still start the interpreter."""
        uid = DEFAULT_UID_BASE if os.geteuid() == 0 else None
        try:
            program = seccomp.filter_bpf()
            probe = subprocess.run(
                [sys.executable, "-c", "pass"],
                preexec_fn=lambda: cls._drop_privileges(uid, program),
                capture_output=True,
                timeout=20,
                cwd="/",
            )
        except (seccomp.SeccompUnavailable, OSError, subprocess.SubprocessError) as exc:
            return Probe(False, str(exc))
        return Probe(probe.returncode == 0, probe.stderr.decode(errors="replace").strip()[:300])

    @staticmethod
    def _drop_privileges(uid: int | None, seccomp_program: bytes) -> None:
        if uid is not None:
            os.setgroups([])
            os.setresgid(uid, uid, uid)
            os.setresuid(uid, uid, uid)
        seccomp.load_in_this_process(seccomp_program)  # last: it also sets no_new_privs

    def _argv(self, *_launch: Any, **_options: Any) -> list[str]:
        # No wrapper to configure: the interpreter runs as is, confined by _preexec in the child.
        return [sys.executable, "-u", "-s", "-"]

    def _preexec(self, limits: Limits, confinement: _Confinement) -> Callable[[], None]:
        group, uid = confinement.group, confinement.uid
        nproc = limits.processes
        if uid is None and group is None:
            # Without root or a cgroup the child keeps the worker's uid, whose threads count too: the limit
            # is set on top of what the uid runs now (best effort; bubblewrap or a cgroup do this properly).
            nproc += _tasks_of_uid(os.getuid())

        def prepare() -> None:
            if group is not None:
                group.join()
            _apply_rlimits(limits, nproc=nproc)
            self._drop_privileges(uid, confinement.seccomp_program)

        return prepare


BACKENDS: dict[str, type[Sandbox]] = {"bubblewrap": BubblewrapSandbox, "rlimit": RlimitSandbox}


def get_sandbox(preference: str = "auto", jail: Jail | None = None) -> Sandbox:
    """The backend named by SANDBOX_BACKEND; ``auto`` prefers bubblewrap and falls back to rlimits."""
    if preference not in ("auto", *BACKENDS):
        raise ValueError(f"SANDBOX_BACKEND must be auto, bubblewrap or rlimit, not {preference!r}")
    names = ["bubblewrap", "rlimit"] if preference == "auto" else [preference]
    for name in names:
        backend = BACKENDS[name]
        if backend.available():
            return backend(jail)
    raise SandboxUnavailable(
        "Code runs are unavailable on this worker: bubblewrap cannot start and the interpreter cannot run "
        "as an unprivileged user. Install bubblewrap (apt-get install bubblewrap)."
    )
