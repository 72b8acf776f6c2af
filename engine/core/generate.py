"""Autoregressive generation as small free functions (prefill, decode_one_token, decode_tokens).

The loop, for one sequence:

1. ``prefill``: run the whole prompt once, filling the KV cache, and keep the last position's
   logits. Its duration is the time to first token (TTFT).
2. ``decode_one_token``: feed the newest token alone (T = 1); attention reads every earlier key
   from the cache. Its average duration is the time per output token (TPOT).

With ``cache="none"`` step 2 instead re-runs the whole sequence so far: the quadratic baseline the
KV cache exists to avoid.

Speed matters here (the decode loop is benchmarked against HF ``generate``): the static cache is
preallocated, token ids live in one preallocated buffer, positions are plain slices of RoPE
tables, and the greedy path is one argmax per step.
"""
from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import TypedDict, Unpack

import torch

from engine.core.kv_cache import CACHE_TYPES, KVCache, make_cache
from engine.core.model import Transformer
from engine.core.sampling import SamplingParams, make_generator, next_token

ProgressFn = Callable[[int, str], None]


class DecodeOptions(TypedDict, total=False):
    """The keyword options of ``stream_generate`` that ``generate`` passes on unchanged.

    One declaration, so the loop's options are spelled once (``stream_generate``'s defaults apply).
    """

    cache: str  # static | dynamic | none | sliding | int8 (see engine.kv_cache)
    stop_token_ids: Sequence[int]
    window: int | None  # the sliding cache's size


@dataclass
class GenerationResult:
    tokens: list[int]  # the new ids only (the prompt is not repeated)
    prompt_tokens: int
    ttft_s: float  # prefill + first sample
    tpot_s: float  # mean seconds per token after the first (0.0 if only one token was made)
    tokens_per_s: float  # decode rate, 1 / tpot (0.0 if only one token was made)
    total_s: float
    cache: str
    cache_bytes: int  # bytes of K/V held at the end
    cache_bytes_reserved: int  # bytes allocated for K/V (static buffers are reserved up front)
    stopped_by: str  # "stop_token" or "max_new_tokens"
    step_times_s: list[float] = field(default_factory=list)  # per decode step, for growth curves


def _as_prompt(prompt_ids: Sequence[int] | torch.Tensor) -> list[int]:
    ids = prompt_ids.flatten().tolist() if isinstance(prompt_ids, torch.Tensor) else [int(i) for i in prompt_ids]
    if not ids:
        raise ValueError("prompt_ids: the prompt is empty; give at least one token")
    return ids


def check_request(model: Transformer, prompt_len: int, max_new_tokens: int, cache: str) -> None:
    """Reject impossible requests with messages that name the field and the allowed range."""
    if cache not in CACHE_TYPES:
        raise ValueError(f"cache: unknown cache type {cache!r}; choose one of {', '.join(CACHE_TYPES)}")
    if isinstance(max_new_tokens, bool) or not isinstance(max_new_tokens, int) or max_new_tokens < 1:
        raise ValueError(f"max_new_tokens must be a positive integer, got {max_new_tokens!r}")
    limit = model.config.max_seq_len
    if prompt_len >= limit:
        raise ValueError(f"prompt_ids: the prompt has {prompt_len} tokens; the model's max_seq_len is {limit}")
    if prompt_len + max_new_tokens > limit:
        raise ValueError(
            f"max_new_tokens must be at most {limit - prompt_len} for a {prompt_len}-token prompt "
            f"(max_seq_len {limit}), got {max_new_tokens}"
        )


def prefill(model: Transformer, ids: torch.Tensor, cache: KVCache) -> torch.Tensor:
    """Run the prompt ([1, T]) through the model; returns the last position's logits ([1, V])."""
    return model(ids, cache=cache, last_token_only=True)[:, -1]


def decode_one_token(model: Transformer, token: torch.Tensor, cache: KVCache) -> torch.Tensor:
    """One new token ([1, 1]) against the cache; returns its logits ([1, V])."""
    return model(token, cache=cache)[:, -1]


def recompute_step(model: Transformer, seq: torch.Tensor) -> torch.Tensor:
    """No cache: the whole sequence so far ([1, n]) again; returns the last logits ([1, V])."""
    return model(seq, last_token_only=True)[:, -1]


@torch.inference_mode()
def stream_generate(
    model: Transformer,
    prompt_ids: Sequence[int] | torch.Tensor,
    max_new_tokens: int,
    sampling: SamplingParams | None = None,  # default: SamplingParams() (temperature 1, no filters)
    cache: str = "static",
    stop_token_ids: Sequence[int] = (),
    window: int | None = None,
    stats: dict | None = None,
) -> Iterator[int]:
    """The generation loop: yields each new id as soon as it is chosen (for streaming text to a user).

    ``stats`` (optional) is filled with timings and cache sizes as the loop runs; ``generate``
    turns it into a GenerationResult.
    """
    sampling = sampling or SamplingParams()
    prompt = _as_prompt(prompt_ids)
    check_request(model, len(prompt), max_new_tokens, cache)
    stops = frozenset(int(t) for t in (*stop_token_ids, *sampling.stop_token_ids))
    device = model.device
    total = len(prompt) + max_new_tokens
    kv = make_cache(cache, model.config, 1, total, dtype=model.dtype, device=device, window=window)
    seq = torch.zeros((1, total), dtype=torch.long, device=device)  # prompt + generated ids, written in place
    seq[0, : len(prompt)] = torch.tensor(prompt, dtype=torch.long)
    generator = make_generator(sampling, device)
    stats = stats if stats is not None else {}
    stats.update(step_times=[], stopped_by="max_new_tokens", cache=kv, cache_type=cache)

    n = len(prompt)
    start = time.perf_counter()
    logits = prefill(model, seq[:, :n], kv)
    for step in range(max_new_tokens):
        token = next_token(logits, sampling, seq[:, :n], generator)
        seq[:, n] = token
        n += 1
        token_id = int(token)  # also the point where asynchronous GPU work has finished
        now = time.perf_counter()
        if step == 0:
            stats["ttft"] = now - start
        else:
            stats["step_times"].append(now - start)
        yield token_id
        if token_id in stops:
            stats["stopped_by"] = "stop_token"
            return
        if step == max_new_tokens - 1:
            return
        start = time.perf_counter()
        if kv.recomputes_prefix:
            logits = recompute_step(model, seq[:, :n])
        else:
            logits = decode_one_token(model, seq[:, n - 1 : n], kv)


def generate(
    model: Transformer,
    prompt_ids: Sequence[int] | torch.Tensor,
    max_new_tokens: int,
    sampling: SamplingParams | None = None,
    *,
    progress: ProgressFn | None = None,
    **options: Unpack[DecodeOptions],
) -> GenerationResult:
    """Generate up to ``max_new_tokens`` ids after ``prompt_ids`` (one sequence) and time it.

    Consumes ``stream_generate`` (``options``: its ``cache``, ``stop_token_ids``, ``window``);
    ``progress(percent, message)`` is called every few tokens.
    """
    stats: dict = {}
    tokens: list[int] = []
    begin = time.perf_counter()
    every = max(1, max_new_tokens // 20)
    for token in stream_generate(model, prompt_ids, max_new_tokens, sampling, stats=stats, **options):
        tokens.append(token)
        if progress is not None and len(tokens) % every == 0:
            progress(min(99, int(100 * len(tokens) / max_new_tokens)), f"{len(tokens)}/{max_new_tokens} tokens")
    total = time.perf_counter() - begin
    steps = stats["step_times"]
    tpot = sum(steps) / len(steps) if steps else 0.0
    kv: KVCache = stats["cache"]
    return GenerationResult(
        tokens=tokens,
        prompt_tokens=len(_as_prompt(prompt_ids)),
        ttft_s=stats["ttft"],
        tpot_s=tpot,
        tokens_per_s=1.0 / tpot if tpot > 0 else 0.0,
        total_s=total,
        cache=stats["cache_type"],
        cache_bytes=kv.bytes_in_use,
        cache_bytes_reserved=kv.bytes_reserved,
        stopped_by=stats["stopped_by"],
        step_times_s=steps,
    )
