"""MHA vs GQA vs MQA at equal model width: KV cache bytes and decode time.

Builds three random-init models that differ only in n_kv_heads (n_heads, n_heads / groups, 1);
weights do not matter for memory or speed, only shapes do.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoParamError, DemoResult, Param, ProgressFn, register, series


def variants(n_heads: int, groups: int) -> list[tuple[str, int]]:
    """(label, n_kv_heads) for MHA, GQA with ``groups`` KV heads, and MQA."""
    if n_heads % groups:
        raise DemoParamError("groups", f"must divide n_heads ({n_heads}), got {groups}")
    return [("MHA", n_heads), (f"GQA ({groups} groups)", groups), ("MQA", 1)]


@register(
    "mha_gqa_mqa",
    title="Multi-head vs grouped-query vs multi-query attention: cache size and decode speed",
    summary="Three models of equal width that differ only in how many key/value heads they keep.",
    params=(
        Param("n_heads", int, 8, "query heads", min=2, max=32),
        Param("groups", int, 2, "KV heads of the GQA variant (must divide n_heads)", min=2, max=16),
        Param("head_dim", int, 64, "dimensions per head", min=16, max=128),
        Param("n_layers", int, 4, "layers", min=1, max=16),
        Param("context_len", int, 1024, "tokens already in the cache when decode is timed", min=16, max=8192),
        Param("batch", int, 4, "sequences decoded together", min=1, max=32),
        Param("reps", int, 5, "timed decode steps (median kept)", min=1, max=20),
    ),
)
def mha_gqa_mqa(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from engine.core.config import ModelConfig
    from engine.formulas import kv_cache_bytes, param_count
    from engine.io.loader import build_model
    from engine.experiments.measure import DecodeStepper, filler_ids, interleaved_median_times

    n_heads, groups = params["n_heads"], params["groups"]
    if groups >= n_heads:
        raise DemoParamError("groups", f"must be less than n_heads ({n_heads}) to differ from MHA, got {groups}")
    runs = variants(n_heads, groups)
    d_model = n_heads * params["head_dim"]
    context, batch = params["context_len"], params["batch"]
    steppers, configs = {}, {}
    for i, (label, n_kv) in enumerate(runs):
        configs[label] = ModelConfig(
            name=label, vocab_size=4096, d_model=d_model, n_layers=params["n_layers"], n_heads=n_heads,
            n_kv_heads=n_kv, d_ff=4 * d_model, max_seq_len=context + params["reps"] + 8,
        )
        model = build_model(configs[label], seed=i)
        steppers[label] = DecodeStepper(model, context, "static", batch, filler_ids(context + 1, 4096), params["reps"] + 2)
        progress(10 + 15 * (i + 1), f"{label}: {context} tokens prefilled")
    seconds = interleaved_median_times({label: s.step for label, s in steppers.items()}, reps=params["reps"])
    progress(90, "decode timed")
    rows, results = [], []
    for label, n_kv in runs:
        measured = steppers[label].cache.bytes_in_use
        predicted = kv_cache_bytes(configs[label], steppers[label].cache.seq_len, batch, "float32")
        results.append((label, n_kv, measured, seconds[label], predicted))
        rows.append([label, n_kv, measured, predicted, round(measured / 2**20, 2), round(seconds[label] * 1e3, 3),
                     param_count(configs[label])])

    mha, gqa, mqa = results
    formula_matches = all(r[2] == r[4] for r in results)
    notes = [
        f"The cache shrinks with the KV head count: MHA holds {mha[2] / 2**20:.1f} MiB, GQA {gqa[2] / 2**20:.1f} MiB "
        f"({mha[2] / gqa[2]:.0f}x less), MQA {mqa[2] / 2**20:.1f} MiB ({mha[2] / mqa[2]:.0f}x less); the measured bytes "
        + ("equal" if formula_matches else "differ from")
        + " the formula 2 x layers x KV heads x head_dim x tokens x batch x 4 bytes.",
        (f"Decode step with {context} cached tokens x batch {batch}: MHA {mha[3] * 1e3:.2f} ms, GQA {gqa[3] * 1e3:.2f} ms, "
        f"MQA {mqa[3] * 1e3:.2f} ms (MHA / MQA = {mha[3] / mqa[3]:.2f}x)."),
    ]
    speedup = mha[3] / mqa[3]
    if speedup >= 1.1:
        notes.append("Fewer KV heads means fewer cache bytes to read per step; once the cache rivals the weights, that is where the time goes.")
    elif speedup > 0.9:
        notes.append(
            "The times are within 10% of each other: at this size a step is dominated by the weight matmuls, not by "
            "reading the cache. Raise context_len or batch to make cache reads matter."
        )
    else:
        notes.append("MQA measured slower than MHA here, which points to noise from other work on this machine; run it again.")

    result = DemoResult(f"MHA / GQA / MQA at d_model {d_model}: cache and decode time")
    result.metric("cache MHA / MQA", round(mha[2] / mqa[2], 2), "x")
    result.metric("decode time MHA / MQA", round(mha[3] / mqa[3], 2), "x")
    result.table(["variant", "KV heads", "cache bytes (measured)", "cache bytes (formula)", "cache MiB",
                        "decode ms/step", "parameters"], rows)
    result.chart("KV cache and decode time by KV head count", "KV heads", "ms per decode step", [
        series("decode ms/step", [r[1] for r in results], [round(r[3] * 1e3, 3) for r in results]),
    ])
    result.note(*notes)
    return result
