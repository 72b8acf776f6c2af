"""Beam search vs greedy vs sampling on the real SmolLM2-135M: likelihood, repetition, cost.

Every strategy answers the same chat prompt. Each output is scored by one forward pass of the
model (sum of the log-probabilities of its tokens, total and per token), and by the same
distinct-2 / repetition measures as the sampling_strategies demo. Beam search is the engine's
(``engine.core.beam_search``, checked against HF ``generate(num_beams=...)``).
"""
from __future__ import annotations

import time
from typing import Any

from engine.demos._prompts import chat_ids, clean_prompt
from engine.demos.registry import DemoResult, Param, ProgressFn, load_demo_model, register, series
from engine.demos.sampling_strategies import distinct_n, repetition_rate


@register(
    "beam_search",
    title="Beam search vs greedy vs sampling: sequence likelihood, repetition and cost",
    summary="SmolLM2-135M answers one prompt greedily, with beam search and by sampling; log-likelihood, distinct-2, "
    "repetition and time per token are measured.",
    params=(
        Param("prompt", str, "Translate to French: The cat sleeps on the warm windowsill.", "the user message (the chat template is applied)"),
        Param("num_beams", int, 3, "beams kept by beam search", min=1, max=8),
        Param("length_penalty", float, 1.0, "beam score = log-likelihood / length ** length_penalty (0 = raw sum)", min=0.0, max=2.0),
        Param("max_new_tokens", int, 16, "tokens per strategy at most", min=4, max=64),
        Param("seed", int, 0, "random seed of the sampled answer", min=0, max=2**31 - 1),
    ),
    uses_model=True,
)
def beam_search_demo(params: dict[str, Any], progress: ProgressFn) -> DemoResult:
    from engine.core.beam_search import beam_search, sequence_logprob
    from engine.experiments.measure import one_thread
    from engine.core.generate import generate
    from engine.core.sampling import SamplingParams

    text = clean_prompt(params["prompt"])
    model, tokenizer = load_demo_model(progress)
    prompt = chat_ids(tokenizer, text)
    eos, n, beams = tokenizer.eos_token_id, params["max_new_tokens"], params["num_beams"]

    def run_sampler(sampling: SamplingParams) -> tuple[list[int], float]:
        result = generate(model, prompt, n, sampling, stop_token_ids=[eos])
        return result.tokens, result.total_s

    def run_beams() -> tuple[list[int], float]:
        start = time.perf_counter()
        result = beam_search(model, prompt, beams, n, length_penalty=params["length_penalty"], eos_token_ids=[eos])
        return list(result.best.tokens), time.perf_counter() - start

    strategies = [
        ("greedy", lambda: run_sampler(SamplingParams(temperature=0.0))),
        (f"beam search ({beams} beams)", run_beams),
        ("sampling (temperature 1.0)", lambda: run_sampler(SamplingParams(temperature=1.0, seed=params["seed"]))),
    ]
    rows = []
    for i, (label, run) in enumerate(strategies):
        with one_thread():  # timed: a second thread mostly adds noise on a shared machine
            tokens, seconds = run()
        logprob = sequence_logprob(model, prompt, tokens)
        rows.append([
            label, len(tokens), round(logprob, 3), round(logprob / len(tokens), 3), round(distinct_n(tokens, 2), 3),
            round(repetition_rate(tokens), 3), round(1e3 * seconds / len(tokens), 1),
            tokenizer.decode(tokens, skip_special_tokens=True),
        ])
        progress(5 + int(90 * (i + 1) / len(strategies)), label)

    greedy, beam, sampled = rows
    notes = [
        (f"Beam search with {beams} beams ended at a total log-likelihood of {beam[2]} nats over {beam[1]} tokens "
         f"({beam[3]} per token); greedy reached {greedy[2]} over {greedy[1]} ({greedy[3]} per token), "
         f"sampling {sampled[2]} over {sampled[1]} ({sampled[3]} per token)."),
        _ranking_note(greedy, beam, params["length_penalty"]),
        (f"Repetition (share of 3-grams seen before): greedy {greedy[5]}, beam {beam[5]}, sampling {sampled[5]}; "
         f"distinct-2: greedy {greedy[4]}, beam {beam[4]}, sampling {sampled[4]}."),
        (f"Cost: {beam[6]} ms per output token for beam search against {greedy[6]} ms for greedy "
         f"({beam[6] / greedy[6]:.1f}x): every step runs {beams} rows through the model and reorders their KV cache."),
    ]
    result = DemoResult(f"Greedy vs beam search ({beams} beams) vs sampling on SmolLM2-135M")
    result.metric("beam log-likelihood", beam[2], "nats")
    result.metric("greedy log-likelihood", greedy[2], "nats")
    result.metric("beam / greedy time per token", round(beam[6] / greedy[6], 2), "x")
    result.table(["strategy", "tokens", "log-likelihood (nats)", "per token (nats)", "distinct-2", "repetition rate",
                  "ms per token", "text"], rows)
    result.chart("Likelihood per token vs cost per token", "ms per output token", "log-likelihood per token (nats)",
                 [series(row[0], [row[6]], [row[3]]) for row in rows])
    result.note(*notes)
    return result.measured_with(torch_threads=1)


def _ranking_note(greedy: list, beam: list, length_penalty: float) -> str:
    """What the comparison shows, in the direction it actually came out."""
    if beam[2] > greedy[2] + 1e-3:
        return (f"Beam search found a sequence {beam[2] - greedy[2]:.3f} nats more likely than greedy's: greedy commits to "
                "the best next token, the beam keeps runners-up that pay off later.")
    if abs(beam[2] - greedy[2]) <= 1e-3 and beam[1] == greedy[1]:
        return "Beam search returned greedy's own answer: no runner-up overtook the greedy path on this prompt."
    return (f"Beam search ranks hypotheses by log-likelihood / length^{length_penalty:g}, not by the raw sum, so it "
            f"returned a {'longer' if beam[1] > greedy[1] else 'different'} answer with a lower total than greedy's "
            f"({beam[2]} vs {greedy[2]} nats) but a per-token average of {beam[3]} vs {greedy[3]}.")
