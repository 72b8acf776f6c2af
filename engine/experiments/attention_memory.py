"""Peak memory of one attention call, measured in a fresh process: what a backend needs beyond its inputs.

Each run happens in a fresh Python process that reads its own peak resident set size
(``VmHWM`` in ``/proc/self/status``) after building the inputs and warming up, then again after
one attention call. The difference is what the call needed beyond its inputs: for ``naive`` the
``[B, H, N, N]`` score matrix (and softmax's copies of it), for ``tiled`` one block of scores per
head plus the output. A fresh process per run keeps one run's freed memory from hiding the next
run's allocations. The ``attention_backends`` demo and ``engine/bench/attention.py`` both use it.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]


def measure_peak_memory(
    jobs: list[dict[str, Any]], *, parallel: bool = False, one_process: bool = False
) -> list[dict[str, Any]]:
    """Peak RSS growth of one attention call per job, each in a fresh process.

    A job is ``{"backend", "n", "heads", "head_dim", "causal", "dtype"}`` (self-attention,
    batch 1, T = S = n). Returns the job with ``extra_bytes`` (peak RSS minus RSS before the
    call), ``output_bytes`` and ``seconds`` added. ``parallel`` runs the processes side by
    side: peaks are per process, so they stay valid, but the seconds then include contention.

    ``one_process`` runs every job in one fresh process instead, one after the other: what a
    fresh process costs is mostly importing torch (~3 CPU seconds), so this is the cheap mode
    (the attention_backends demo uses it). Two things keep one job's memory from hiding the next
    one's: the peak is reset before each call (``/proc/self/clear_refs``; without it the jobs fall
    back to a process each), and glibc's mmap threshold is fixed (``MALLOC_MMAP_THRESHOLD_``), so
    every large buffer is mapped fresh and returned to the system when freed instead of being kept
    in the heap, already resident, for the next job to reuse unseen.
    """
    if one_process and len(jobs) > 1:
        runs = _run_peak_child(jobs, {"MALLOC_MMAP_THRESHOLD_": str(MMAP_THRESHOLD)})
        if all(run["peak_was_reset"] for run in runs):
            return runs
    if parallel and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            return list(pool.map(lambda job: _run_peak_child([job])[0], jobs))
    return [_run_peak_child([job])[0] for job in jobs]


# Allocations from this size up are mapped on their own (glibc's default, 128 KiB, before its dynamic
# adjustment raises it to the largest buffer freed so far, up to 32 MiB).
MMAP_THRESHOLD = 128 * 1024


def _run_peak_child(jobs: list[dict[str, Any]], extra_env: dict[str, str] | None = None) -> list[dict[str, Any]]:
    env = {**os.environ, **(extra_env or {})}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "engine.experiments.attention_memory", "peak", json.dumps(jobs)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"peak-memory run {jobs} failed: {done.stderr.strip()[-2000:]}")
    results = json.loads(done.stdout.strip().splitlines()[-1])
    return [{**job, **result} for job, result in zip(jobs, results)]


def _status_bytes(field: str) -> int:
    """A ``kB`` field of /proc/self/status (VmRSS, VmHWM) in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"/proc/self/status has no {field}: peak memory needs Linux")


def _reset_peak() -> bool:
    """Set VmHWM back to the current RSS (Linux >= 4.0); False if the kernel refuses."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
        return True
    except OSError:
        return False


def _peak_child(job: dict[str, Any]) -> dict[str, Any]:
    """Runs inside the fresh process: build inputs, warm up, reset the peak, run once, report."""
    import torch

    from engine.core.attention import attention

    dtype = getattr(torch, job["dtype"])
    q, k, v = attention_inputs(1, job["heads"], job["n"], job["head_dim"], dtype, "cpu")
    # Warm up so one-time allocations (thread pools, allocator arenas, kernels) are not counted: on
    # 256 tokens, enough for the tiled backend to run its full-size blocks (a 64-token warm-up left
    # up to 2 MB of first-use allocations inside the measured call), small enough that naive's
    # score matrix stays far below the one being measured.
    w = min(job["n"], 256)
    attention(q[:, :, :w], k[:, :, :w], v[:, :, :w], backend=job["backend"], causal=job["causal"])
    reset = _reset_peak()
    before = _status_bytes("VmRSS")
    # Without a reset the peak so far is at least the RSS now; it is usually equal, because the
    # inputs were the last large allocation, but say so in the result.
    start = time.perf_counter()
    out = attention(q, k, v, backend=job["backend"], causal=job["causal"])
    seconds = time.perf_counter() - start
    peak = _status_bytes("VmHWM")
    return {
        "extra_bytes": max(0, peak - before),
        "output_bytes": out.numel() * out.element_size(),
        "seconds": seconds,
        "peak_was_reset": reset,
    }


def attention_inputs(batch: int, heads: int, n: int, head_dim: int, dtype, device: str, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    shape = (batch, heads, n, head_dim)
    return tuple(torch.randn(shape, generator=g).to(device=device, dtype=dtype) for _ in range(3))


def score_matrix_bytes(n: int, heads: int, batch: int = 1) -> int:
    """Bytes of one float32 ``[B, H, N, N]`` score matrix: what the naive backend must materialise."""
    return batch * heads * n * n * 4


def score_block_bytes(n: int, heads: int, batch: int = 1) -> int:
    """Bytes of one float32 block of scores in the tiled backend (all heads at once), for N = n."""
    from engine.core.attention import DEFAULT_BLOCK_K, DEFAULT_BLOCK_Q

    return batch * heads * min(n, DEFAULT_BLOCK_Q) * min(n, DEFAULT_BLOCK_K) * 4


if __name__ == "__main__":
    # The child side of measure_peak_memory: ``python -m engine.experiments.attention_memory peak '<jobs json>'``.
    if len(sys.argv) != 3 or sys.argv[1] != "peak":
        raise SystemExit("usage: python -m engine.experiments.attention_memory peak '<json list of jobs>'")
    print(json.dumps([_peak_child(job) for job in json.loads(sys.argv[2])]))
