"""A worker's OpenMP threads sleep when idle (prep_site/celery.py): set before torch can load, never over an explicit choice."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PROBE = "import os, sys, prep_site; print(os.environ['OMP_WAIT_POLICY'], 'torch' in sys.modules)"


def _probe(**env: str) -> str:
    clean = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"}
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**clean, **env},
                            capture_output=True, text=True, timeout=120, check=True)
    return result.stdout.strip()


def test_the_celery_app_makes_idle_threads_sleep_before_torch_is_loaded() -> None:
    assert _probe() == "PASSIVE False"


@pytest.mark.parametrize("policy", ["ACTIVE", "PASSIVE"])
def test_an_explicit_policy_wins(policy: str) -> None:
    assert _probe(OMP_WAIT_POLICY=policy) == f"{policy} False"
