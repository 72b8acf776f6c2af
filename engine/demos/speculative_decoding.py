"""Speculative decoding on SmolLM2-135M: draft cheaply, verify k tokens in one target pass.

The prompt asks the model to repeat a passage, so its answer quotes the prompt: the situation
prompt-lookup drafting is built for. The early-exit drafter (the model's own first layers) shows
the other side: when the draft rarely agrees with the target, verification is pure overhead.
Greedy either way, so the output must equal plain greedy decoding token for token.
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register


@register(
    "speculative_decoding",
    title="Speculative decoding: prompt-lookup and early-exit drafts vs plain greedy decoding",
    summary="On SmolLM2-135M with a prompt the answer quotes: acceptance rate, tokens per target pass, "
    "decode speed-up, and a check that the output is unchanged.",
    params=(
        Param("drafter", str, "prompt_lookup", "where draft tokens come from", choices=("prompt_lookup", "early_exit")),
        Param("k", int, 2, "draft tokens verified per target pass", min=1, max=8),
        Param("max_new_tokens", int, 32, "tokens to generate", min=8, max=160),
        Param("early_exit_layers", int, 8, "layers the early-exit drafter runs (of 30)", min=1, max=29),
    ),
    uses_model=True,
)
def speculative_decoding(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from engine.experiments.serving import quoting_prompt, speculative_speedup
    from engine.experiments.measure import one_thread

    model, tokenizer = load_demo_model(progress)
    with one_thread():
        r = speculative_speedup(
            # A passage a little longer than the answer: quoting is what prompt lookup exploits, and a
            # longer passage would only lengthen the prompt pass both sides pay alike.
            model, quoting_prompt(tokenizer, words=max(30, params["max_new_tokens"])), params["max_new_tokens"],
            k=params["k"], drafter=params["drafter"],
            reps=1, early_exit_layers=params["early_exit_layers"],
        )
    progress(95, "measured")
    drafter = "prompt lookup" if r["drafter"] == "prompt_lookup" else f"early exit after {params['early_exit_layers']} layers"
    notes = [
        (f"{drafter}, k={r['k']}: {r['acceptance_rate']:.0%} of draft tokens were accepted, so each target pass produced "
        f"{r['tokens_per_target_forward']:.2f} tokens on average instead of 1 ({r['target_forwards']} verification passes "
        f"for {r['new_tokens']} tokens)."),
        (f"Decode phase: {r['plain_decode_tokens_per_s']:.1f} -> {r['speculative_decode_tokens_per_s']:.1f} tokens/s "
        f"({r['decode_speedup']:.2f}x); end to end, with the identical prompt pass included, {r['end_to_end_speedup']:.2f}x."),
        (f"Output identical to plain greedy decoding: {r['identical_output']}. Greedy verification accepts a draft only if "
        "it is the target's own argmax, so only speed can change, never text."),
        ("On this CPU a pass over k + 1 tokens costs noticeably more than over 1 (the matmuls are not purely "
        "bandwidth-bound here), so a small k wins; on a GPU the extra positions are nearly free and larger k pays."),
    ]
    text = tokenizer.decode(r["tokens"])
    notes.append(f"The answer begins: \u201c{text[:160]}{'...' if len(text) > 160 else ''}\u201d")
    if r["drafter"] == "early_exit":
        notes.append(
            "SmolLM2's early layers alone predict the final layer's choice poorly, so the self-speculative draft is rarely "
            "accepted and its own passes are pure overhead: a useful draft must agree with the target most of the time."
        )
    result = DemoResult(f"Speculative decoding on SmolLM2-135M ({drafter}, k={r['k']})")
    result.metric("decode speed-up", round(r["decode_speedup"], 2), "x")
    result.metric("acceptance rate", round(100 * r["acceptance_rate"], 1), "%")
    result.metric("tokens per target pass", round(r["tokens_per_target_forward"], 2))
    result.metric("output identical to greedy", "yes" if r["identical_output"] else "no")
    result.table(["", "plain greedy", "speculative"], [
                ["decode tokens / s", round(r["plain_decode_tokens_per_s"], 1), round(r["speculative_decode_tokens_per_s"], 1)],
                ["total seconds (prompt pass included)", round(r["plain_s"], 2), round(r["speculative_s"], 2)],
                ["target passes after the prompt", r["new_tokens"] - 1, r["target_forwards"]],
            ])
    result.note(*notes)
    result.measured_with(timing_threads=1)
    return result
