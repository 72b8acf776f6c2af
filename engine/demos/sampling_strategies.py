"""One prompt, several decoding rules, on the real SmolLM2-135M: what each rule does to the text.

For every strategy the demo reports the text and three numbers computed from it:

* mean entropy (nats) of the distribution each token was actually drawn from, after the
  penalties, temperature and filters: 0 for greedy, higher = more randomness injected;
* distinct-2: unique bigrams / all bigrams of the output (1.0 = no bigram repeats);
* repetition rate: share of the output's 3-grams that already occurred earlier in it (loops).
"""
from __future__ import annotations

from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series

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


def generate_side_by_side(
    model, prompt: list[int], samplings: list, max_new_tokens: int, stop_id: int | None, progress: ProgressFn | None = None
):
    """Every strategy as one row of a single batch; returns each row's tokens and per-token entropies.

    A decode step of this model is bound by reading its weights, so eight rows cost about what one
    does: one batched run instead of eight. Each row draws with its own seeded generator and its own
    history, by the same rule as ``engine.generate`` (``next_token``); the entropy is that of the
    processed distribution the token was drawn from (0 for greedy: argmax injects no randomness).
    """
    import torch

    from engine.core.kv_cache import make_cache
    from engine.core.sampling import make_generator, next_token, process_logits

    rows = len(samplings)
    cache = make_cache("static", model.config, rows, len(prompt) + max_new_tokens, dtype=model.dtype, device=model.device)
    generators = [make_generator(sampling, model.device) for sampling in samplings]
    histories = [list(prompt) for _ in samplings]
    tokens: list[list[int]] = [[] for _ in samplings]
    entropies: list[list[float]] = [[] for _ in samplings]
    done = [False] * rows
    with torch.inference_mode():
        ids = torch.tensor([prompt], device=model.device).expand(rows, -1)
        logits = model(ids, cache=cache, last_token_only=True)[:, -1]  # [rows, V]
        for step in range(max_new_tokens):
            step_ids = torch.zeros((rows, 1), dtype=torch.long, device=model.device)
            for row, sampling in enumerate(samplings):
                if done[row]:
                    continue  # a finished row still rides along in the batch; its output is ignored
                row_logits = logits[row : row + 1]
                token = int(next_token(row_logits, sampling, histories[row], generators[row]))
                if sampling.greedy:
                    entropies[row].append(0.0)
                else:
                    history = torch.tensor([histories[row]], device=model.device)
                    probs = process_logits(row_logits, history, sampling).softmax(-1)
                    logp = torch.where(probs > 0, probs.log(), torch.zeros_like(probs))
                    entropies[row].append(float(-(probs * logp).sum()))
                tokens[row].append(token)
                histories[row].append(token)
                step_ids[row, 0] = token
                done[row] = token == stop_id
            if progress is not None:
                progress(10 + 85 * (step + 1) // max_new_tokens, f"token {step + 1} of {max_new_tokens}")
            if all(done) or step == max_new_tokens - 1:
                break  # the last step's tokens need no logits after them
            logits = model(step_ids, cache=cache)[:, -1]
    return tokens, entropies


@register(
    "sampling_strategies",
    title="Greedy, temperature, top-k, top-p, min-p and penalties on one prompt",
    summary="SmolLM2-135M answers the same prompt under eight decoding rules; entropy, distinct-2 and repetition are measured.",
    params=(
        Param("prompt", str, "Describe a walk through an old forest.", "the user message (the chat template is applied)"),
        Param("max_new_tokens", int, 24, "tokens per strategy", min=4, max=128),
        Param("seed", int, 0, "random seed of the sampled strategies", min=0, max=2**31 - 1),
    ),
    uses_model=True,
)
def sampling_strategies(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from engine.core.sampling import SamplingParams
    from engine.demos._prompts import chat_ids, clean_prompt

    text = clean_prompt(params["prompt"])
    model, tokenizer = load_demo_model(progress)
    prompt = chat_ids(tokenizer, text)
    samplings = [SamplingParams(seed=params["seed"], **settings) for _, settings in STRATEGIES]
    progress(10, f"decoding {len(STRATEGIES)} strategies side by side")
    generated, entropies = generate_side_by_side(
        model, prompt, samplings, params["max_new_tokens"], tokenizer.eos_token_id, progress
    )
    rows = []
    for (label, _), tokens, drawn in zip(STRATEGIES, generated, entropies):
        rows.append([
            label, round(sum(drawn) / len(drawn), 3), round(distinct_n(tokens, 2), 3), round(repetition_rate(tokens), 3),
            len(tokens), tokenizer.decode(tokens, skip_special_tokens=True),
        ])

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
