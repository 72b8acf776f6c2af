"""The rlimit-only fallback still applies the seccomp filter, a uid per run and the process limit.

The project's own interpreter may live where other uids cannot reach it (under /root
on the development machines), which is why ``RlimitSandbox.available()`` is false
there; these tests drive the fallback from the system's /usr/bin/python3 instead, as
a root worker would with a system interpreter.
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import textwrap
from pathlib import Path

import pytest
from test_jail_kernel_limits import FORK_BOMB, SYSCALL_PROBE

from sandbox.jail.runner import REPO_ROOT

SYSTEM_PYTHON = Path("/usr/bin/python3")

DRIVER = textwrap.dedent("""
    import json, sys
    sys.path.insert(0, sys.argv[1])
    from sandbox.jail.runner import Jail, Limits, RlimitSandbox
    if not RlimitSandbox.available():
        print(json.dumps({"unavailable": RlimitSandbox.probe().detail})); raise SystemExit
    limits = Limits(wall_seconds=20, cpu_seconds=10, memory_bytes=1024 * 1024 * 1024, processes=32)
    outcomes = [RlimitSandbox(Jail(uid_base=1_950_000, uid_count=4)).run(code, limits) for code in json.load(sys.stdin)]
    print(json.dumps([{"output": o.output, "confinement": o.confinement} for o in outcomes]))
""")

ESCAPE_THE_GROUP = textwrap.dedent("""
    import os, time
    if os.fork() == 0:
        os.setsid()  # leaves the process group the parent kills
        time.sleep(60)
        os._exit(0)
    print("left a child behind")
""")

WHO_AM_I = "import os\nprint(os.getuid())\n"

LEAVE_FILES = "for path in ('/tmp/left-by-a', '/dev/shm/left-by-a'):\n    open(path, 'w').write('secret of a')\nprint('left')\n"
FIND_FILES = "import os\nprint([p for p in ('/tmp/left-by-a', '/dev/shm/left-by-a') if os.path.exists(p)])\n"


@pytest.fixture(scope="module")
def outcomes():
    if os.geteuid() != 0 or not SYSTEM_PYTHON.exists():
        pytest.skip("needs root and /usr/bin/python3")
    programs = [SYSCALL_PROBE, FORK_BOMB, ESCAPE_THE_GROUP, WHO_AM_I, LEAVE_FILES, FIND_FILES]
    done = subprocess.run(
        [str(SYSTEM_PYTHON), "-c", DRIVER, str(REPO_ROOT)], input=json.dumps(programs),
        capture_output=True, text=True, timeout=120, cwd="/", env={"PATH": "/usr/bin:/bin"},
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    if isinstance(result, dict):
        pytest.skip(f"the fallback cannot start here: {result['unavailable']}")
    return result


@pytest.mark.skipif(platform.machine() != "x86_64", reason="the probe uses x86_64 system call numbers")
def test_the_filter_applies_without_bubblewrap_too(outcomes):
    lines = outcomes[0]["output"].splitlines()
    assert len(lines) == 9 and [line for line in lines if not line.endswith("EPERM")] == []


def test_a_fork_bomb_is_stopped_by_the_runs_own_process_budget(outcomes):
    assert outcomes[1]["output"].startswith("contained after"), outcomes[1]["output"]
    assert int(outcomes[1]["output"].split()[2]) < 32


def test_a_process_that_left_the_group_dies_with_the_run(outcomes):
    assert outcomes[2]["output"] == "left a child behind\n"
    leftovers = subprocess.run(["pgrep", "-u", ",".join(str(1_950_000 + n) for n in range(4))], capture_output=True)
    assert leftovers.stdout == b""


def test_it_runs_as_a_uid_of_its_own_and_records_the_fallback(outcomes):
    assert 1_950_000 <= int(outcomes[3]["output"]) < 1_950_004
    assert outcomes[3]["confinement"]["uid"].startswith("uid 195000")
    assert outcomes[3]["confinement"]["memory"].startswith("rlimit only")


def test_files_a_run_left_in_shared_folders_are_gone_before_the_next_run_of_its_uid(outcomes):
    assert outcomes[4]["output"] == "left\n"
    assert outcomes[5]["output"] == "[]\n"
