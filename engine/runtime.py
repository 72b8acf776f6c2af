"""Process-wide settings a process that runs the engine should make before torch loads.

Idle OpenMP threads sleep instead of spinning. The engine's processes (a site worker, ``python -m
engine``) share their cores with other work: on a 2-core host a worker sits beside gunicorn and the
code worker. A thread that spins while idle holds a core that the next small parallel region needs,
and a decode step is hundreds of small regions (30 layers x a dozen ops). Measured on the 2-core VM,
SmolLM2-135M float32 decode step with 2 torch threads: 247 ms with the default policy and 57 ms with
``PASSIVE`` at load ~2; at load ~6 HF transformers' step went from 329 to 86 ms and the engine's from
290 to 69 ms. OpenMP reads the variable when its runtime loads (with torch), so this must run first;
an explicit ``OMP_WAIT_POLICY`` in the environment wins.
"""
from __future__ import annotations

import os


def prefer_sleeping_threads() -> None:
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def wait_policy() -> str:
    """What the benchmarks and demo results record: the policy in force, or "default"."""
    return os.environ.get("OMP_WAIT_POLICY", "default")
