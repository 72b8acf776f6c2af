"""Attention benchmarks: what the tiled algorithm saves in memory, and how the Triton kernel compares to SDPA.

``run_attention_bench(quick)`` is what ``python -m engine bench`` calls. Its two measurements:

* **Peak extra memory, tiled vs naive** (any machine), each call in a fresh process (see
  ``engine.experiments.attention_memory``).
* **Triton vs SDPA on CUDA**: causal fp16/bf16 attention at N = 1024 .. 8192, time per call
  (CUDA events, warm-up excluded) and max error against an fp32 SDPA result.
"""
from __future__ import annotations

import sys
from typing import Any

from engine.experiments.attention_memory import attention_inputs, measure_peak_memory, score_matrix_bytes

MEMORY_TARGET = 0.10  # tiled must need at most 10% of naive's extra memory


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

    from engine.core.attention import attention
    from engine.experiments.measure import median_time

    rows = []
    for dtype_name in dtypes:
        dtype = getattr(torch, dtype_name)
        for n in ns:
            q, k, v = attention_inputs(1, heads, n, head_dim, dtype, "cuda")
            reference = attention(q.float(), k.float(), v.float(), backend="sdpa")
            row: dict[str, Any] = {"n": n, "dtype": dtype_name}
            for backend in ("sdpa", "triton"):
                out = attention(q, k, v, backend=backend)
                row[f"{backend}_max_error"] = (out.float() - reference).abs().max().item()
                row[f"{backend}_ms"] = 1000 * median_time(
                    lambda b=backend: attention(q, k, v, backend=b), reps=10, warmup=3, device="cuda"
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
    print(run_attention_bench("--quick" in sys.argv)["markdown"])
