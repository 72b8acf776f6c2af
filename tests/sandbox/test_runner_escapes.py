"""Escape attempts from a code run, each contained and reported.

Bubblewrap is the production backend and must contain everything; the rlimit-only
fallback promises only the resource limits (it has no filesystem or network
isolation, which is why runs record ``sandbox: rlimit-only``). A backend that cannot
start here is skipped with the reason, except under CI=true where that is a failure.
"""

from __future__ import annotations

import os
import socket
import tempfile
import threading
import time
from pathlib import Path

import pytest
from sandbox_backends import require

from sandbox.jail.runner import (
    DEFAULT_UID_BASE, DEFAULT_UID_COUNT, MB, REPO_ROOT, BubblewrapSandbox, Limits, RlimitSandbox, proc_statuses,
)


def processes_of(uid: int) -> list[int]:
    """Live processes whose real uid is ``uid`` (zombies are already dead; they only wait to be reaped)."""
    return [pid for pid, fields in proc_statuses(uid) if not fields.get("State", "").startswith("Z")]


LIMITS = Limits(wall_seconds=15, cpu_seconds=5, memory_bytes=1024 * MB, output_bytes=64 * 1024, processes=32)


@pytest.fixture
def bwrap():
    return require(BubblewrapSandbox)


@pytest.fixture(params=[BubblewrapSandbox, RlimitSandbox], ids=["bubblewrap", "rlimit-only"])
def any_backend(request):
    if request.param is RlimitSandbox and not RlimitSandbox.available():
        pytest.skip("rlimit-only needs an interpreter that the unprivileged uid can start")
    return require(request.param)


def test_a_well_behaved_snippet_runs_and_can_import_the_engine(any_backend):
    outcome = any_backend.run("import engine, sys\nprint('hello', engine.__name__)\nsys.exit(3)", LIMITS)
    assert outcome.output == "hello engine\n"
    assert outcome.exit_code == 3 and not outcome.ok and outcome.reason == ""


def test_no_network_not_even_the_hosts_loopback(bwrap):
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    accepted: list[object] = []
    threading.Thread(target=lambda: accepted.append(server.accept()), daemon=True).start()
    code = (
        "import socket\n"
        "for host in [('127.0.0.1', %d), ('1.1.1.1', 53)]:\n"
        "    try:\n"
        "        socket.create_connection(host, timeout=2); print('CONNECTED', host)\n"
        "    except OSError as exc:\n"
        "        print('blocked', type(exc).__name__)\n"
    ) % port
    outcome = bwrap.run(code, LIMITS)
    server.close()
    assert "CONNECTED" not in outcome.output and outcome.output.count("blocked") == 2
    assert accepted == []


def test_it_cannot_write_outside_its_tmp(bwrap):
    targets = [str(REPO_ROOT / "escaped.txt"), "/etc/escaped", "/usr/escaped", str(REPO_ROOT / "engine" / "escaped.py")]
    code = (
        "import sys\n"
        f"for path in {targets!r}:\n"
        "    try:\n"
        "        open(path, 'w').write('x'); print('WROTE', path)\n"
        "    except OSError as exc:\n"
        "        print('refused', type(exc).__name__)\n"
        "open('/tmp/fine.txt', 'w').write('ok'); print('tmp ok')\n"
    )
    outcome = bwrap.run(code, LIMITS)
    assert "WROTE" not in outcome.output and outcome.output.count("refused") == 4
    assert "tmp ok" in outcome.output
    assert not any(os.path.exists(path) for path in targets)


def test_it_cannot_read_the_settings_the_database_or_the_secrets(bwrap, settings, monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "do-not-leak")
    paths = [
        str(REPO_ROOT / "prep_site" / "settings.py"),
        str(settings.DATABASES["default"]["NAME"]),
        "/root/.bash_history",
        "/etc/shadow",
    ]
    code = (
        "import os\n"
        f"for path in {paths!r}:\n"
        "    try:\n"
        "        open(path, 'rb').read(1); print('READ', path)\n"
        "    except OSError as exc:\n"
        "        print('hidden', type(exc).__name__)\n"
        "print('secret' if 'do-not-leak' in repr(os.environ) else 'no secret')\n"
    )
    outcome = bwrap.run(code, LIMITS)
    assert "READ" not in outcome.output and outcome.output.count("hidden") == 4
    assert "no secret" in outcome.output


def test_a_fork_bomb_is_contained(any_backend):
    code = (
        "import os, time\n"
        "children = 0\n"
        "try:\n"
        "    while children < 1000:\n"
        "        if os.fork() == 0:\n"
        "            time.sleep(30); os._exit(0)\n"
        "        children += 1\n"
        "    print('NOT CONTAINED')\n"
        "except OSError as exc:\n"
        "    print('contained after', children, exc.strerror)\n"
        "    os._exit(0)\n"
    )
    started = time.monotonic()
    outcome = any_backend.run(code, LIMITS)
    assert "contained after" in outcome.output, outcome.output
    assert int(outcome.output.split()[2]) < LIMITS.processes
    assert time.monotonic() - started < LIMITS.wall_seconds
    # Every sleeping child died with the run: nothing of the runs' uids is left holding a process slot.
    time.sleep(0.5)
    assert [pid for uid in range(DEFAULT_UID_BASE, DEFAULT_UID_BASE + DEFAULT_UID_COUNT) for pid in processes_of(uid)] == []


def test_a_memory_bomb_is_contained(any_backend):
    outcome = any_backend.run("blocks = []\nwhile True:\n    blocks.append(bytearray(50 * 1024 * 1024))\n", LIMITS)
    assert outcome.exit_code != 0
    assert outcome.reason == "The program ran out of memory (limit 1024 MB of address space)."


def test_an_infinite_loop_is_stopped_by_the_cpu_limit_or_the_clock(any_backend):
    limits = Limits(wall_seconds=6, cpu_seconds=2, memory_bytes=1024 * MB)
    outcome = any_backend.run("while True:\n    pass\n", limits)
    assert not outcome.ok
    assert outcome.reason.startswith("Stopped: the program")
    assert outcome.duration_s < limits.wall_seconds + 2


def test_a_flood_of_output_is_cut_off_at_the_cap(any_backend):
    started = time.monotonic()
    outcome = any_backend.run(
        "import sys\nchunk = 'x' * 1_000_000\nfor _ in range(100):\n    sys.stdout.write(chunk)\n", LIMITS
    )
    assert outcome.output_truncated and len(outcome.output) == LIMITS.output_bytes
    assert outcome.reason == "Stopped: the program printed more than 64 KB of output."
    assert time.monotonic() - started < 10


def test_a_cancelled_run_is_stopped_promptly(any_backend):
    started = time.monotonic()
    outcome = any_backend.run(
        "import time\ntime.sleep(30)\n", LIMITS, should_stop=lambda: time.monotonic() - started > 0.5
    )
    assert outcome.cancelled and time.monotonic() - started < 5


def test_the_weight_cache_is_mounted_read_only_and_announced(bwrap, monkeypatch):
    with tempfile.TemporaryDirectory(dir="/tmp") as weights:
        os.chmod(weights, 0o755)
        Path(weights, "model.bin").write_bytes(b"w")
        os.chmod(Path(weights, "model.bin"), 0o644)
        monkeypatch.setenv("ENGINE_DATA_DIR", weights)
        code = (
            "import os\n"
            "folder = os.environ['ENGINE_DATA_DIR']\n"
            "print(sorted(os.listdir(folder)))\n"
            "try:\n"
            "    open(os.path.join(folder, 'x'), 'w'); print('WROTE')\n"
            "except OSError as exc:\n"
            "    print('read-only', type(exc).__name__)\n"
        )
        outcome = bwrap.run(code, LIMITS)
    assert outcome.output.splitlines()[0] == "['model.bin']", outcome.output
    assert "WROTE" not in outcome.output
