"""``python -m engine.bench.serving [--quick] [--write]``: the serving experiments side by side in one run.

``run_serving_bench(quick)`` runs the three experiments of ``engine.experiments.serving`` (memory
waste, continuous vs static batching, speculative decoding); ``--write`` rewrites
``engine/BENCHMARKS_SERVING.md``. ``python -m engine bench`` folds the same section into
``BENCHMARKS.md``.

Timings use one intra-op thread: on a shared 2-core machine a second thread mostly adds
contention noise.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
from pathlib import Path
from typing import Any

from engine.experiments.measure import one_thread
from engine.experiments.serving import (
    ACCOUNTING_TOY,
    CHAT_LENGTHS,
    SERVING_TOY,
    Workload,
    batching_throughput,
    fragmentation_for,
    memory_waste,
    quoting_prompt,
    speculative_speedup,
    toy_model,
)

ENGINE_DIR = Path(__file__).resolve().parents[1]


def run_serving_bench(quick: bool) -> dict[str, Any]:
    """All three serving comparisons in one run (``quick``: fewer requests and tokens)."""
    from engine.environment import describe_environment
    from engine.io.loader import shared_model

    with one_thread():
        memory = memory_waste(toy_model(config=ACCOUNTING_TOY), Workload(n_requests=32))
        # String keys: the result goes through JSON, which would turn int keys into strings anyway.
        memory["by_block_size"] = {str(b): fragmentation_for(memory["live_lengths"], b) for b in (8, 16, 32)}
        # Paged waste is about half a block per live sequence, so it depends on how long sequences are:
        # the same comparison on chat-length requests (means near ShareGPT's, the workload vLLM reports on).
        chat = memory_waste(toy_model(config=ACCOUNTING_TOY), CHAT_LENGTHS)
        memory["chat_lengths"] = {
            "prompt_range": list(CHAT_LENGTHS.prompt_range),
            "output_range": list(CHAT_LENGTHS.output_range),
            "max_len": chat["max_len"],
            "paged_waste": chat["paged_waste"],
            "contiguous_waste": chat["contiguous_waste"],
        }
        model, tokenizer = shared_model()
        workload = Workload(n_requests=16 if quick else 32)
        batching = batching_throughput(toy_model() if quick else model, workload)
        speculative = speculative_speedup(model, quoting_prompt(tokenizer), max_new_tokens=48 if quick else 96, reps=1 if quick else 3)
    for section in (batching,):
        section.pop("per_request", None)
    memory.pop("series", None)
    memory.pop("live_lengths", None)
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "quick": quick,
        "environment": {**describe_environment(), "cpu_threads": 1, "cpu_cores": os.cpu_count()},
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "memory": memory,
        "batching": batching,
        "speculative": {k: v for k, v in speculative.items() if k != "tokens"},
    }


def render_markdown(result: dict[str, Any]) -> str:
    env, mem, bat, spec = result["environment"], result["memory"], result["batching"], result["speculative"]
    machine = (
        f"a {env.get('cpu_cores', '?')}-core {env['cpu']} CPU ({env['cpu_threads']} torch thread), torch {env['torch']}"
        if env["device"] == "cpu" else f"{env['gpu_name']}, torch {env['torch']}"
    )
    s, c = bat["static"], bat["continuous"]
    chat = mem["chat_lengths"]
    seconds = lambda x: f"{x * 1e3:.0f} ms" if x < 10 else f"{x:.0f} s"
    return "\n".join([
        "# Serving benchmarks",
        "",
        (f"Measured {result['date']} on {machine}{' (quick run)' if result['quick'] else ''} by "
        "`python -m engine.bench.serving --write` (`run_serving_bench`). All rows come from one run. "
        f"The machine is shared with other jobs (load average {result.get('load_average_at_end', '?')} at the end), "
        "so absolute speeds are noisy; each comparison's two sides ran back to back under the same load."),
        "",
        "| comparison | baseline | ours | ratio |",
        "|---|---|---|---|",
        f"| KV memory waste, 32 mixed-length requests (block {mem['block_size']}) | contiguous max-length ({mem['max_len']} tokens/request): {mem['contiguous_waste']:.1%} | paged: {mem['paged_waste']:.1%} (block 8: {mem['by_block_size']['8']:.1%}, block 32: {mem['by_block_size']['32']:.1%}) | |",
        (f"| KV memory waste, 32 chat-length requests (prompts {chat['prompt_range'][0]}–{chat['prompt_range'][1]}, "
         f"outputs {chat['output_range'][0]}–{chat['output_range'][1]} tokens; block {mem['block_size']}) | contiguous max-length "
         f"({chat['max_len']} tokens/request): {chat['contiguous_waste']:.1%} | paged: {chat['paged_waste']:.1%} | |"),
        f"| tokens/s, {bat['requests']} requests, outputs {bat['output_range'][0]}–{bat['output_range'][1]} tokens, same KV budget ({bat['kv_budget_tokens']} tokens), model {bat['model']} | static batch of {bat['static_batch']}: {s['tokens_per_s']:.0f} | continuous: {c['tokens_per_s']:.0f} | {bat['speedup']:.2f}x |",
        f"| median TTFT (all requests arrive at once) | static: {seconds(s['ttft_median_s'])} | continuous: {seconds(c['ttft_median_s'])} | |",
        f"| median TPOT | static: {s['tpot_median_s'] * 1e3:.1f} ms | continuous: {c['tpot_median_s'] * 1e3:.1f} ms | |",
        f"| greedy decode on a quoting prompt, {spec['model']}, {spec['new_tokens']} tokens after a {spec['prompt_tokens']}-token prompt | plain: {spec['plain_decode_tokens_per_s']:.1f} tok/s | {spec['drafter']} k={spec['k']}: {spec['speculative_decode_tokens_per_s']:.1f} tok/s | {spec['decode_speedup']:.2f}x (end to end, prefill included: {spec['end_to_end_speedup']:.2f}x) |",
        "",
        f"* Continuous batching: {c['iterations']} iterations, {c['preemptions']} preemptions; outputs identical to static batching: {bat['identical_outputs']}.",
        f"* Speculative: acceptance rate {spec['acceptance_rate']:.0%}, {spec['tokens_per_target_forward']:.2f} tokens per target forward; output identical to plain greedy: {spec['identical_output']}.",
        "",
        "Reading the numbers:",
        "",
        ("* Memory: waste is averaged over every scheduler iteration (empty slots / allocated slots). Paged waste is the "
         "unfilled tail of each sequence's last block, so it scales with block size relative to sequence length; these "
         "sequences are short (about 100 tokens on average), which is why 16-token blocks waste more than 4% and 8-token "
         "blocks less; on chat-length requests (a few hundred tokens each) 16-token blocks waste well under 4%."),
        ("* Batching: the KV budget is what the static batch reserves (batch x (longest prompt + longest answer)). The "
         "continuous batcher fits more requests into the same pool because it allocates blocks only as tokens arrive. "
         + (f"On {bat['model']} a decode step over many rows costs far less than the same rows split over several steps "
            "(the weights are read once per step), so the extra concurrency pays. "
            if bat["model"] != SERVING_TOY.name else
            "On this small toy model a step's cost grows almost linearly with its rows and the per-iteration overhead "
            "(gathering K/V through block tables) is a large share, so only the idle rows of static batches are saved. ")
         + "TPOT rises because each iteration carries more rows and prefill chunks."),
        ("* Speculative: prompt-lookup drafts are free (no model), so the gain is the number of tokens each target pass "
         "confirms; the prompt pass is identical work in both, hence the lower end-to-end ratio. On this CPU a pass "
         "over k + 1 tokens costs noticeably more than over one, so k = 2 beat larger k."),
        "",
    ])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--write", action="store_true", help="rewrite engine/BENCHMARKS_SERVING.md")
    args = parser.parse_args()
    result = run_serving_bench(args.quick)
    print(json.dumps(result, indent=2))
    if args.write:
        (ENGINE_DIR / "BENCHMARKS_SERVING.md").write_text(render_markdown(result), encoding="utf-8")


if __name__ == "__main__":
    main()
