"""One prompt, several decoding rules, on the real SmolLM2-135M: what each rule does to the text.

For every strategy the demo reports the text and three numbers computed from it:

* mean entropy (nats) of the distribution each token was actually drawn from, after the
  penalties, temperature and filters: 0 for greedy, higher = more randomness injected;
* distinct-2: unique bigrams / all bigrams of the output (1.0 = no bigram repeats);
* repetition rate: share of the output's 3-grams that already occurred earlier in it (loops).
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, register, series

STRATEGIES: list[tuple[str, dict[str, Any]]] = [
    ("greedy", {"temperature": 0.0}),
    ("temperature 0.7", {"temperature": 0.7}),
    ("temperature 1.5", {"temperature": 1.5}),
    ("top-k 20", {"top_k": 20}),
    ("top-p 0.9", {"top_p": 0.9}),
    ("min-p 0.1", {"min_p": 0.1}),
    ("greedy + repetition penalty 1.3", {"temperature": 0.0, "repetition_penalty": 1.3}),
    ("temperature 0.8 + frequency 0.5 + presence 0.5",
     {"temperature": 0.8, "frequency_penalty": 0.5, "presence_penalty": 0.5}),
]


def distinct_n(tokens: list[int], n: int) -> float:
    grams = [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return len(set(grams)) / len(grams) if grams else 1.0


def repetition_rate(tokens: list[int], n: int = 3) -> float:
    """Share of n-grams that already appeared earlier in the same sequence."""
    seen, repeats, total = set(), 0, 0
    for i in range(len(tokens) - n + 1):
        gram = tuple(tokens[i : i + n])
        repeats += gram in seen
        total += 1
        seen.add(gram)
    return repeats / total if total else 0.0


def drawn_entropy(model, prompt: list[int], tokens: list[int], params) -> float:
    """Mean entropy of the processed next-token distributions along the generated text (one forward pass)."""
    import torch

    from engine.core.sampling import process_logits

    seq = torch.tensor([prompt + tokens])
    with torch.inference_mode():
        logits = model(seq)[0, len(prompt) - 1 : len(prompt) - 1 + len(tokens)]  # [N, V]: logits that chose each token
        entropies = []
        for i in range(len(tokens)):
            if params.greedy:
                entropies.append(0.0)  # argmax is deterministic: no randomness injected
                continue
            processed = process_logits(logits[i], seq[0, : len(prompt) + i], params)
            probs = processed.softmax(-1)
            logp = torch.where(probs > 0, probs.log(), torch.zeros_like(probs))
            entropies.append(float(-(probs * logp).sum()))
    return sum(entropies) / len(entropies)


@register(
    "sampling_strategies",
    title="Greedy, temperature, top-k, top-p, min-p and penalties on one prompt",
    summary="SmolLM2-135M answers the same prompt under eight decoding rules; entropy, distinct-2 and repetition are measured.",
    params=(
        Param("prompt", str, "Describe a walk through an old forest.", "the user message (the chat template is applied)"),
        Param("max_new_tokens", int, 32, "tokens per strategy", min=4, max=128),
        Param("seed", int, 0, "random seed of the sampled strategies", min=0, max=2**31 - 1),
    ),
    uses_model=True,
)
def sampling_strategies(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from engine.core.generate import generate
    from engine.core.sampling import SamplingParams
    from engine.demos._prompts import chat_ids, clean_prompt
    from engine.io.loader import shared_model

    text = clean_prompt(params["prompt"])
    model, tokenizer = shared_model()
    prompt = chat_ids(tokenizer, text)
    progress(5, "model loaded")
    rows, outputs = [], {}
    for i, (label, settings) in enumerate(STRATEGIES):
        sampling = SamplingParams(seed=params["seed"], **settings)
        result = generate(model, prompt, params["max_new_tokens"], sampling, stop_token_ids=[tokenizer.eos_token_id])
        tokens = result.tokens
        outputs[label] = tokenizer.decode(tokens, skip_special_tokens=True)
        rows.append([
            label, round(drawn_entropy(model, prompt, tokens, sampling), 3), round(distinct_n(tokens, 2), 3),
            round(repetition_rate(tokens), 3), len(tokens), outputs[label],
        ])
        progress(5 + int(90 * (i + 1) / len(STRATEGIES)), label)

    by_label = {row[0]: row for row in rows}
    most_random = max(rows, key=lambda r: r[1])
    most_repetitive = max(rows, key=lambda r: r[3])
    notes = [
        (f"Greedy output: distinct-2 {by_label['greedy'][2]}, repetition rate {by_label['greedy'][3]}; "
        f"with repetition penalty 1.3: distinct-2 {by_label['greedy + repetition penalty 1.3'][2]}, "
        f"repetition rate {by_label['greedy + repetition penalty 1.3'][3]}."),
        (f"The most randomness was injected by '{most_random[0]}' (mean entropy {most_random[1]} nats per token); "
        f"temperature 0.7 drew from {by_label['temperature 0.7'][1]} nats, temperature 1.5 from {by_label['temperature 1.5'][1]}."),
        (f"Filters cut the tail: top-k 20 averaged {by_label['top-k 20'][1]} nats, top-p 0.9 {by_label['top-p 0.9'][1]}, "
        f"min-p 0.1 {by_label['min-p 0.1'][1]}, against {by_label['temperature 1.5'][1]} for unfiltered temperature 1.5."),
        f"Most repetitive: '{most_repetitive[0]}' ({most_repetitive[3]} of its 3-grams repeat an earlier one).",
    ]
    result = DemoResult("Decoding strategies on SmolLM2-135M")
    result.metric("greedy repetition rate", by_label["greedy"][3])
    result.metric("temperature 1.5 entropy", by_label["temperature 1.5"][1], "nats")
    result.table(["strategy", "mean entropy (nats)", "distinct-2", "repetition rate", "tokens", "text"], rows)
    result.chart(
        "Randomness injected vs repetition",
        "mean entropy (nats)",
        "repetition rate",
        [series(row[0], [row[1]], [row[3]]) for row in rows],
    )
    result.note(*notes)
    return result
