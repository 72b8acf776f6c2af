"""Demo: the engine's attention backends side by side — time, memory and error as the sequence grows.

Every backend computes the same function; what differs is how much memory it needs and how
fast it is. ``naive`` builds the whole N x N score matrix, ``tiled`` (FlashAttention's
algorithm in torch) only one block of it at a time, ``sdpa`` is PyTorch's fused kernel and
``triton`` our fused kernel (CUDA only). Errors are measured against float64 on the same inputs.

Memory is measured where it can be measured honestly: on a GPU, ``torch.cuda`` reports the
peak bytes each call allocated; on a CPU, each backend runs once at the largest N in one fresh
process and we read that process's peak RSS growth over each call (the peak reset in between;
see engine.experiments.attention_memory). The analytic size of the score matrix and
of one tiled block are reported next to it.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, register, series

MIN_N = 128


@register(
    "attention_backends",
    title="Attention backends: time, peak memory and error vs sequence length",
    summary=(
        "naive, sdpa and tiled (and triton on a GPU) attention at N = 128 up to max_n: time per call, peak "
        "memory, and max error against float64."
    ),
    params=(
        Param("max_n", int, 1024, help="longest sequence; lengths double from 128 up to it", min=MIN_N, max=4096),
        Param("head_dim", int, 64, help="size of each head", min=16, max=256),
        Param("heads", int, 4, help="attention heads (batch 1)", min=1, max=16),
        Param("causal", bool, True, help="apply the causal mask"),
        Param("dtype", str, "float32", help="dtype of q, k and v", choices=("float32", "bfloat16", "float16")),
        Param("measure_rss", bool, True, help="on a CPU, also measure peak RSS at max_n in a fresh process (~3 s)"),
    ),
    queue="gpu",
)
def attention_backends_demo(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    import torch

    from engine.core.attention import attention, attention_reference_fp64
    from engine.experiments.attention_memory import measure_peak_memory, score_block_bytes, score_matrix_bytes
    from engine.experiments.measure import median_time

    cuda = torch.cuda.is_available()
    device = "cuda" if cuda else "cpu"
    dtype = getattr(torch, params["dtype"])
    heads, d, causal, max_n = params["heads"], params["head_dim"], params["causal"], params["max_n"]
    backends = ["naive", "sdpa", "tiled"] + (["triton"] if cuda else [])
    ns = [n for n in (128, 256, 512, 1024, 2048, 4096) if n <= max_n]
    if ns[-1] != max_n:
        ns.append(max_n)

    rss = {}
    if params["measure_rss"] and not cuda:
        progress(2, "measuring peak RSS in a fresh process")
        jobs = [
            {"backend": b, "n": max_n, "heads": heads, "head_dim": d, "causal": causal, "dtype": params["dtype"]}
            for b in backends
        ]
        rss = {run["backend"]: run["extra_bytes"] for run in measure_peak_memory(jobs, one_process=True)}

    times = {b: [] for b in backends}
    errors = {b: [] for b in backends}
    peaks = {b: [] for b in backends}
    rows = []
    g = torch.Generator().manual_seed(0)
    for step, n in enumerate(ns):
        progress(10 + 85 * step // len(ns), f"N = {n}")
        q, k, v = (torch.randn(1, heads, n, d, generator=g).to(device=device, dtype=dtype) for _ in range(3))
        reference = attention_reference_fp64(q, k, v, causal=causal)
        # Long sequences on a CPU take seconds per call: one timed run, no warm-up, keeps the demo short.
        repeats, warmup = (3, 1) if cuda or n <= 1024 else (1, 0)
        for backend in backends:
            run = lambda: attention(q, k, v, causal=causal, backend=backend)  # noqa: E731
            if cuda:
                torch.cuda.synchronize()
                torch.cuda.reset_peak_memory_stats()
                base = torch.cuda.memory_allocated()
            out = run()
            peak = torch.cuda.max_memory_allocated() - base if cuda else None
            error = (out.double() - reference).abs().max().item()
            seconds = median_time(run, reps=repeats, warmup=warmup, device=device)
            times[backend].append(1000 * seconds)
            errors[backend].append(error)
            peaks[backend].append(peak)
            analytic = {"naive": score_matrix_bytes(n, heads), "tiled": score_block_bytes(n, heads)}.get(backend)
            rows.append([
                n, backend, round(1000 * seconds, 3), float(f"{error:.3g}"),
                _mib(peak) if cuda else "—",
                _mib(analytic) if analytic is not None else "—",
            ])
        del q, k, v, reference

    result = DemoResult(f"Attention backends, N = {ns[0]}…{ns[-1]}, {params['dtype']}, {'causal' if causal else 'full'}")
    _chart(result, "Time per call", "ms", ns, times, log_y=True)
    _chart(result, "Max |error| vs float64", "max abs error", ns, errors, log_y=True)
    if cuda:
        _chart(result, "Peak memory allocated by the call", "MiB", ns, {b: [p / 2**20 for p in peaks[b]] for b in backends}, log_y=True)
    else:
        result.chart("Analytic size of the scores held at once (fp32)", "N", "MiB", [
            series("naive: whole N×N matrix", ns, [score_matrix_bytes(n, heads) / 2**20 for n in ns]),
            series("tiled: one block", ns, [score_block_bytes(n, heads) / 2**20 for n in ns]),
        ], log_x=True, log_y=True)

    for b in backends:
        result.metric(f"{b} time at N={ns[-1]}", round(times[b][-1], 3), "ms")
    for b in backends:
        result.metric(f"{b} max error at N={ns[-1]}", float(f"{errors[b][-1]:.3g}"))
    if cuda:
        for b in backends:
            result.metric(f"{b} peak memory at N={ns[-1]}", round(peaks[b][-1] / 2**20, 2), "MiB")
    for b in rss:
        result.metric(f"{b} peak RSS growth at N={max_n}", round(rss[b] / 2**20, 2), "MiB")
    result.table(["N", "backend", "ms", "max |error|", "peak memory (measured)", "scores held (analytic)"], rows)

    notes = [
        f"{heads} heads, head_dim {d}, {params['dtype']}, {'causal' if causal else 'no mask'}, batch 1, on {device}; "
        "errors are against float64 attention on the same (rounded) inputs.",
        "Time is the median of 3 calls after a warm-up for N ≤ 1024 on a CPU (every N on a GPU); longer CPU runs "
        "are timed once, so they are rougher.",
    ]
    if cuda:
        notes.append("Memory: torch.cuda.max_memory_allocated during one call, minus what was allocated before it.")
    else:
        notes.append(
            "On a CPU no allocator reports a per-call peak, so the memory chart is the analytic size of the scores: "
            f"naive holds the whole fp32 N×N matrix ({_mib(score_matrix_bytes(ns[-1], heads))} at N={ns[-1]}), "
            f"tiled one block per head ({_mib(score_block_bytes(ns[-1], heads))}), whatever N is."
        )
        if rss:
            growth = ", ".join(f"{b} {_mib(rss[b])}" for b in backends)
            notes.append(
                f"Measured peak RSS growth of one call at N={max_n}, in a fresh process (peak reset before each call): {growth}. It includes "
                "the output and softmax's temporary copies, which is why naive needs a few times the score matrix."
            )
        else:
            notes.append("Peak RSS was not measured (measure_rss is off).")
    result.note(*notes)
    return result


def _chart(result: DemoResult, title: str, y_label: str, ns: list[int], values: dict[str, list[float]], log_y: bool) -> None:
    # Exact zeros (a float64 backend, or no error) cannot sit on a log axis: show them at a floor.
    lines = [series(b, ns, [max(y, 1e-12) if log_y else y for y in ys]) for b, ys in values.items()]
    result.chart(title, "N (tokens)", y_label, lines, log_x=True, log_y=log_y)


def _mib(n: float | None) -> str:
    return "—" if n is None else f"{n / 2**20:.2f} MiB"
