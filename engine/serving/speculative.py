"""Speculative decoding: a cheap drafter guesses k tokens, the target model checks them in one pass.

A decode step of a small model on one sequence is bound by reading the weights, so scoring k + 1
tokens costs about as much as scoring one. Each round:

1. the drafter proposes ``d_1 .. d_k`` (and, if it is a model, the probabilities ``q_i`` it drew them from);
2. the target runs once over ``[last, d_1 .. d_k]``, giving its distributions ``p_0 .. p_k``;
3. drafts are accepted left to right; the first rejection is replaced by a token from the target,
   and if all k survive the target adds one more ("bonus") token from ``p_k``.

Greedy: ``d_i`` is accepted iff it is the target's argmax, so the output is token for token the
target's own greedy output. Sampling: ``d_i`` is accepted with probability ``min(1, p(d_i) / q(d_i))``;
on rejection the replacement is drawn from the residual ``max(0, p - q)`` renormalised. That makes
every emitted token distributed exactly as the target's ``p`` (Leviathan et al. 2023; Chen et al.
2023), whatever the drafter. A deterministic drafter (prompt lookup) has ``q`` = one-hot, so the
rule becomes "accept with probability p(d_i), else sample p with d_i removed".

Drafters:

``PromptLookupDraft``
    No model at all: find the most recent earlier occurrence of the last n tokens and propose what
    followed it. Pays off when the output quotes the input (summaries, code edits, RAG answers).
``EarlyExitDraft``
    Self-speculation: the target's own first ``n_layers`` blocks, then its final norm and LM head.
    No second model to load; cost ~ n_layers / n_layers_total of a target step per draft token.
"""
from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

import torch

from engine.core.generate import check_request
from engine.core.kv_cache import KVCache, make_cache
from engine.core.model import Transformer
from engine.core.sampling import SamplingParams, make_generator, next_token, process_logits

GREEDY = SamplingParams(temperature=0.0)


class Drafter(Protocol):
    def start(self, prompt: Sequence[int], max_len: int) -> None:
        """A new sequence begins with ``prompt`` and will hold at most ``max_len`` tokens."""

    def propose(self, tokens: Sequence[int], k: int, sampling: SamplingParams, generator: torch.Generator | None) -> tuple[list[int], torch.Tensor | None]:
        """Up to ``k`` draft ids after ``tokens``, and the ``[n, V]`` probabilities they were drawn
        from (None: the drafter is deterministic)."""

    def keep(self, n_tokens: int) -> None:
        """Only the first ``n_tokens`` of the sequence are final (roll back anything drafted past them)."""


def target_probs(logits: torch.Tensor, history: torch.Tensor, sampling: SamplingParams) -> torch.Tensor:
    """The distribution the target would sample from at one position: ``[V]`` from ``[V]`` logits."""
    processed = process_logits(logits[None], history[None], sampling)[0]
    return processed.float().softmax(dim=-1)


class PromptLookupDraft:
    """Propose the continuation of the most recent earlier match of the last ``ngram`` tokens.

    Tries the longest n-gram first (``ngram_max`` down to ``ngram_min``): a longer match is a
    stronger hint that the text is being quoted.
    """

    def __init__(self, ngram_max: int = 3, ngram_min: int = 1):
        if not 1 <= ngram_min <= ngram_max:
            raise ValueError(f"ngram sizes must satisfy 1 <= ngram_min <= ngram_max, got {ngram_min}, {ngram_max}")
        self.ngram_max, self.ngram_min = ngram_max, ngram_min

    def start(self, prompt: Sequence[int], max_len: int) -> None:
        pass

    def propose(self, tokens, k, sampling, generator):
        tokens = list(tokens)
        for n in range(min(self.ngram_max, len(tokens) - 1), self.ngram_min - 1, -1):
            suffix = tokens[-n:]
            for start in range(len(tokens) - n - 1, -1, -1):  # most recent match first
                if tokens[start : start + n] == suffix:
                    follow = tokens[start + n : start + n + k]
                    if follow:
                        return follow, None
        return [], None

    def keep(self, n_tokens: int) -> None:
        pass


class EarlyExitDraft:
    """The target's first ``n_layers`` blocks as a draft model, with its own KV cache."""

    def __init__(self, model: Transformer, n_layers: int):
        if not 1 <= n_layers < model.config.n_layers:
            raise ValueError(f"n_layers must be between 1 and {model.config.n_layers - 1} (the target has {model.config.n_layers}), got {n_layers}")
        self.model, self.n_layers = model, n_layers
        self.cache: KVCache | None = None

    def start(self, prompt: Sequence[int], max_len: int) -> None:
        # Only the first n_layers layers are ever written, so the cache is built for just those.
        config = self.model.config.with_(n_layers=self.n_layers)
        self.cache = make_cache("static", config, 1, max_len, dtype=self.model.dtype, device=self.model.device)

    def _logits(self, ids: list[int]) -> torch.Tensor:
        model, cache = self.model, self.cache
        x = model.embed(torch.tensor([ids], device=model.device))
        cos, sin = model.rope.tables(cache.seq_len, len(ids), None)
        for block in model.layers[: self.n_layers]:
            x = block(x, cos, sin, cache, None)
        cache.advance(len(ids))
        return model.lm_head(model.norm(x[:, -1]))[0]  # [V]

    def propose(self, tokens, k, sampling, generator):
        tokens = list(tokens)
        drafts, probs = [], []
        logits = self._logits(tokens[self.cache.seq_len :])  # catch up on what the target accepted
        for i in range(k):
            history = torch.tensor(tokens + drafts, device=logits.device)
            if sampling.greedy:
                token = int(next_token(logits[None], sampling, history[None]))
            else:
                q = target_probs(logits, history, sampling)
                token = int(torch.multinomial(q, 1, generator=generator))
                probs.append(q)
            drafts.append(token)
            if i < k - 1:
                logits = self._logits([token])
        return drafts, (torch.stack(probs) if probs else None)

    def keep(self, n_tokens: int) -> None:
        self.cache.seq_len = min(self.cache.seq_len, n_tokens)


def verify(
    p: torch.Tensor,  # [n + 1, V]: target distributions at the n draft positions and one past them
    drafts: Sequence[int],
    q: torch.Tensor | None,  # [n, V] draft distributions, or None for a deterministic drafter
    generator: torch.Generator | None,
) -> tuple[list[int], int]:
    """Speculative sampling's accept/resample rule. Returns (emitted tokens, drafts accepted).

    Emits between 1 and n + 1 tokens, each distributed exactly as the target's ``p``.
    """
    for i, token in enumerate(drafts):
        q_token = 1.0 if q is None else float(q[i, token])
        ratio = float(p[i, token]) / q_token if q_token > 0 else 0.0
        if float(torch.rand((), generator=generator, device=p.device)) < ratio:
            continue
        residual = p[i].clone()
        if q is None:
            residual[token] = 0.0
        else:
            residual = (residual - q[i]).clamp(min=0.0)
        if float(residual.sum()) <= 0:  # p == q up to rounding: any draw from p is right
            residual = p[i]
        replacement = int(torch.multinomial(residual / residual.sum(), 1, generator=generator))
        return [*drafts[:i], replacement], i
    bonus = int(torch.multinomial(p[len(drafts)], 1, generator=generator))
    return [*drafts, bonus], len(drafts)


@dataclass
class SpeculativeResult:
    tokens: list[int]
    drafted: int  # draft tokens proposed in total
    accepted: int  # of those, accepted by the target
    target_forwards: int  # target passes after the prefill
    total_s: float
    prefill_s: float  # prompt pass + first token (the same work plain decoding does)
    stopped_by: str

    @property
    def decode_s(self) -> float:
        return self.total_s - self.prefill_s

    @property
    def acceptance_rate(self) -> float:
        return self.accepted / self.drafted if self.drafted else 0.0

    @property
    def tokens_per_target_forward(self) -> float:
        return len(self.tokens) / max(1, self.target_forwards + 1)  # the prefill emits the first token


@torch.inference_mode()
def speculative_generate(
    model: Transformer,
    prompt_ids: Sequence[int],
    max_new_tokens: int,
    drafter: Drafter,
    k: int = 4,
    sampling: SamplingParams = GREEDY,
    stop_token_ids: Sequence[int] = (),
) -> SpeculativeResult:
    """Generate like ``engine.generate`` (same tokens when greedy), ``k`` drafts verified per target pass."""
    if isinstance(k, bool) or not isinstance(k, int) or not 1 <= k <= 16:
        raise ValueError(f"k (draft tokens per round) must be an integer between 1 and 16, got {k!r}")
    prompt = [int(t) for t in prompt_ids]
    if not prompt:
        raise ValueError("prompt_ids: the prompt is empty; give at least one token")
    check_request(model, len(prompt), max_new_tokens, "static")
    stops = {int(t) for t in (*stop_token_ids, *sampling.stop_token_ids)}
    device = model.device
    # Room for a full round of drafts past the last token we may keep.
    room = min(model.config.max_seq_len, len(prompt) + max_new_tokens + k + 1)
    cache = make_cache("static", model.config, 1, room, dtype=model.dtype, device=device)
    generator = make_generator(sampling, device)
    drafter.start(prompt, room)
    begin = time.perf_counter()
    tokens = list(prompt)
    generated: list[int] = []
    drafted = accepted = forwards = 0

    logits = model(torch.tensor([prompt], device=device), cache=cache, last_token_only=True)[0]  # [1, V]
    if sampling.greedy:
        generated.append(_greedy(logits[0], tokens, sampling))
    else:
        generated.append(verify(_distributions(logits, tokens, [], sampling), [], None, generator)[0][0])
    tokens.append(generated[-1])
    prefill_s = time.perf_counter() - begin
    stopped_by = "stop_token" if generated[-1] in stops else "max_new_tokens"
    while stopped_by != "stop_token" and len(generated) < max_new_tokens:
        room = max_new_tokens - len(generated) - 1  # the round's target token is always emitted
        drafts, q = drafter.propose(tokens, min(k, room), sampling, generator) if room > 0 else ([], None)
        feed = torch.tensor([[tokens[-1], *drafts]], device=device)
        logits = model(feed, cache=cache)[0]  # [n + 1, V]
        forwards += 1
        if sampling.greedy:
            emitted, n_ok = _greedy_accept(logits, tokens, drafts, sampling)
        else:
            emitted, n_ok = verify(_distributions(logits, tokens, drafts, sampling), drafts, q, generator)
        drafted += len(drafts)
        accepted += n_ok
        for token in emitted:
            generated.append(token)
            tokens.append(token)
            if token in stops:
                stopped_by = "stop_token"
                break
            if len(generated) >= max_new_tokens:
                break
        # The cache holds K/V for everything fed; keep only the verified prefix (all but the newest token).
        cache.seq_len = len(tokens) - 1
        drafter.keep(len(tokens) - 1)
    return SpeculativeResult(generated, drafted, accepted, forwards, time.perf_counter() - begin, prefill_s, stopped_by)


def _history(tokens: list[int], drafts: Sequence[int], i: int, device: torch.device) -> torch.Tensor:
    return torch.tensor([*tokens, *drafts[:i]], device=device)


def _greedy(logits: torch.Tensor, history: list[int], sampling: SamplingParams) -> int:
    """The target's own pick at one position (``[V]`` logits), by the rule ``engine.generate`` uses."""
    return int(next_token(logits[None], sampling, history))


def _greedy_accept(logits: torch.Tensor, tokens: list[int], drafts: Sequence[int], sampling: SamplingParams) -> tuple[list[int], int]:
    """Accept drafts while they equal the target's argmax; then emit the target's own token."""
    emitted = []
    for i in range(len(drafts) + 1):
        best = _greedy(logits[i], [*tokens, *drafts[:i]], sampling)
        emitted.append(best)
        if i == len(drafts) or drafts[i] != best:
            return emitted, i
    raise AssertionError("unreachable")


def _distributions(logits: torch.Tensor, tokens: list[int], drafts: Sequence[int], sampling: SamplingParams) -> torch.Tensor:
    return torch.stack([target_probs(logits[i], _history(tokens, drafts, i, logits.device), sampling) for i in range(len(drafts) + 1)])
