"""KV cache size for well-known models, from their published shapes (a calculator: nothing runs).

Uses engine.formulas, the same functions the bank's numeric questions are graded with.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, register

MODELS = ("gpt2", "smollm2-135m", "llama2-7b", "mistral-7b", "llama2-70b")
DTYPES = ("float32", "float16", "bfloat16", "fp8", "int8")


def _gib(n: float) -> float:
    return round(n / 2**30, 3)


@register(
    "kv_cache_memory",
    title="How big is the KV cache? GPT-2, SmolLM2, LLaMA-2 7B/70B and Mistral-7B",
    summary="Bytes per token and at a chosen length, batch and dtype, next to the weights; "
    "shows what grouped-query attention and a sliding window save.",
    params=(
        Param("seq_len", int, 4096, "tokens per sequence", min=1, max=131072),
        Param("batch", int, 1, "sequences held at once", min=1, max=1024),
        Param("dtype", str, "float16", "element type of the cache (and of the weights)", choices=DTYPES),
    ),
)
def kv_cache_memory(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from engine.formulas import PRESETS, kv_cache_bytes, kv_cache_bytes_per_token, weight_bytes

    seq_len, batch, dtype = params["seq_len"], params["batch"], params["dtype"]
    rows, per_token = [], {}
    for name in MODELS:
        config = PRESETS[name]
        cache = kv_cache_bytes(config, seq_len, batch, dtype)
        weights = weight_bytes(config, dtype)
        per_token[name] = kv_cache_bytes_per_token(config, dtype)
        held = min(seq_len, config.sliding_window) if config.sliding_window else seq_len
        rows.append([
            name, config.n_layers, config.n_heads, config.n_kv_heads, config.head_dim,
            int(per_token[name]), held, cache, _gib(cache), _gib(weights), round(cache / weights, 3),
        ])

    # LLaMA-2-70B uses 8 KV heads for 64 query heads; the same model with multi-head attention:
    gqa_70b = PRESETS["llama2-70b"]
    mha_70b = gqa_70b.with_(n_kv_heads=gqa_70b.n_heads, name="llama2-70b-mha")
    gqa_bytes = kv_cache_bytes(gqa_70b, seq_len, batch, dtype)
    mha_bytes = kv_cache_bytes(mha_70b, seq_len, batch, dtype)
    rows.append([
        "llama2-70b if it were MHA", mha_70b.n_layers, mha_70b.n_heads, mha_70b.n_kv_heads, mha_70b.head_dim,
        int(kv_cache_bytes_per_token(mha_70b, dtype)), seq_len, mha_bytes, _gib(mha_bytes),
        _gib(weight_bytes(mha_70b, dtype)), round(mha_bytes / weight_bytes(mha_70b, dtype), 3),
    ])
    progress(60, "formulas evaluated")

    # Growth with length at this batch and dtype, log-spaced up to 4x the chosen length.
    lengths = sorted({2**i for i in range(6, 18) if 2**i <= max(64, 4 * seq_len)} | {seq_len})
    series = [
        {"name": name, "x": lengths, "y": [_gib(kv_cache_bytes(PRESETS[name], n, batch, dtype)) for n in lengths]}
        for name in MODELS
    ]

    mistral = PRESETS["mistral-7b"]
    mistral_full = kv_cache_bytes(mistral.with_(sliding_window=None), seq_len, batch, dtype)
    mistral_capped = kv_cache_bytes(mistral, seq_len, batch, dtype)
    llama7 = kv_cache_bytes(PRESETS["llama2-7b"], seq_len, batch, dtype)
    weights_7b = weight_bytes(PRESETS["llama2-7b"], dtype)
    notes = [
        (f"LLaMA-2-70B keeps {gqa_70b.n_kv_heads} KV heads for {gqa_70b.n_heads} query heads, so its cache is "
        f"{mha_bytes / gqa_bytes:.0f}x smaller than the multi-head version ({_gib(gqa_bytes)} vs {_gib(mha_bytes)} GiB here)."),
        (f"LLaMA-2-7B: {int(per_token['llama2-7b']):,} bytes per token; at {seq_len:,} tokens x batch {batch} the cache is "
        f"{llama7 / weights_7b:.2f}x the size of the weights ({_gib(llama7)} vs {_gib(weights_7b)} GiB)."),
    ]
    if seq_len > mistral.sliding_window:
        notes.append(
            f"Mistral-7B's {mistral.sliding_window:,}-token window caps its cache at {_gib(mistral_capped)} GiB; "
            f"without it {seq_len:,} tokens would need {_gib(mistral_full)} GiB ({mistral_full / mistral_capped:.1f}x)."
        )
    else:
        notes.append(
            f"At {seq_len:,} tokens Mistral-7B's {mistral.sliding_window:,}-token window does not bind yet; its cache is "
            f"{llama7 / mistral_capped:.1f}x smaller than LLaMA-2-7B's because it keeps {mistral.n_kv_heads} KV heads, "
            f"not {PRESETS['llama2-7b'].n_kv_heads}."
        )
    result = DemoResult(f"KV cache at {seq_len:,} tokens, batch {batch}, {dtype}")
    result.metric("LLaMA-2-7B bytes per token", int(per_token["llama2-7b"]), "bytes")
    result.metric("LLaMA-2-70B cache (GQA)", _gib(gqa_bytes), "GiB")
    result.metric("LLaMA-2-70B cache if MHA", _gib(mha_bytes), "GiB")
    result.metric("SmolLM2-135M cache", _gib(kv_cache_bytes(PRESETS["smollm2-135m"], seq_len, batch, dtype)), "GiB")
    result.table([
                "model", "layers", "query heads", "KV heads", "head dim", "bytes/token",
                "tokens held", "cache bytes", "cache GiB", "weights GiB", "cache / weights",
            ], rows)
    result.chart(
        f"KV cache vs sequence length (batch {batch}, {dtype})",
        "tokens",
        "GiB",
        series,
        log_x=True,
        log_y=True,
    )
    result.note(*notes)
    return result
