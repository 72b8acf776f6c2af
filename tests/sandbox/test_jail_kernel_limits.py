"""Kernel-level limits of a code run: the seccomp filter, keyrings, per-run uids and cgroups, non-root workers.

Each test here stands for a finding of the attack suite (issue 10): a run made a
nested user namespace and mounted its own tmpfs (2), read another visitor's key
(4), and as a non-root worker every run failed because RLIMIT_NPROC counted the
worker's own threads (8).
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sandbox_backends import require

from sandbox.jail import cgroup
from sandbox.jail.runner import MB, REPO_ROOT, BubblewrapSandbox, Jail, Limits
from sandbox.jail.uids import UidSlot

LIMITS = Limits(wall_seconds=20, cpu_seconds=10, memory_bytes=1024 * MB, processes=32)
x86_64_only = pytest.mark.skipif(platform.machine() != "x86_64", reason="the probes use x86_64 system call numbers")

# A probe a snippet can run: each system call made directly, so nothing in between can turn EPERM into something else.
SYSCALL_PROBE = textwrap.dedent("""
    import ctypes, errno, subprocess
    libc = ctypes.CDLL(None, use_errno=True)
    L = ctypes.c_long
    def call(name, nr, *args):
        result = libc.syscall(L(nr), *[a if a is None or isinstance(a, (bytes, ctypes.Array)) else L(a) for a in args])
        err = ctypes.get_errno()
        print(name, "EPERM" if result == -1 and err == errno.EPERM else f"ALLOWED result={result} errno={err}")
    call("unshare(CLONE_NEWUSER)", 272, 0x10000000)
    call("mount tmpfs", 165, b"none", b"/tmp", b"tmpfs", 0, None)
    call("io_uring_setup", 425, 1, ctypes.create_string_buffer(120))
    call("add_key", 248, b"user", b"probe", b"value", 5, -4)
    call("bpf", 321, 5, ctypes.create_string_buffer(128), 128)
    call("perf_event_open", 298, ctypes.create_string_buffer(128), 0, -1, -1, 0)
    call("ptrace(TRACEME)", 101, 0, 0, 0, 0)
    call("process_vm_readv", 310, 1, None, 0, None, 0, 0)
    done = subprocess.run(["unshare", "-U", "true"], capture_output=True, text=True)
    print("unshare -U", "EPERM" if done.returncode and "Operation not permitted" in done.stderr else "ALLOWED " + done.stderr)
""")


@pytest.fixture
def bwrap():
    return require(BubblewrapSandbox)


@x86_64_only
def test_namespaces_mounts_io_uring_keyrings_bpf_perf_and_ptrace_are_denied(bwrap):
    outcome = bwrap.run(SYSCALL_PROBE, LIMITS)
    lines = outcome.output.splitlines()
    assert len(lines) == 9, outcome.output
    assert [line for line in lines if not line.endswith("EPERM")] == []


def test_threads_still_start_under_the_filter(bwrap):
    # glibc creates threads with clone3, which the filter answers with ENOSYS so that glibc falls back to clone.
    code = "import threading\nt = threading.Thread(target=print, args=('thread ran',))\nt.start(); t.join()\n"
    assert bwrap.run(code, LIMITS).output == "thread ran\n"


@x86_64_only
def test_a_key_added_by_one_run_cannot_be_read_by_the_next(bwrap):
    add = textwrap.dedent("""
        import ctypes, errno
        libc = ctypes.CDLL(None, use_errno=True)
        key = libc.syscall(ctypes.c_long(248), b"user", b"visitor-a", b"secret-of-a", ctypes.c_long(11), ctypes.c_long(-4))
        print("added" if key > 0 else ("EPERM" if ctypes.get_errno() == errno.EPERM else "error"))
    """)
    read = textwrap.dedent("""
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        key = libc.syscall(ctypes.c_long(249), b"user", b"visitor-a", None, ctypes.c_long(0))
        buf = ctypes.create_string_buffer(64)
        if key > 0:
            libc.syscall(ctypes.c_long(250), ctypes.c_long(11), ctypes.c_long(key), buf, ctypes.c_long(64))
        print("read:", buf.value.decode())
    """)
    assert bwrap.run(add, LIMITS).output == "EPERM\n"
    assert bwrap.run(read, LIMITS).output == "read: \n"


def test_dev_shm_is_capped_and_dev_is_read_only(bwrap):
    code = textwrap.dedent("""
        for path in ("/dev/escape", "/dev/shm/big"):
            try:
                open(path, "wb").write(b"x" * (80 * 1024 * 1024)); print("WROTE", path)
            except OSError as exc:
                print("refused", path, exc.strerror)
    """)
    output = bwrap.run(code, Limits(wall_seconds=20, memory_bytes=1024 * MB, file_bytes=128 * MB)).output
    assert "WROTE" not in output and output.count("refused") == 2, output


def test_each_concurrent_run_of_a_root_worker_gets_its_own_uid(tmp_path, monkeypatch):
    monkeypatch.setattr("sandbox.jail.uids.LOCK_DIR", tmp_path)
    with UidSlot(5_000_000, 2) as first, UidSlot(5_000_000, 2) as second:
        assert {first, second} == {5_000_000, 5_000_001}
        with pytest.raises(RuntimeError, match="all 2 sandbox uids from 5000000 are in use"):
            UidSlot(5_000_000, 2, wait_seconds=0).__enter__()
    with UidSlot(5_000_000, 2) as again:  # released on exit
        assert again == 5_000_000


NON_ROOT_WORKER = textwrap.dedent("""
    import json, sys, threading, time
    sys.path.insert(0, sys.argv[1])
    from sandbox.jail.runner import BubblewrapSandbox, Limits
    # A worker with more threads than a run may have processes: the old code counted them against the run.
    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(70)]
    for t in threads: t.start()
    probe = BubblewrapSandbox.probe()
    limits = Limits(wall_seconds=20, cpu_seconds=10, memory_bytes=1024 * 1024 * 1024, processes=32)
    outcome = BubblewrapSandbox().run(sys.stdin.read(), limits) if probe.ok else None
    stop.set()
    print(json.dumps({"probe": probe.detail, "ok": probe.ok, "output": outcome and outcome.output,
                      "confinement": outcome and outcome.confinement}))
""")

FORK_BOMB = textwrap.dedent("""
    import os, time
    children = 0
    try:
        while children < 1000:
            if os.fork() == 0:
                time.sleep(30); os._exit(0)
            children += 1
        print("NOT CONTAINED")
    except OSError as exc:
        print("contained after", children, exc.strerror)
        os._exit(0)
""")


def test_the_process_limit_holds_for_a_non_root_worker_with_many_threads():
    """A worker running as an ordinary user (docker-compose's USER app), with the system interpreter."""
    if os.geteuid() != 0:
        pytest.skip("needs root to start the worker under another uid")
    system_python = Path("/usr/bin/python3")
    if not system_python.exists() or not Path("/usr/bin/bwrap").exists():
        pytest.skip("needs /usr/bin/python3 and bubblewrap")
    worker_uid = 1_899_000  # outside the root worker's run uids
    env = {"PATH": "/usr/bin:/bin", "ENGINE_DATA_DIR": "/nonexistent", "TMPDIR": "/tmp"}
    done = subprocess.run(
        ["setpriv", f"--reuid={worker_uid}", f"--regid={worker_uid}", "--clear-groups",
         str(system_python), "-c", NON_ROOT_WORKER, str(REPO_ROOT)],
        input=FORK_BOMB, capture_output=True, text=True, timeout=60, env=env, cwd="/",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    if not report["ok"] and "namespace" in report["probe"].lower() and "Resource temporarily" not in report["probe"]:
        pytest.skip(f"unprivileged user namespaces are off here: {report['probe']}")
    assert report["ok"], report["probe"]
    assert report["output"].startswith("contained after"), report["output"]
    assert int(report["output"].split()[2]) < 32
    assert report["confinement"]["uid"] == "the worker's uid in a user namespace of the run's own"


def _fake_cgroup_parent(path: Path) -> Path:
    path.mkdir()
    (path / "cgroup.controllers").write_text("cpu memory pids\n")
    (path / "cgroup.subtree_control").write_text("memory pids\n")
    return path


def test_a_delegated_cgroup_gets_a_child_per_run_with_memory_max_and_pids_max(bwrap, tmp_path, monkeypatch):
    parent = _fake_cgroup_parent(tmp_path / "delegated")
    made: list[Path] = []
    real_create = cgroup.RunCgroup.create

    def create(cls, parent_dir, memory_bytes, processes):
        group = real_create.__func__(cls, parent_dir, memory_bytes, processes)
        (group.path / "cgroup.procs").write_text("")  # the kernel provides it in a real cgroup
        made.append(group.path)
        return group

    monkeypatch.setattr(cgroup.RunCgroup, "create", classmethod(create))
    monkeypatch.setattr(cgroup.RunCgroup, "destroy", lambda self: None)  # keep the files to look at
    cgroup.find_parent.cache_clear()
    try:
        outcome = BubblewrapSandbox(Jail(cgroup_parent=str(parent))).run("print('in a cgroup')", LIMITS)
    finally:
        cgroup.find_parent.cache_clear()
    assert outcome.output == "in a cgroup\n"
    [group] = made
    assert (group / "memory.max").read_text() == str(LIMITS.memory_bytes)
    assert (group / "pids.max").read_text() == str(LIMITS.processes)
    assert (group / "memory.swap.max").read_text() == "0"
    assert (group / "cgroup.procs").read_text() == "0"  # the child joined before exec
    assert outcome.confinement["memory"].startswith("cgroup memory.max 1024 MB for the whole run")


def test_without_a_delegated_cgroup_the_rlimit_fallback_is_recorded(bwrap, tmp_path):
    not_delegated = tmp_path / "plain"
    not_delegated.mkdir()
    outcome = BubblewrapSandbox(Jail(cgroup_parent=str(not_delegated))).run("print(1)", LIMITS)
    assert outcome.confinement["memory"].startswith("rlimit only: 1024 MB address space per process")
    assert outcome.confinement["processes"] == "RLIMIT_NPROC 32"


def test_a_real_delegated_cgroup_stops_a_memory_bomb_for_the_whole_run(bwrap):
    parent = cgroup.find_parent(os.environ.get("SANDBOX_CGROUP", ""))
    if parent is None:
        pytest.skip("no delegated cgroup v2 with memory and pids here (set SANDBOX_CGROUP to one)")
    code = "import os\nblocks = []\nfor _ in range(4):\n    if os.fork() == 0:\n        blocks = [bytearray(300 * 1024 * 1024)]\n        import time; time.sleep(10)\nimport time; time.sleep(10)\n"
    limits = Limits(wall_seconds=15, memory_bytes=512 * MB, processes=32)
    outcome = BubblewrapSandbox(Jail(cgroup_parent=str(parent))).run(code, limits)
    assert outcome.reason == "The program ran out of memory (limit 512 MB for the whole run)."


def test_the_filter_is_built_by_libseccomp_and_denies_every_listed_call():
    from sandbox.jail import seccomp

    program = seccomp.filter_bpf()
    assert len(program) % 8 == 0 and len(program) // 8 > len(seccomp.DENIED_SYSCALLS)


def test_when_every_uid_slot_is_busy_the_run_is_refused_with_a_reason(bwrap, tmp_path, monkeypatch):
    if os.geteuid() != 0:
        pytest.skip("uid slots are for root workers")
    from sandbox.jail.runner import SandboxUnavailable

    monkeypatch.setattr("sandbox.jail.uids.LOCK_DIR", tmp_path)
    jail = Jail(uid_base=5_100_000, uid_count=1, uid_wait_seconds=0)
    with UidSlot(jail.uid_base, 1):
        with pytest.raises(SandboxUnavailable, match="Every one of this worker's 1 sandbox slots is busy"):
            BubblewrapSandbox(jail).run("print(1)", LIMITS)


def test_a_cgroup_that_cannot_be_created_leaves_the_run_on_rlimits(bwrap, tmp_path, monkeypatch):
    parent = _fake_cgroup_parent(tmp_path / "delegated")

    def refuse(cls, *args):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(cgroup.RunCgroup, "create", classmethod(refuse))
    cgroup.find_parent.cache_clear()
    try:
        outcome = BubblewrapSandbox(Jail(cgroup_parent=str(parent))).run("print(2)", LIMITS)
    finally:
        cgroup.find_parent.cache_clear()
    assert outcome.output == "2\n" and outcome.confinement["memory"].startswith("rlimit only")
