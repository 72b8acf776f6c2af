"""Attention benchmarks: what the tiled algorithm saves in memory, and how the Triton kernel compares to SDPA.

``run_attention_bench(quick)`` is what ``python -m engine bench`` calls. Its two measurements:

* **Peak extra memory, tiled vs naive** (any machine). Each run happens in a fresh Python
  process that reads its own peak resident set size (``VmHWM`` in ``/proc/self/status``)
  after building the inputs and warming up, then again after one attention call. The
  difference is what the call needed beyond its inputs: for ``naive`` the ``[B, H, N, N]``
  score matrix (and softmax's copies of it), for ``tiled`` one block of scores per head plus
  the output. A fresh process per run keeps one run's freed memory from hiding the next
  run's allocations.
* **Triton vs SDPA on CUDA**: causal fp16/bf16 attention at N = 1024 .. 8192, time per call
  (CUDA events, warm-up excluded) and max error against an fp32 SDPA result.

The helpers here (``measure_peak_memory``, ``time_call``) also serve the
``attention_backends`` demo.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Callable

REPO_ROOT = Path(__file__).resolve().parents[1]
MEMORY_TARGET = 0.10  # tiled must need at most 10% of naive's extra memory
DTYPES = ("float32", "float16", "bfloat16")


# --------------------------------------------------------------------------- peak memory, one process per run


def measure_peak_memory(
    jobs: list[dict[str, Any]], *, parallel: bool = False
) -> list[dict[str, Any]]:
    """Peak RSS growth of one attention call per job, each in a fresh process.

    A job is ``{"backend", "n", "heads", "head_dim", "causal", "dtype"}`` (self-attention,
    batch 1, T = S = n). Returns the job with ``extra_bytes`` (peak RSS minus RSS before the
    call), ``output_bytes`` and ``seconds`` added. ``parallel`` runs the processes side by
    side: peaks are per process, so they stay valid, but the seconds then include contention.
    """
    if parallel and len(jobs) > 1:
        with ThreadPoolExecutor(max_workers=len(jobs)) as pool:
            return list(pool.map(_run_peak_child, jobs))
    return [_run_peak_child(job) for job in jobs]


def _run_peak_child(job: dict[str, Any]) -> dict[str, Any]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    done = subprocess.run(
        [sys.executable, "-m", "engine.bench_attention", "peak", json.dumps(job)],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"peak-memory run {job} failed: {done.stderr.strip()[-2000:]}")
    return {**job, **json.loads(done.stdout.strip().splitlines()[-1])}


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

    from engine.attention import attention

    dtype = getattr(torch, job["dtype"])
    q, k, v = _inputs(1, job["heads"], job["n"], job["head_dim"], dtype, "cpu")
    # Warm up on a small problem so one-time allocations (thread pools, kernels) are not counted.
    attention(q[:, :, :64], k[:, :, :64], v[:, :, :64], backend=job["backend"], causal=job["causal"])
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


def _inputs(batch: int, heads: int, n: int, head_dim: int, dtype, device: str, seed: int = 0):
    import torch

    g = torch.Generator().manual_seed(seed)
    shape = (batch, heads, n, head_dim)
    return tuple(torch.randn(shape, generator=g).to(device=device, dtype=dtype) for _ in range(3))


def score_matrix_bytes(n: int, heads: int, batch: int = 1) -> int:
    """Bytes of one float32 ``[B, H, N, N]`` score matrix: what the naive backend must materialise."""
    return batch * heads * n * n * 4


def score_block_bytes(n: int, heads: int, batch: int = 1) -> int:
    """Bytes of one float32 block of scores in the tiled backend (all heads at once), for N = n."""
    from engine.attention import DEFAULT_BLOCK_K, DEFAULT_BLOCK_Q

    return batch * heads * min(n, DEFAULT_BLOCK_Q) * min(n, DEFAULT_BLOCK_K) * 4


# --------------------------------------------------------------------------- timing


def time_call(fn: Callable[[], Any], *, repeats: int = 3, warmup: int = 1, cuda: bool = False) -> float:
    """Median seconds of ``fn()`` over ``repeats`` runs after ``warmup`` unmeasured ones."""
    import torch

    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeats):
        if cuda:
            start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
            start.record()
            fn()
            end.record()
            torch.cuda.synchronize()
            samples.append(start.elapsed_time(end) / 1000)
        else:
            begin = time.perf_counter()
            fn()
            samples.append(time.perf_counter() - begin)
    return statistics.median(samples)


# --------------------------------------------------------------------------- the benchmark


def tiled_vs_naive_memory(ns: tuple[int, ...], heads: int = 4, head_dim: int = 64) -> dict[str, Any]:
    """Peak extra memory of tiled and naive causal attention (fp32, batch 1) at each N."""
    jobs = [
        {"backend": backend, "n": n, "heads": heads, "head_dim": head_dim, "causal": True, "dtype": "float32"}
        for n in ns for backend in ("naive", "tiled")
    ]
    runs = measure_peak_memory(jobs)
    rows = []
    for n in ns:
        naive, tiled = (next(r for r in runs if r["n"] == n and r["backend"] == b) for b in ("naive", "tiled"))
        rows.append({
            "n": n,
            "naive_extra_bytes": naive["extra_bytes"],
            "tiled_extra_bytes": tiled["extra_bytes"],
            "tiled_over_naive": tiled["extra_bytes"] / max(1, naive["extra_bytes"]),
            "score_matrix_bytes": score_matrix_bytes(n, heads),
            "output_bytes": tiled["output_bytes"],
            "naive_seconds": naive["seconds"],
            "tiled_seconds": tiled["seconds"],
            "peak_was_reset": naive["peak_was_reset"] and tiled["peak_was_reset"],
        })
    return {
        "heads": heads,
        "head_dim": head_dim,
        "dtype": "float32",
        "causal": True,
        "target": f"tiled extra memory <= {MEMORY_TARGET:.0%} of naive",
        "meets_target": all(row["tiled_over_naive"] <= MEMORY_TARGET for row in rows),
        "rows": rows,
    }


def triton_vs_sdpa(ns: tuple[int, ...], dtypes: tuple[str, ...], heads: int = 16, head_dim: int = 64) -> dict[str, Any]:
    """Causal attention on CUDA: Triton kernel vs torch SDPA, time and max error vs an fp32 SDPA result."""
    import torch

    from engine.attention import attention

    rows = []
    for dtype_name in dtypes:
        dtype = getattr(torch, dtype_name)
        for n in ns:
            q, k, v = _inputs(1, heads, n, head_dim, dtype, "cuda")
            reference = attention(q.float(), k.float(), v.float(), backend="sdpa")
            row: dict[str, Any] = {"n": n, "dtype": dtype_name}
            for backend in ("sdpa", "triton"):
                out = attention(q, k, v, backend=backend)
                row[f"{backend}_max_error"] = (out.float() - reference).abs().max().item()
                row[f"{backend}_ms"] = 1000 * time_call(
                    lambda b=backend: attention(q, k, v, backend=b), repeats=10, warmup=3, cuda=True
                )
            row["triton_over_sdpa_time"] = row["triton_ms"] / row["sdpa_ms"]
            # Causal attention does about half of the 4·N²·D FLOPs per head (QKᵀ and PV).
            row["triton_tflops"] = 2 * heads * n * n * head_dim / (row["triton_ms"] / 1000) / 1e12
            rows.append(row)
            del q, k, v, reference
            torch.cuda.empty_cache()
    return {"heads": heads, "head_dim": head_dim, "causal": True, "rows": rows}


def run_attention_bench(quick: bool) -> dict[str, Any]:
    """The attention section of ``engine/BENCHMARKS.md``: a JSON-able dict with a ready ``markdown`` table."""
    import torch

    from engine.environment import describe_environment

    memory = tiled_vs_naive_memory((4096,) if quick else (4096, 8192))
    result: dict[str, Any] = {"name": "attention", "environment": describe_environment(), "memory": memory}
    if torch.cuda.is_available():
        ns = (1024, 4096) if quick else (1024, 2048, 4096, 8192)
        result["triton_vs_sdpa"] = triton_vs_sdpa(ns, ("float16", "bfloat16"))
    else:
        result["triton_vs_sdpa"] = None
        result["triton_vs_sdpa_skipped"] = "no CUDA device: the Triton kernel was not timed"
    result["markdown"] = render_markdown(result)
    return result


def render_markdown(result: dict[str, Any]) -> str:
    env = result["environment"]
    memory = result["memory"]
    lines = [
        "### Attention",
        "",
        f"Measured on {env.get('gpu_name') or env.get('cpu')} ({env.get('cpu_threads')} threads), "
        f"torch {env.get('torch')}, triton {env.get('triton')}.",
        "",
        f"Peak extra memory of one causal fp32 attention call (batch 1, {memory['heads']} heads, "
        f"head_dim {memory['head_dim']}), measured as peak-RSS growth in a fresh process. "
        f"Target: {memory['target']} — {'met' if memory['meets_target'] else 'NOT met'}.",
        "",
        "| N | naive extra | tiled extra | tiled / naive | one fp32 score matrix | naive s | tiled s |",
        "|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for row in memory["rows"]:
        lines.append(
            f"| {row['n']} | {_mib(row['naive_extra_bytes'])} | {_mib(row['tiled_extra_bytes'])} | "
            f"{row['tiled_over_naive']:.1%} | {_mib(row['score_matrix_bytes'])} | "
            f"{row['naive_seconds']:.2f} | {row['tiled_seconds']:.2f} |"
        )
    lines.append("")
    cuda = result.get("triton_vs_sdpa")
    if cuda is None:
        lines.append(f"Triton vs SDPA: skipped ({result.get('triton_vs_sdpa_skipped')}).")
    else:
        lines += [
            f"Triton vs SDPA, causal, batch 1, {cuda['heads']} heads, head_dim {cuda['head_dim']} "
            "(max error against an fp32 SDPA result):",
            "",
            "| N | dtype | SDPA ms | Triton ms | Triton / SDPA | Triton TFLOP/s | SDPA max err | Triton max err |",
            "|---:|---|---:|---:|---:|---:|---:|---:|",
        ]
        for row in cuda["rows"]:
            lines.append(
                f"| {row['n']} | {row['dtype']} | {row['sdpa_ms']:.3f} | {row['triton_ms']:.3f} | "
                f"{row['triton_over_sdpa_time']:.2f} | {row['triton_tflops']:.1f} | "
                f"{row['sdpa_max_error']:.1e} | {row['triton_max_error']:.1e} |"
            )
    return "\n".join(lines) + "\n"


def _mib(n: float) -> str:
    return f"{n / 2**20:.1f} MiB"


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "peak":
        print(json.dumps(_peak_child(json.loads(sys.argv[2]))))
    else:
        quick = "--quick" in sys.argv
        print(run_attention_bench(quick)["markdown"])
