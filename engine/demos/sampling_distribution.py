"""What temperature, top-k, top-p and min-p do to the real model's next-token distributions, step by step.

SmolLM2-135M answers a prompt greedily; one forward pass over prompt + answer then gives the
distribution the model had at every answer position. Each setting is applied to those same
distributions with the engine's ``process_logits`` (HF's processors and order: temperature first,
then top-k, top-p, min-p), and per step the demo measures

* the entropy (nats) of the distribution a sampler would draw from, and
* the candidate-set size: how many tokens keep a non-zero probability.

Because every setting sees identical distributions, the differences are the settings' alone.
"""
from __future__ import annotations

import statistics
from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series


def settings_for(params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    t, k, p, m = params["temperature"], params["top_k"], params["top_p"], params["min_p"]
    return [
        ("temperature 1 (unfiltered)", {"temperature": 1.0}),
        (f"temperature {t:g}", {"temperature": t}),
        (f"top-k {k}", {"top_k": k}),
        (f"top-p {p:g}", {"top_p": p}),
        (f"min-p {m:g}", {"min_p": m}),
        (f"temperature {t:g} + top-p {p:g}", {"temperature": t, "top_p": p}),
        (f"temperature {t:g} + min-p {m:g}", {"temperature": t, "min_p": m}),
    ]


def entropy_and_support(logits) -> tuple[list[float], list[int]]:
    """Per row of processed logits ``[N, V]``: entropy in nats and the number of tokens left with p > 0."""
    import torch

    probs = logits.float().softmax(dim=-1)
    logp = torch.where(probs > 0, probs.log(), torch.zeros_like(probs))
    entropy = -(probs * logp).sum(dim=-1)
    return [round(float(h), 3) for h in entropy], [int(n) for n in (probs > 0).sum(dim=-1)]


@register(
    "sampling_distribution",
    title="Temperature, top-k, top-p and min-p on SmolLM2's real next-token distributions",
    summary="The same per-step distributions of SmolLM2-135M under seven sampling settings: entropy and candidate-set "
    "size at every step.",
    params=(
        Param("prompt", str, "Write a short story about a lighthouse keeper.", "the user message (the chat template is applied)"),
        Param("steps", int, 32, "answer positions measured (the model's greedy answer)", min=4, max=128),
        Param("temperature", float, 1.5, "the raised temperature compared with 1", min=0.05, max=5.0),
        Param("top_k", int, 20, "k of top-k", min=1, max=1000),
        Param("top_p", float, 0.9, "p of top-p (nucleus)", min=0.01, max=1.0),
        Param("min_p", float, 0.1, "min-p: keep tokens at least this fraction of the top token's probability", min=0.0, max=1.0),
    ),
    uses_model=True,
)
def sampling_distribution(params: dict[str, Any], progress: ProgressFn) -> DemoResult:
    import torch

    from engine.demos._prompts import chat_ids, clean_prompt
    from engine.core.generate import generate
    from engine.core.sampling import SamplingParams, process_logits

    text = clean_prompt(params["prompt"])
    model, tokenizer = load_demo_model(progress)
    prompt = chat_ids(tokenizer, text)
    answer = generate(model, prompt, params["steps"], SamplingParams(temperature=0.0)).tokens  # no stop: every step counts
    progress(60, f"{len(answer)} answer tokens generated")
    with torch.inference_mode():
        seq = torch.tensor([prompt + answer], device=model.device)
        logits = model(seq)[0, len(prompt) - 1 : -1].float()  # [N, V]: the distribution before each answer token
    top_prob = logits.softmax(-1).amax(-1)  # how confident the model was at each step
    steps = list(range(1, len(answer) + 1))

    rows, per_setting = [], {}
    for label, settings in settings_for(params):
        entropy, support = entropy_and_support(process_logits(logits, None, SamplingParams(**settings)))
        per_setting[label] = (entropy, support)
        rows.append([label, round(statistics.mean(entropy), 3), round(statistics.median(support), 1), min(support), max(support)])
    progress(95, "settings applied")

    labels = [label for label, _ in settings_for(params)]
    raw, hot, top_k, top_p, min_p, hot_top_p, hot_min_p = (per_setting[label] for label in labels)
    confident = [i for i, p in enumerate(top_prob.tolist()) if p >= 0.9]
    unsure = [i for i, p in enumerate(top_prob.tolist()) if p < 0.5]
    notes = [
        (f"Unfiltered, the model's entropy ranged from {min(raw[0])} to {max(raw[0])} nats per step (mean {rows[0][1]}); "
         f"temperature {params['temperature']:g} moved the mean to {rows[1][1]} nats. Temperature reshapes the distribution "
         f"but removes nothing: all {max(raw[1])} tokens stay candidates."),
        (f"{labels[2]} kept {_span(top_k[1])} tokens at every step, whatever the model's confidence; "
         f"{labels[3]} kept {_span(top_p[1])} and {labels[4]} {_span(min_p[1])}: both adapt to the distribution."),
    ]
    if confident and unsure:
        notes.append(
            f"At the {len(confident)} steps where the top token had p >= 0.9, {labels[3]} kept a median of "
            f"{statistics.median(top_p[1][i] for i in confident):g} tokens and {labels[4]} "
            f"{statistics.median(min_p[1][i] for i in confident):g}; at the {len(unsure)} steps below p = 0.5 they kept "
            f"{statistics.median(top_p[1][i] for i in unsure):g} and {statistics.median(min_p[1][i] for i in unsure):g}."
        )
    grow_p = statistics.mean(hot_top_p[1]) / statistics.mean(top_p[1])
    grow_m = statistics.mean(hot_min_p[1]) / statistics.mean(min_p[1])
    notes.append(
        f"Order matters: temperature is applied before the filters, so at temperature {params['temperature']:g} the same "
        f"top-p {params['top_p']:g} kept a median of {statistics.median(hot_top_p[1]):g} tokens instead of "
        f"{statistics.median(top_p[1]):g} (mean x{grow_p:.2f}, up to {max(hot_top_p[1])}), and min-p {params['min_p']:g} "
        f"kept {statistics.median(hot_min_p[1]):g} instead of {statistics.median(min_p[1]):g} (mean x{grow_m:.2f})."
    )
    if grow_m < grow_p:
        notes.append(
            "min-p's threshold is relative to the top token's probability, which temperature lowers along with the "
            "tail, so it let fewer extra tokens in than top-p's fixed mass target did."
        )
    result = DemoResult("Sampling settings on SmolLM2-135M's next-token distributions")
    result.metric(f"{labels[3]}: median candidates", rows[3][2], "tokens")
    result.metric(f"{labels[5]}: median candidates", rows[5][2], "tokens")
    result.metric("unfiltered mean entropy", rows[0][1], "nats")
    result.table(["setting", "mean entropy (nats)", "median candidates", "fewest candidates", "most candidates"], rows)
    result.chart("Candidate-set size per step", "answer step", "tokens with p > 0",
                 [series(label, steps, per_setting[label][1]) for label in labels[2:]], log_y=True)
    result.chart("Entropy of the distribution sampled from, per step", "answer step", "entropy (nats)",
                 [series(label, steps, per_setting[label][0]) for label in labels])
    return result.note(*notes)


def _span(values: list[int]) -> str:
    low, high = min(values), max(values)
    return f"{low}" if low == high else f"between {low} and {high}"
