"""Serving experiments: paged vs contiguous KV memory, continuous vs static batching, speculative decoding.

Each experiment is a plain function that both the demos and ``engine/bench/serving.py`` call, so a
number on a demo page and the same number in ``BENCHMARKS_SERVING.md`` come from one code path.

The memory experiment (and the quick batching run) use a small random-weight model
(``SERVING_TOY``): block accounting does not depend on what the weights say. The full batching
run uses the pretrained SmolLM2-135M, whose decode step is bound by reading 540 MB of weights,
so a step over 32 rows costs far less than 4 steps over 8: the regime continuous batching is for.
Speculative decoding needs real text, so it always runs SmolLM2-135M.
"""
from __future__ import annotations

import math
import random
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engine.core.config import ModelConfig
from engine.core.sampling import SamplingParams
from engine.serving.batching import ContinuousBatcher, GenerationRequest, RequestOutput, static_batch_generate

# Small enough for CPU serving experiments, shaped like a real decoder (GQA, SwiGLU, RoPE).
SERVING_TOY = ModelConfig(
    name="toy-serving-4L-256d", vocab_size=4096, d_model=256, n_layers=4, n_heads=4, n_kv_heads=2, d_ff=768, max_seq_len=2048
)

# Only the scheduler's bookkeeping matters for memory accounting, so the memory experiment runs
# a model small enough that its forward passes cost less than the scheduling itself.
ACCOUNTING_TOY = ModelConfig(
    name="toy-accounting-1L-32d", vocab_size=256, d_model=32, n_layers=1, n_heads=2, n_kv_heads=1, d_ff=64, max_seq_len=4096
)

ProgressFn = Callable[[int, str], None]


def _quiet(percent: int, message: str) -> None:
    pass


@dataclass(frozen=True)
class Workload:
    """A mixed batch of requests: prompt and output lengths drawn uniformly from their ranges."""

    n_requests: int = 32
    prompt_range: tuple[int, int] = (16, 64)
    output_range: tuple[int, int] = (16, 256)
    seed: int = 0

    def requests(self, vocab_size: int) -> list[GenerationRequest]:
        rng = random.Random(self.seed)
        greedy = SamplingParams(temperature=0.0)
        out = []
        for _ in range(self.n_requests):
            prompt = [rng.randrange(vocab_size) for _ in range(rng.randint(*self.prompt_range))]
            out.append(GenerationRequest(prompt, rng.randint(*self.output_range), greedy))
        return out

    @property
    def max_len(self) -> int:
        """What a contiguous cache must reserve per request: the longest prompt plus the longest answer."""
        return self.prompt_range[1] + self.output_range[1]


# Chat-length requests: prompts and answers of a few hundred tokens each.
CHAT_LENGTHS = Workload(n_requests=32, prompt_range=(32, 512), output_range=(32, 512))


def toy_model(seed: int = 0, config: ModelConfig = SERVING_TOY):
    from engine.io.loader import build_model

    return build_model(config, seed=seed)


# ------------------------------------------------------------------------------------ memory waste


def fragmentation_for(lengths_per_step: list[list[int]], block_size: int) -> float:
    """Share of allocated slots left empty if every live sequence held ceil(L / block) blocks."""
    slots = sum(math.ceil(n / block_size) * block_size for lengths in lengths_per_step for n in lengths)
    tokens = sum(n for lengths in lengths_per_step for n in lengths)
    return 1 - tokens / slots if slots else 0.0


def memory_waste(model, workload: Workload, block_size: int = 16, max_num_seqs: int = 32) -> dict[str, Any]:
    """Run the workload through the continuous batcher and compare KV memory held vs memory needed.

    At every iteration: paged waste = empty slots in allocated blocks / allocated slots;
    contiguous waste = the same live requests each holding ``workload.max_len`` preallocated slots.
    Reported as token-weighted averages over the run (sum of empty slots / sum of slots).
    """
    requests = workload.requests(model.config.vocab_size)
    # A pool big enough that nothing waits: memory use is then purely the workload's shape.
    num_blocks = sum(-(-(len(r.prompt) + r.max_new_tokens) // block_size) for r in requests)
    batcher = ContinuousBatcher(model, num_blocks, block_size, max_num_seqs, enable_prefix_cache=False, record_memory=True)
    for request in requests:
        batcher.submit(request)
    batcher.run()
    trace = [s for s in batcher.memory_trace if s.running]
    tokens = sum(s.tokens_stored for s in trace)
    paged_slots = sum(s.blocks_used * block_size for s in trace)
    contiguous_slots = sum(s.running * workload.max_len for s in trace)
    return {
        "block_size": block_size,
        "max_len": workload.max_len,
        "iterations": len(trace),
        "paged_waste": 1 - tokens / paged_slots,
        "contiguous_waste": 1 - tokens / contiguous_slots,
        "series": {
            "iteration": list(range(len(trace))),
            "tokens": [s.tokens_stored for s in trace],
            "paged_slots": [s.blocks_used * block_size for s in trace],
            "contiguous_slots": [s.running * workload.max_len for s in trace],
        },
        "live_lengths": [s.live_lengths for s in trace],
    }


# ------------------------------------------------------------------------- continuous vs static


def _latency_summary(outputs: list[RequestOutput], seconds: float) -> dict[str, float]:
    tokens = sum(len(o.tokens) for o in outputs)
    ttft = [o.ttft_s for o in outputs if o.ttft_s is not None]
    tpot = [o.tpot_s for o in outputs if len(o.tokens) > 1]
    return {
        "seconds": seconds,
        "tokens": tokens,
        "tokens_per_s": tokens / seconds,
        "ttft_median_s": statistics.median(ttft),
        "ttft_p90_s": sorted(ttft)[int(0.9 * (len(ttft) - 1))],
        "tpot_median_s": statistics.median(tpot),
    }


def batching_throughput(
    model, workload: Workload, static_batch: int = 8, block_size: int = 16, progress: ProgressFn = _quiet
) -> dict[str, Any]:
    """Static batching (batch of ``static_batch``, contiguous cache) vs continuous batching given the
    same KV memory: the pool holds exactly what the static batch reserves, ``static_batch x max_len``."""
    requests = workload.requests(model.config.vocab_size)
    budget_tokens = static_batch * workload.max_len
    num_blocks = budget_tokens // block_size
    # Warm-up (first-call allocations, lazy imports) outside the timings.
    static_batch_generate(model, requests[:2], 2)

    progress(5, "static batching")
    start = time.perf_counter()
    static_out = static_batch_generate(model, requests, static_batch)
    static_s = time.perf_counter() - start

    progress(50, "continuous batching")
    batcher = ContinuousBatcher(model, num_blocks, block_size, max_num_seqs=workload.n_requests, enable_prefix_cache=False)
    start = time.perf_counter()
    for request in requests:
        batcher.submit(request)
    continuous_out = batcher.run()
    continuous_s = time.perf_counter() - start
    same = all(a.tokens == b.tokens for a, b in zip(static_out, continuous_out))
    static, continuous = _latency_summary(static_out, static_s), _latency_summary(continuous_out, continuous_s)
    return {
        "model": model.config.name,
        "requests": workload.n_requests,
        "output_range": list(workload.output_range),
        "kv_budget_tokens": budget_tokens,
        "static_batch": static_batch,
        "static": static,
        "continuous": {**continuous, "iterations": batcher.iterations, "preemptions": batcher.preemptions},
        "speedup": continuous["tokens_per_s"] / static["tokens_per_s"],
        "identical_outputs": same,
        "per_request": {
            "output_tokens": [len(o.tokens) for o in continuous_out],
            "static_latency_s": [o.latency_s for o in static_out],
            "continuous_latency_s": [o.latency_s for o in continuous_out],
        },
    }


# -------------------------------------------------------------------------------- speculative


def quoting_prompt(tokenizer) -> list[int]:
    """A chat prompt asking to repeat a passage verbatim: the output quotes the input."""
    from engine.core.quantize import EVAL_TEXT

    passage = " ".join(EVAL_TEXT.split()[:90])
    return tokenizer.encode_chat([{"role": "user", "content": f"Repeat this text exactly, word for word:\n\n{passage}"}])


def speculative_speedup(
    model, prompt: list[int], max_new_tokens: int = 96, k: int = 2, drafter: str = "prompt_lookup", reps: int = 2,
    early_exit_layers: int = 8,
) -> dict[str, Any]:
    """Plain greedy (``engine.generate``) vs speculative greedy on the same prompt; median of ``reps`` runs each."""
    from engine.core.generate import generate
    from engine.serving.speculative import EarlyExitDraft, PromptLookupDraft, speculative_generate

    greedy = SamplingParams(temperature=0.0)

    def make_drafter():
        return PromptLookupDraft() if drafter == "prompt_lookup" else EarlyExitDraft(model, early_exit_layers)

    # Prefill is identical work in both (one pass over the prompt), so the decode phase (after the
    # first token) is compared as well as the end-to-end time.
    plain_total, plain_decode, spec_total, spec_decode = [], [], [], []
    plain = spec = None
    generate(model, prompt[:8], 2, greedy)  # warm-up
    for _ in range(reps):  # interleaved, so a neighbour's burst hits both alike
        plain = generate(model, prompt, max_new_tokens, greedy)
        plain_total.append(plain.total_s)
        plain_decode.append(plain.total_s - plain.ttft_s)
        spec = speculative_generate(model, prompt, max_new_tokens, make_drafter(), k=k, sampling=greedy)
        spec_total.append(spec.total_s)
        spec_decode.append(spec.decode_s)
    median = statistics.median
    decode_tokens = len(spec.tokens) - 1
    return {
        "model": model.config.name,
        "drafter": drafter,
        "k": k,
        "prompt_tokens": len(prompt),
        "new_tokens": len(spec.tokens),
        "plain_s": median(plain_total),
        "speculative_s": median(spec_total),
        "plain_decode_tokens_per_s": decode_tokens / median(plain_decode),
        "speculative_decode_tokens_per_s": decode_tokens / median(spec_decode),
        "decode_speedup": median(plain_decode) / median(spec_decode),
        "end_to_end_speedup": median(plain_total) / median(spec_total),
        "acceptance_rate": spec.acceptance_rate,
        "tokens_per_target_forward": spec.tokens_per_target_forward,
        "target_forwards": spec.target_forwards,
        "identical_output": plain.tokens == spec.tokens,
        "tokens": spec.tokens,
    }
