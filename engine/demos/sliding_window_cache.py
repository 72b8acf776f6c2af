"""Cache memory over a long generation: a dynamic cache grows with every token, a sliding one stops at W.

Runs the real SmolLM2-135M with the same greedy decode through both caches and records the cache
bytes after every step. SmolLM2 was trained with full attention, so the windowed run is an
approximation once the text outgrows W; the demo reports how many tokens still agree.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series

PROMPT = "Write a long, detailed story about a lighthouse keeper who finds a message in a bottle."


@register(
    "sliding_window_cache",
    title="Sliding-window KV cache: constant memory over a long generation",
    summary="Cache bytes after every generated token on SmolLM2-135M: a growing (dynamic) cache vs a ring buffer of W tokens.",
    params=(
        Param("window", int, 48, "tokens the sliding cache keeps", min=4, max=1024),
        Param("new_tokens", int, 40, "tokens to generate", min=8, max=512),
    ),
    uses_model=True,
)
def sliding_window_cache(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    import torch

    from engine.formulas import kv_cache_bytes
    from engine.core.generate import decode_one_token, prefill
    from engine.core.kv_cache import make_cache

    model, tokenizer = load_demo_model(progress)
    prompt = tokenizer.encode_chat([{"role": "user", "content": PROMPT}])
    window, steps = params["window"], params["new_tokens"]

    def run(kind: str) -> tuple[list[int], list[int], list[int]]:
        cache = make_cache(kind, model.config, 1, len(prompt) + steps, window=window if kind == "sliding" else None)
        with torch.inference_mode():
            logits = prefill(model, torch.tensor([prompt]), cache)
            tokens, lengths, held = [], [], []
            for _ in range(steps):
                token = logits.argmax(dim=-1, keepdim=True)  # greedy: both runs see the same rule
                tokens.append(int(token))
                logits = decode_one_token(model, token, cache)
                lengths.append(cache.seq_len)
                held.append(cache.bytes_in_use)
        return tokens, lengths, held

    dyn_tokens, lengths, dyn_bytes = run("dynamic")
    progress(50, "dynamic cache done")
    win_tokens, _, win_bytes = run("sliding")
    progress(95, "sliding cache done")

    agree = next((i for i, (a, b) in enumerate(zip(dyn_tokens, win_tokens)) if a != b), len(dyn_tokens))
    windowed = model.config.with_(sliding_window=window)
    formula_ok = win_bytes[-1] == kv_cache_bytes(windowed, lengths[-1], 1, "float32")
    stride = max(1, len(lengths) // 16)
    rows = [[lengths[i], dyn_bytes[i], win_bytes[i], round(dyn_bytes[i] / win_bytes[i], 2)]
            for i in range(0, len(lengths), stride)]
    if rows[-1][0] != lengths[-1]:
        rows.append([lengths[-1], dyn_bytes[-1], win_bytes[-1], round(dyn_bytes[-1] / win_bytes[-1], 2)])
    notes = [
        (f"After {lengths[-1]} positions the dynamic cache holds {dyn_bytes[-1] / 2**20:.2f} MiB and keeps growing by "
        f"{(dyn_bytes[-1] - dyn_bytes[-2]) / 1024:.1f} KiB per token; the sliding cache has stayed at "
        f"{win_bytes[-1] / 2**20:.2f} MiB since position {window} ({dyn_bytes[-1] / win_bytes[-1]:.1f}x less)."),
        f"The sliding cache's size {'matches' if formula_ok else 'does not match'} kv_cache_bytes with sliding_window={window}.",
        f"Greedy outputs agree for the first {agree} of {steps} tokens: "
        + ("the window never cut off anything the model attended to." if agree == steps
           else "beyond that the model, trained with full attention, no longer sees the early tokens and the text diverges."),
    ]
    result = DemoResult(f"KV cache bytes: dynamic vs sliding window of {window} tokens")
    result.metric("dynamic cache at the end", round(dyn_bytes[-1] / 2**20, 3), "MiB")
    result.metric("sliding cache at the end", round(win_bytes[-1] / 2**20, 3), "MiB")
    result.metric("tokens identical to full attention", agree, "tokens")
    result.table(["positions", "dynamic bytes", "sliding bytes", "dynamic / sliding"], rows)
    result.chart("Cache bytes during generation", "positions processed", "MiB", [
        series("dynamic", lengths, [round(b / 2**20, 4) for b in dyn_bytes]),
        series(f"sliding (W={window})", lengths, [round(b / 2**20, 4) for b in win_bytes]),
    ])
    result.note(*notes)
    result.extra('text', {"dynamic": tokenizer.decode(dyn_tokens), "sliding": tokenizer.decode(win_tokens)})
    return result
