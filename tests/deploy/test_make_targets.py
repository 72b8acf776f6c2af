"""`make run` / `make dev` wiring, exercised for real with stand-in python, celery and gunicorn that record
the environment they were started with; and .ci/install-missing.sh with a stand-in apt-get."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
RECORDER = """#!/bin/sh
# Stand-in for {name}: record the arguments and the settings-relevant environment, then succeed.
printf '%s\\n' "$(python3 -c 'import json, os, sys; print(json.dumps({{"argv": sys.argv[1:], "DEBUG": os.environ.get("DEBUG"), "ALLOW_LAN_HOSTS": os.environ.get("ALLOW_LAN_HOSTS")}}))' {name} "$@")" >> "{log}"
"""

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def run_make(tmp_path: Path, target: str, *variables: str) -> list[dict]:
    venv = tmp_path / "venv"
    (venv / "bin").mkdir(parents=True)
    log = tmp_path / "calls.jsonl"
    for name in ("python", "celery", "gunicorn"):
        script = venv / "bin" / name
        script.write_text(RECORDER.format(name=name, log=log))
        script.chmod(0o755)
    (venv / ".base").touch()  # newer than requirements/base.txt: no pip install
    env = {key: value for key, value in os.environ.items() if key not in {"DEBUG", "ALLOW_LAN_HOSTS", "MAKEFLAGS"}}
    result = subprocess.run(
        ["make", "--no-print-directory", target, f"VENV={venv}", *variables],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return [json.loads(line) for line in log.read_text().splitlines()]


def gunicorn_call(calls: list[dict]) -> dict:
    return next(call for call in calls if call["argv"][0] == "gunicorn")


def test_make_run_serves_with_debug_off_after_collecting_static_files(tmp_path):
    calls = run_make(tmp_path, "run")
    manage_commands = [call["argv"][2] for call in calls if call["argv"][0] == "python"]
    assert manage_commands[:3] == ["migrate", "createcachetable", "collectstatic"]
    served = gunicorn_call(calls)
    assert served["DEBUG"] is None  # settings then default to DEBUG off
    assert served["ALLOW_LAN_HOSTS"] == "false"
    assert "127.0.0.1:8000" in served["argv"]


def test_make_dev_turns_debug_on(tmp_path):
    assert gunicorn_call(run_make(tmp_path, "dev"))["DEBUG"] == "true"


def test_make_run_on_every_interface_allows_the_machines_own_names(tmp_path):
    served = gunicorn_call(run_make(tmp_path, "run", "HOST=0.0.0.0"))
    assert served["ALLOW_LAN_HOSTS"] == "true" and "0.0.0.0:8000" in served["argv"]


def test_make_run_installs_bubblewrap_before_serving():
    recipe = subprocess.run(["make", "-n", "run"], cwd=REPO, capture_output=True, text=True, timeout=60).stdout
    install = recipe.index("bash .ci/install-missing.sh bwrap=bubblewrap")
    assert install < recipe.index("gunicorn prep_site.wsgi:application")


def fake_root_path(tmp_path: Path) -> dict[str, str]:
    """A PATH with only a stand-in apt-get (recording its arguments) and an id that says root."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "apt-get").write_text(f'#!/bin/sh\necho "$@" >> {tmp_path}/apt.log\n')
    (bin_dir / "id").write_text("#!/bin/sh\necho 0\n")
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    return {"PATH": str(bin_dir), "HOME": str(tmp_path)}


def test_install_missing_installs_only_the_missing_packages_as_root(tmp_path):
    env = fake_root_path(tmp_path)
    bash = shutil.which("bash")
    result = subprocess.run(
        [bash, ".ci/install-missing.sh", "bwrap=bubblewrap", "apt-get=apt", "chromium=chromium,fonts-dejavu-core"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stderr
    installs = (tmp_path / "apt.log").read_text().splitlines()
    assert installs[-1].endswith("install -y -qq --no-install-recommends bubblewrap chromium fonts-dejavu-core")


def test_install_missing_as_a_user_says_what_is_missing_and_fails_only_under_ci(tmp_path):
    env = fake_root_path(tmp_path)
    (tmp_path / "bin" / "id").write_text("#!/bin/sh\necho 1000\n")
    bash = shutil.which("bash")
    command = [bash, ".ci/install-missing.sh", "bwrap=bubblewrap"]
    relaxed = subprocess.run(command, cwd=REPO, env=env, capture_output=True, text=True, timeout=60)
    assert relaxed.returncode == 0 and "apt-get install bubblewrap" in relaxed.stderr
    strict = subprocess.run(command, cwd=REPO, env={**env, "CI": "true"}, capture_output=True, text=True, timeout=60)
    assert strict.returncode != 0
    assert not (tmp_path / "apt.log").exists()
