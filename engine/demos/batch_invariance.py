"""Is greedy decoding batch-invariant? The same prompt alone, among copies of itself, and in a padded batch.

SmolLM2-135M decodes one prompt greedily three ways:

* alone (batch 1, no mask: the ordinary generation path);
* as row 0 of a batch of identical copies (no padding: only the batch size changes);
* as row 0 of a batch of different, longer prompts, so it is left-padded, masked and positioned
  per row (``engine.serving.batching.PaddedBatch``, what static batching does).

For each step the demo keeps row 0's logits. Until the outputs diverge the inputs are identical,
so any difference comes from the arithmetic alone: kernels that pick a different blocking, and
so a different floating-point summation order, for a different batch shape or a masked attention.
"""
from __future__ import annotations

from collections.abc import Callable
from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series

# Other users' requests that share the batch; each is longer than the default prompt, so row 0 is padded.
NEIGHBOURS = [
    "Explain in detail how a refrigerator moves heat from inside to outside.",
    "Write a polite email to a landlord asking to repair a leaking kitchen tap this week.",
    "What are the main differences between a violin, a viola and a cello?",
    "Give me a three-day walking itinerary for Lisbon with places to eat.",
    "Summarise the plot of a detective story set on a night train across Europe.",
    "How do vaccines train the immune system to recognise a virus it has never met?",
    "Describe the water cycle for a ten-year-old, with one everyday example per stage.",
    "Why do leaves change colour in autumn, and why are some years more vivid than others?",
]


def greedy_trace(prefill: Callable, step: Callable, steps: int, stop_id: int | None):
    """Greedy decoding of a batch; returns row 0's tokens and the logits ``[V]`` that chose each of them."""
    tokens, logits_seen = [], []
    logits = prefill()  # [B, V]
    for i in range(steps):
        logits_seen.append(logits[0].float().clone())
        next_ids = logits.argmax(dim=-1)  # [B]
        tokens.append(int(next_ids[0]))
        if tokens[-1] == stop_id or i == steps - 1:
            break
        logits = step(next_ids)
    return tokens, logits_seen


def compare(reference: tuple[list[int], list], other: tuple[list[int], list]) -> dict[str, Any]:
    """Logit drift while the two runs still had identical inputs, and where their tokens first differ."""
    ref_tokens, ref_logits = reference
    tokens, logits = other
    drift: list[float] = []
    first_divergence = None
    for i, (a, b) in enumerate(zip(ref_logits, logits)):
        drift.append(float((a - b).abs().max()))
        if ref_tokens[i] != tokens[i]:
            first_divergence = i + 1  # 1-based token index; later logits follow different inputs
            break
    identical = first_divergence is None and ref_tokens == tokens
    return {"drift": drift, "first_divergence": first_divergence, "identical": identical}


@register(
    "batch_invariance",
    title="Batch invariance: one greedy prompt alone vs inside a batch",
    summary="SmolLM2-135M decodes the same prompt alone, among copies of itself and inside a left-padded batch: "
    "maximum logit difference, first divergent token, and whether the greedy text changes.",
    params=(
        Param("prompt", str, "Name three uses of copper.", "the user message decoded in every setting"),
        Param("batch_size", int, 8, "rows in the batched runs (the prompt is row 0)", min=2, max=16),
        Param("max_new_tokens", int, 12, "greedy tokens per run", min=2, max=64),
    ),
    uses_model=True,
)
def batch_invariance(params: dict[str, Any], progress: ProgressFn) -> DemoResult:
    import torch

    from engine.serving.batching import PaddedBatch
    from engine.demos._prompts import chat_ids, clean_prompt
    from engine.experiments.measure import one_thread
    from engine.core.kv_cache import make_cache

    text = clean_prompt(params["prompt"])
    model, tokenizer = load_demo_model(progress)
    prompt = chat_ids(tokenizer, text)
    batch, steps, eos = params["batch_size"], params["max_new_tokens"], tokenizer.eos_token_id
    device = model.device

    def unpadded(rows: int) -> tuple[Callable, Callable]:
        """The ordinary path: ``rows`` copies of the prompt, no mask, positions implied by the cache."""
        cache = make_cache("static", model.config, rows, len(prompt) + steps, dtype=model.dtype, device=device)
        ids = torch.tensor([prompt], device=device).expand(rows, -1)
        return (lambda: model(ids, cache=cache, last_token_only=True)[:, -1],
                lambda next_ids: model(next_ids[:, None], cache=cache)[:, -1])

    others = [chat_ids(tokenizer, NEIGHBOURS[i % len(NEIGHBOURS)]) for i in range(batch - 1)]
    padded = PaddedBatch(model, [prompt, *others], steps)
    runs = [
        ("alone (batch 1)", unpadded(1)),
        (f"{batch} copies, no padding", unpadded(batch)),
        (f"padded batch of {batch}", (padded.prefill, padded.step)),
    ]
    traces = {}
    # One intra-op thread: on a shared 2-core machine a second one mostly adds contention, and the drift
    # measured depends on the kernels' blocking, which depends on the thread count (so it is recorded).
    with torch.inference_mode(), one_thread():
        for i, (label, (prefill, step)) in enumerate(runs):
            traces[label] = greedy_trace(prefill, step, steps, eos)
            progress(5 + 30 * (i + 1), label)

    alone_label = runs[0][0]
    alone = traces[alone_label]
    pad_tokens = padded.width - len(prompt)
    rows, lines = [], []
    results = {}
    for label, _ in runs:
        result = compare(alone, traces[label])
        results[label] = result
        rows.append([
            label, f"{max(result['drift']):.3g}", result["first_divergence"] or "none", "yes" if result["identical"] else "no",
            tokenizer.decode(traces[label][0], skip_special_tokens=True),
        ])
        lines.append(series(label, range(1, len(result["drift"]) + 1), result["drift"]))

    copies, padded_result = results[runs[1][0]], results[runs[2][0]]
    spread = float(alone[1][0].max() - alone[1][0].min())
    notes = [
        (f"Among {batch} identical copies the logits moved by up to {max(copies['drift']):.3g}; as row 0 of a batch "
         f"of different prompts (left-padded by {pad_tokens} tokens) by up to {max(padded_result['drift']):.3g}. "
         f"For scale, the first step's logits span {spread:.1f}."),
    ]
    for label in (runs[1][0], runs[2][0]):
        result = results[label]
        if result["first_divergence"] is not None:
            k = result["first_divergence"] - 1
            top2 = alone[1][k].topk(2).values
            notes.append(
                f"{label}: greedy output diverged at token {k + 1}, where the alone run's top two logits were only "
                f"{float(top2[0] - top2[1]):.3g} apart, smaller than the drift: from there on the texts differ."
            )
        else:
            notes.append(f"{label}: the greedy text is identical for all {len(alone[0])} tokens: no drift reached a top-two gap.")
    if max(copies["drift"]) == 0 and max(padded_result["drift"]) == 0:
        notes.append("Bit-identical: on this machine the kernels kept one summation order for every batch shape tried.")
    else:
        notes.append(
            "The inputs were identical, so the drift is floating-point reduction order: matmul and attention kernels "
            "block the work differently for other batch shapes and for masked (padded) attention. Batch-invariant "
            "kernels fix the order per row, at some speed cost."
        )
    result = DemoResult(f"Greedy decoding alone vs inside a batch of {batch} on SmolLM2-135M")
    result.metric("max |Δlogit|, copies", float(f"{max(copies['drift']):.3g}"))
    result.metric("max |Δlogit|, padded batch", float(f"{max(padded_result['drift']):.3g}"))
    result.metric("greedy output changed in the padded batch", "no" if padded_result["identical"] else "yes")
    result.table(["run", "max |Δlogit| vs alone", "first divergent token", "same greedy text", "text"], rows)
    result.chart("Row 0's logit difference from the alone run, per step (until divergence)", "generated token",
                 "max |Δlogit|", lines[1:])
    return result.note(*notes).measured_with(torch_threads=1)
