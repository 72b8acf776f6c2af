"""Prefix caching: requests that share a long system prompt reuse its KV blocks instead of recomputing them.

Every request is ``shared prefix + its own question``. With the prefix cache on, each full block
of the prefix is computed once, indexed by the hash of its tokens (and everything before them),
and later requests point their block tables at it (reference counted); off, every request
prefills the whole prompt and holds its own copy.
"""
from __future__ import annotations

import random
from typing import Any

from engine.demos.registry import DemoResult, Param, ProgressFn, register, series


@register(
    "prefix_sharing",
    title="Prefix caching: a shared system prompt computed once, its KV blocks shared by every request",
    summary="Same requests served with and without the prefix cache: prompt tokens computed, peak KV blocks, "
    "time to first token.",
    params=(
        Param("n_requests", int, 8, "requests sharing the prefix", min=2, max=32),
        Param("prefix_tokens", int, 256, "length of the shared system prompt", min=16, max=1024),
        Param("question_tokens", int, 16, "each request's own tokens after the prefix", min=1, max=128),
        Param("max_new_tokens", int, 8, "answer length", min=1, max=64),
        Param("block_size", int, 16, "tokens per KV block", min=1, max=64),
        Param("samples", int, 4, "parallel samples of one prompt in the forking run", min=2, max=16),
    ),
)
def prefix_sharing(params: dict[str, Any], progress: ProgressFn) -> dict[str, Any]:
    from engine.serving.batching import ContinuousBatcher, GenerationRequest
    from engine.experiments.serving import SERVING_TOY, toy_model
    from engine.experiments.measure import one_thread
    from engine.core.sampling import SamplingParams

    model = toy_model()
    rng = random.Random(0)
    vocab = model.config.vocab_size
    prefix = [rng.randrange(vocab) for _ in range(params["prefix_tokens"])]
    greedy = SamplingParams(temperature=0.0)
    requests = [
        GenerationRequest(prefix + [rng.randrange(vocab) for _ in range(params["question_tokens"])], params["max_new_tokens"], greedy)
        for _ in range(params["n_requests"])
    ]
    block = params["block_size"]
    per_request = -(-(params["prefix_tokens"] + params["question_tokens"] + params["max_new_tokens"]) // block)
    runs = {}
    with one_thread():
        for i, enabled in enumerate((False, True)):
            progress(5 + 45 * i, f"prefix cache {'on' if enabled else 'off'}")
            # A pool that fits every request unshared, so both runs admit the same requests at once.
            batcher = ContinuousBatcher(model, per_request * len(requests), block, enable_prefix_cache=enabled)
            for request in requests:
                batcher.submit(request)
            outputs = batcher.run()
            runs[enabled] = (batcher, outputs)
        progress(90, "parallel samples")
        forked = ContinuousBatcher(model, per_request * params["samples"], block, enable_prefix_cache=False)
        sampled = GenerationRequest(requests[0].prompt, params["max_new_tokens"], SamplingParams(temperature=1.0, seed=0))
        forked.submit_parallel(sampled, params["samples"])
        forked.run()
    (off, off_out), (on, on_out) = runs[False], runs[True]
    same = all(a.tokens == b.tokens for a, b in zip(off_out, on_out))
    ttft = lambda outs: sorted(o.ttft_s for o in outs)[len(outs) // 2] * 1e3
    reused = sum(o.cached_prompt_tokens for o in on_out)
    prompt_total = sum(len(r.prompt) for r in requests)
    rows = [
        ["prompt tokens computed", off.prefill_tokens_computed, on.prefill_tokens_computed],
        ["prompt tokens read from the cache", 0, reused],
        ["peak KV blocks in use", off.peak_blocks_used, on.peak_blocks_used],
        ["median TTFT (ms)", round(ttft(off_out), 1), round(ttft(on_out), 1)],
        ["model forward passes", off.forward_passes, on.forward_passes],
    ]
    hits = [o.cached_prompt_tokens for o in on_out]
    result = DemoResult(f"{params['n_requests']} requests sharing a {params['prefix_tokens']}-token prefix: prefix cache off vs on")
    result.metric("prompt compute saved", round(100 * (1 - on.prefill_tokens_computed / off.prefill_tokens_computed), 1), "%")
    result.metric("peak KV blocks saved", round(100 * (1 - on.peak_blocks_used / off.peak_blocks_used), 1), "%")
    result.metric("prefix-cache block hits", on.cache.prefix_cache.hits, "blocks")
    result.metric("outputs identical", "yes" if same else "no")
    result.metric(f"{params['samples']} parallel samples: peak KV blocks", forked.peak_blocks_used, "blocks")
    result.metric(f"{params['samples']} parallel samples: copies on write", forked.cache.copies_on_write, "blocks")
    result.table(["", "prefix cache off", "prefix cache on"], rows)
    result.chart("Prompt tokens served from the prefix cache, per request", "request (arrival order)", "tokens", [
        series("prompt length", list(range(len(requests))), [len(r.prompt) for r in requests]),
        series("reused from cache", list(range(len(requests))), hits),
    ])
    result.note(
        f"Of {prompt_total} prompt tokens, {reused} came from cached blocks: only full {block}-token blocks are shared, "
            f"so each request reuses {params['prefix_tokens'] // block * block} of the {params['prefix_tokens']} prefix tokens at most.",
        f"{sum(h == 0 for h in hits)} request(s) found nothing cached: a block enters the cache only once its keys and "
            "values are computed, so the first request (and any admitted before its prefill chunk finished) computes the prefix.",
        "Shared blocks are reference-counted: the pool holds one copy however many requests point at it, which is "
            "where the peak-block saving comes from. A block shared through the prefix cache is full and never written, "
            "so it needs no copy-on-write.",
        f"Greedy outputs with and without the cache are identical: {same}.",
        f"Parallel sampling shares even the partly filled last block: {params['samples']} samples of one prompt "
             f"peaked at {forked.peak_blocks_used} blocks where separate copies would need up to "
             f"{params['samples'] * per_request}; {forked.cache.copies_on_write} block(s) were copied on the samples' "
             "first divergent writes.",
    )
    result.measured_with(model=SERVING_TOY.name, timing_threads=1)
    return result
