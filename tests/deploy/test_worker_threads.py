"""Idle OpenMP threads sleep (engine/runtime.py) in a site worker and in `python -m engine`: set before torch
can load, never over an explicit choice."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
WORKER = "import os, sys, prep_site; print(os.environ['OMP_WAIT_POLICY'], 'torch' in sys.modules)"
# `python -m engine --help`, then the variable as the CLI left it.
CLI = ("import os, runpy, sys; sys.argv = ['engine', '--help']\ntry:\n    runpy.run_module('engine', run_name='__main__')\n"
       "except SystemExit:\n    pass\nprint(os.environ['OMP_WAIT_POLICY'], 'loaded')")


def _probe(code: str, **env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env={**clean, **env},
                            capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.strip()


@pytest.mark.parametrize("code,after", [(WORKER, "False"), (CLI, "loaded")], ids=["worker-before-torch", "engine-cli"])
def test_idle_threads_sleep_unless_told_otherwise(code: str, after: str) -> None:
    assert _probe(code).splitlines()[-1] == f"PASSIVE {after}"
    assert _probe(code, OMP_WAIT_POLICY="ACTIVE").splitlines()[-1] == f"ACTIVE {after}"
