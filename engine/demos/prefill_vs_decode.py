"""Prefill vs decode on the real SmolLM2-135M: why the first token and the rest cost so differently.

Prefill pushes the whole prompt through each weight matrix at once (a matrix-matrix product: many
FLOPs per byte read), decode pushes one token (a matrix-vector product: about 2 FLOPs per 4-byte
weight). The demo times both and measures the machine's copy bandwidth in the same run, so the
decode step can be compared with its floor: every weight byte (and the cache) read once.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series


@register(
    "prefill_vs_decode",
    title="Prefill vs decode: TTFT, TPOT and how close decode gets to the memory-bandwidth floor",
    summary="Times prompt processing and token-by-token generation on SmolLM2-135M and compares the decode step "
    "with the time it takes just to read the weights at the measured bandwidth.",
    params=(
        Param("prompt_len", int, 128, "prompt tokens", min=8, max=2048),
        Param("new_tokens", int, 24, "generated tokens (decode steps)", min=4, max=256),
    ),
    uses_model=True,
)
def prefill_vs_decode(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from engine.core.generate import generate
    from engine.experiments.measure import copy_bandwidth, filler_ids, weight_bytes_read_per_token
    from engine.core.sampling import SamplingParams

    model, _ = load_demo_model(progress)
    prompt_len, new_tokens = params["prompt_len"], params["new_tokens"]
    prompt = filler_ids(prompt_len, model.config.vocab_size)[0].tolist()
    generate(model, prompt[:8], 2, SamplingParams(temperature=0))  # warm-up: first-call allocations
    measured = generate(model, prompt, new_tokens, SamplingParams(temperature=0))
    progress(60, "generation timed")
    bandwidth = copy_bandwidth()
    progress(90, "bandwidth measured")

    params_count = sum(p.numel() for p in {p.data_ptr(): p for p in model.parameters()}.values())
    weight_bytes = weight_bytes_read_per_token(model)
    mean_context = prompt_len + new_tokens / 2
    cache_bytes = measured.cache_bytes * mean_context / (prompt_len + new_tokens)  # cache read by an average step
    floor_s = (weight_bytes + cache_bytes) / bandwidth
    prefill_tps = prompt_len / measured.ttft_s
    decode_tps = measured.tokens_per_s
    # ~2 FLOPs per parameter per token (multiply + add); attention over the prompt is small at these lengths.
    prefill_flops = 2 * params_count * prompt_len / measured.ttft_s
    decode_flops = 2 * params_count / measured.tpot_s
    intensity_prefill = 2 * params_count * prompt_len / weight_bytes
    intensity_decode = 2 * params_count / (weight_bytes + cache_bytes)
    fraction = floor_s / measured.tpot_s

    notes = [
        (f"Prefill handled {prefill_tps:,.0f} tokens/s, decode {decode_tps:,.1f} tokens/s: a prompt token costs "
        f"{decode_tps / prefill_tps:.3f} of what a generated token costs ({prefill_tps / decode_tps:.0f}x cheaper)."),
        (f"Arithmetic intensity: prefill does {intensity_prefill:,.0f} FLOPs per weight byte read, decode "
        f"{intensity_decode:.2f}; prefill ran at {prefill_flops / 1e9:,.1f} GFLOP/s, decode at {decode_flops / 1e9:,.1f} GFLOP/s."),
        (f"Copy bandwidth measured now: {bandwidth / 1e9:.1f} GB/s. Reading {weight_bytes / 1e6:,.0f} MB of weights plus "
        f"{cache_bytes / 1e6:.1f} MB of cache takes at least {floor_s * 1e3:.1f} ms; a decode step took "
        f"{measured.tpot_s * 1e3:.1f} ms, {fraction:.0%} of the bandwidth floor's speed."),
    ]
    if fraction < 0.5:
        notes.append("Well below the floor: per-step overheads (Python, small kernels) or other load on the machine dominate.")
    result = DemoResult(f"Prefill ({prompt_len} tokens) vs decode ({new_tokens} tokens) on SmolLM2-135M")
    result.metric("TTFT", round(measured.ttft_s * 1e3, 2), "ms")
    result.metric("TPOT", round(measured.tpot_s * 1e3, 2), "ms")
    result.metric("prefill throughput", round(prefill_tps, 1), "tokens/s")
    result.metric("decode throughput", round(decode_tps, 2), "tokens/s")
    result.metric("copy bandwidth", round(bandwidth / 1e9, 2), "GB/s")
    result.metric("decode speed / bandwidth floor", round(fraction, 3))
    result.table(["phase", "tokens", "seconds", "tokens/s", "GFLOP/s", "FLOPs per byte read"], [
                ["prefill", prompt_len, round(measured.ttft_s, 4), round(prefill_tps, 1),
                 round(prefill_flops / 1e9, 2), round(intensity_prefill, 1)],
                ["decode", new_tokens - 1, round(measured.tpot_s * (new_tokens - 1), 4), round(decode_tps, 2),
                 round(decode_flops / 1e9, 2), round(intensity_decode, 3)],
            ])
    result.chart("Time of each decode step", "step", "ms", [
        series("decode step", list(range(1, len(measured.step_times_s) + 1)), [round(t * 1e3, 3) for t in measured.step_times_s]),
        series("bandwidth floor", [1, max(1, len(measured.step_times_s))], [round(floor_s * 1e3, 3)] * 2),
    ])
    result.note(*notes)
    result.measured_with(copy_bandwidth_gb_s=round(bandwidth / 1e9, 2))
    return result
