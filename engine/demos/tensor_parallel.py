"""Tensor parallelism for real: SmolLM2-135M split across CPU processes that all-reduce over gloo.

A thin wrapper around ``engine.experiments.tensor_parallel``: it runs the ranks as separate processes, then
replays the same tokens through the ordinary single-process model, and compares logits, traffic
and time per decode step.
"""
from __future__ import annotations

import statistics
from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series


def single_process_replay(model, prompt: list[int], fed: list[int]) -> tuple[Any, list[float]]:
    """Logits after the prompt and after each fed token ``[1 + len(fed), V]``, and each decode step's seconds."""
    import time

    import torch

    from engine.core.generate import decode_one_token, prefill
    from engine.core.kv_cache import make_cache

    cache = make_cache("static", model.config, 1, len(prompt) + len(fed) + 1, dtype=model.dtype, device=model.device)
    times = []
    with torch.inference_mode():
        logits = [prefill(model, torch.tensor([prompt], device=model.device), cache)[0]]
        for token in fed:
            start = time.perf_counter()
            logits.append(decode_one_token(model, torch.tensor([[token]], device=model.device), cache)[0])
            times.append(time.perf_counter() - start)
    return torch.stack(logits).float(), times


@register(
    "tensor_parallel",
    title="Tensor parallelism over processes: same logits, two all-reduces per layer, time per step",
    summary="SmolLM2-135M split Megatron-style (column-parallel QKV and gate/up, row-parallel O and down) across CPU "
    "processes talking over torch.distributed gloo; compared with one process.",
    params=(
        Param("prompt", str, "Explain tensor parallelism in one sentence.", "the user message (the chat template is applied)"),
        Param("steps", int, 4, "greedy decode steps timed", min=1, max=32),
        Param("world_size", int, 2, "processes (ranks) the model is split across", min=2, max=3),
    ),
    uses_model=True,
)
def tensor_parallel_demo(params: dict[str, Any], progress: ProgressFn) -> DemoResult:
    from engine.demos._prompts import chat_ids, clean_prompt
    from engine.experiments.measure import torch_threads
    from engine.io.gguf import smollm2_gguf_path
    from engine.experiments.tensor_parallel import run_tensor_parallel, shard_plan

    text = clean_prompt(params["prompt"])
    model, tokenizer = load_demo_model(progress)
    prompt = chat_ids(tokenizer, text)
    world, steps = params["world_size"], params["steps"]
    progress(5, f"starting {world} processes")

    def on_rank_progress(step: int, message: str) -> None:
        progress(5 + int(60 * step / steps), f"rank 0: {message}")

    tp = run_tensor_parallel(smollm2_gguf_path(), prompt, steps, world=world, progress=on_rank_progress)
    progress(70, "tensor-parallel run done; replaying in one process")
    with torch_threads(1):
        single_logits, single_1 = single_process_replay(model, prompt, tp["tokens"])
    with torch_threads(world):
        _, single_w = single_process_replay(model, prompt, tp["tokens"])
    progress(95, "single-process runs done")

    config = model.config
    delta = float((tp["logits"].float() - single_logits).abs().max())
    same_tokens = single_logits[:-1].argmax(-1).tolist() == tp["tokens"]
    per_step_reduces = tp["decode_all_reduces"] / steps
    per_step_bytes = tp["decode_bytes"] / steps
    per_layer_bytes = per_step_bytes / config.n_layers
    ring_bytes = 2 * (world - 1) / world * per_step_bytes  # what each rank sends in a ring all-reduce
    reduce_ms = 1e3 * tp["decode_all_reduce_s"] / steps
    call_us = 1e3 * reduce_ms / per_step_reduces
    ms = {
        "one process, 1 thread": 1e3 * statistics.median(single_1),
        f"one process, {world} threads": 1e3 * statistics.median(single_w),
        f"{world} processes x 1 thread (TP)": 1e3 * statistics.median(tp["step_s"]),
    }
    tp_label = f"{world} processes x 1 thread (TP)"
    rows = [
        ["one process, 1 thread", 1, 1, round(ms["one process, 1 thread"], 2), 0, 0],
        [f"one process, {world} threads", 1, world, round(ms[f"one process, {world} threads"], 2), 0, 0],
        [tp_label, world, 1, round(ms[tp_label], 2), round(per_step_reduces, 1), int(per_step_bytes)],
    ]
    plans = [shard_plan(config, rank, world) for rank in range(world)]
    split = "; ".join(
        f"rank {p.rank}: query heads {p.q_heads.start}-{p.q_heads.stop - 1}, KV heads {p.kv_heads.start}-{p.kv_heads.stop - 1}, "
        f"MLP units {p.ff.start}-{p.ff.stop - 1}" for p in plans
    )
    holders = [sum(h in p.kv_heads for p in plans) for h in range(config.n_kv_heads)]
    shared_kv = [h for h, n in enumerate(holders) if n > 1]
    notes = [
        (f"Logits of the {world}-process run differ from one process by at most {delta:.3g} over {len(tp['logits'])} "
         f"positions (float32; the ranks' partial sums are added in another order than one matmul adds them); greedy "
         f"tokens {'identical' if same_tokens else 'differ'}."),
        (f"Each decode step ran {per_step_reduces:g} all-reduces ({per_step_reduces / config.n_layers:g} per layer: after "
         f"attention and after the MLP) moving {per_layer_bytes:g} bytes per layer ({int(per_step_bytes)} bytes per step, "
         f"= 2 x d_model {config.d_model} x 4 bytes per layer per token). A ring all-reduce sends 2(W-1)/W of that per "
         f"rank: {int(ring_bytes)} bytes per step."),
        (f"Time per decode step: {ms[tp_label]:.1f} ms with {world} processes against {ms['one process, 1 thread']:.1f} ms "
         f"in one single-threaded process and {ms[f'one process, {world} threads']:.1f} ms with {world} threads; "
         f"{reduce_ms:.1f} ms of each TP step was spent inside all-reduces: {call_us:.0f} µs per call of "
         f"{per_step_bytes / per_step_reduces:g} bytes ({per_step_bytes / per_step_reduces / call_us:.2f} MB/s), waiting "
         "for the slower rank included. At this size a fixed cost per call, not the bytes, sets the time."),
        f"The split: {split}." + (
            f" KV head{'s' if len(shared_kv) > 1 else ''} {', '.join(map(str, shared_kv))} "
            f"serve{'' if len(shared_kv) > 1 else 's'} query heads on both sides "
            f"of a split, so more than one rank holds a copy: {config.n_heads} query heads in {config.n_kv_heads} groups "
            f"do not divide into {world} equal whole groups." if shared_kv else " Every KV head lives on exactly one rank."),
    ]
    result = DemoResult(f"Tensor parallelism across {world} processes (gloo) vs one process, SmolLM2-135M")
    result.metric("max |Δlogit| vs one process", float(f"{delta:.3g}"))
    result.metric("all-reduce bytes per layer per token", int(per_layer_bytes), "bytes")
    result.metric("TP step / single-process step (1 thread)", round(ms[tp_label] / ms["one process, 1 thread"], 2), "x")
    result.table(["configuration", "processes", "threads each", "median ms per decode step", "all-reduces per step",
                  "bytes all-reduced per step"], rows)
    x = range(1, steps + 1)
    result.chart("Time per decode step", "decode step", "ms", [
        series("one process, 1 thread", x, [round(1e3 * t, 2) for t in single_1]),
        series(f"one process, {world} threads", x, [round(1e3 * t, 2) for t in single_w]),
        series(tp_label, x, [round(1e3 * t, 2) for t in tp["step_s"]]),
    ])
    return result.note(*notes).measured_with(tensor_parallel_backend="gloo", world_size=world)
