"""Batch size: throughput vs per-token latency for one decode step of SmolLM2-135M.

A decode step reads every weight once whatever the batch, so while that read dominates, more rows
are nearly free: tokens/s climbs and latency barely moves. Once the matmuls become compute-bound
(or attention over the batch's caches grows), each extra row costs real time and latency rises.
The cache is filled with ``context`` positions directly (no prefill): a step's cost depends on how
many keys it reads, not on their values.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series


def batch_sizes_up_to(limit: int) -> list[int]:
    sizes, b = [], 1
    while b < limit:
        sizes.append(b)
        b *= 2
    return [*sizes, limit]


@register(
    "batch_size_tradeoff",
    title="Batch size: decode throughput vs per-token latency on SmolLM2-135M",
    summary="One decode step at batch 1, 2, 4, ...: tokens per second for the server vs milliseconds per token for each user.",
    params=(
        Param("max_batch", int, 32, "largest batch measured (sizes double from 1)", min=1, max=128),
        Param("context", int, 128, "tokens already in each sequence's KV cache", min=1, max=2048),
        Param("reps", int, 3, "timed steps per batch size (the median is kept)", min=1, max=10),
    ),
    uses_model=True,
)
def batch_size_tradeoff(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    import torch

    from engine.experiments.measure import one_thread
    from engine.core.kv_cache import make_cache
    from engine.experiments.measure import median_time

    model, _ = load_demo_model(progress)
    context = params["context"]
    sizes = batch_sizes_up_to(params["max_batch"])
    rows, latency_ms, throughput = [], [], []
    with one_thread(), torch.inference_mode():
        for i, batch in enumerate(sizes):
            cache = make_cache("static", model.config, batch, context + 1, dtype=model.dtype, device=model.device)
            token = torch.full((batch, 1), 100, dtype=torch.long, device=model.device)

            def step(cache=cache, token=token) -> None:  # bound now: the loop rebinds both names
                cache.seq_len = context  # every rep decodes the same position
                model(token, cache=cache)

            seconds = median_time(step, reps=params["reps"], warmup=1, device=model.device)
            latency_ms.append(round(seconds * 1e3, 2))
            throughput.append(round(batch / seconds, 1))
            rows.append([batch, latency_ms[-1], throughput[-1], round(latency_ms[-1] / latency_ms[0], 2)])
            progress(10 + int(85 * (i + 1) / len(sizes)), f"batch {batch}")
    best = max(range(len(sizes)), key=lambda i: throughput[i])
    last = len(sizes) - 1
    result = DemoResult(f"SmolLM2-135M decode step, {context} cached tokens per sequence: batch size trade-off")
    result.metric("throughput at batch 1", throughput[0], "tok/s")
    result.metric(f"throughput at batch {sizes[best]} (best)", throughput[best], "tok/s")
    result.metric(f"latency growth from batch 1 to {sizes[last]}", rows[last][3], "x")
    result.table(["batch", "ms per step (= per token per user)", "tokens / s (all users)", "latency vs batch 1"], rows)
    result.chart("Throughput", "batch size", "tokens / s", [series("decode throughput", sizes, throughput)], log_x=True)
    result.chart("Latency of one step", "batch size", "ms", [
        series("time per decode step", sizes, latency_ms),
    ], log_x=True)
    result.note(
        f"Going from batch 1 to {sizes[last]} multiplied throughput by {throughput[last] / throughput[0]:.1f}x while each "
            f"user's time per token grew {rows[last][3]}x: the weights are read once per step and shared by every row.",
        f"The batch that maximised throughput here was {sizes[best]}. Past the point where a step stops being bound by "
            "reading weights, throughput flattens and latency grows in proportion to the batch: the knee is where a "
            "latency target caps the batch size.",
        "Measured on this machine's CPU with one thread; a GPU has far more compute per byte of bandwidth, so its "
            "knee sits at much larger batches.",
    )
    result.measured_with(timing_threads=1)
    return result
