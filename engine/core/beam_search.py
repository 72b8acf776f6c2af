"""Beam search: keep the ``num_beams`` most likely partial sequences instead of one.

Each step, every live beam proposes every vocabulary token; a candidate's score is the beam's
summed log-probability plus the token's. The best ``2 * num_beams`` candidates (more when there
are several EOS ids) are ranked; the best ``num_beams`` that do not end a sequence become the next
beams. A candidate that ends one (an EOS token, or the last allowed step) is *finished*: it is kept
among the ``num_beams`` best finished hypotheses with its length-normalised score

    score = sum of log-probabilities / (generated tokens) ** length_penalty

so ``length_penalty = 0`` compares raw sums (favouring short outputs: every token costs
log-probability), 1 compares per-token averages, and > 1 favours longer outputs further.

The rules (which candidates may finish, when to stop early, how lengths count) follow Hugging Face
``generate(num_beams=..., do_sample=False)`` so the two agree sequence for sequence; the tests check
that on the real weights. The KV cache holds one row per beam: after each step the rows are
gathered with ``index_select`` so row ``i`` holds the history of the beam now in slot ``i``
(two beams may continue the same parent, which then appears twice).
"""
from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass

import torch
import torch.nn.functional as F

from engine.core.generate import check_request, prefill
from engine.core.kv_cache import StaticCache, make_cache
from engine.core.model import Transformer


@dataclass(frozen=True)
class Hypothesis:
    tokens: tuple[int, ...]  # generated ids, the EOS included when the sequence ended with one
    logprob: float  # sum of the tokens' log-probabilities under the model
    score: float  # logprob / len(tokens) ** length_penalty: what the beams are ranked by


@dataclass
class BeamSearchResult:
    hypotheses: list[Hypothesis]  # best first, at most num_beams
    steps: int  # decode steps run (each feeds num_beams tokens)
    total_s: float
    eos_token_ids: tuple[int, ...] = ()
    stopped_early: bool = False  # the finished hypotheses could no longer be beaten

    @property
    def best(self) -> Hypothesis:
        return self.hypotheses[0]

    def finished_by_eos(self, hypothesis: Hypothesis) -> bool:
        return bool(hypothesis.tokens) and hypothesis.tokens[-1] in self.eos_token_ids


def select_beams(cache: StaticCache, rows: torch.Tensor) -> None:
    """Make cache row ``i`` a copy of row ``rows[i]`` (``rows`` may repeat a row or change the batch size).

    The static buffer is ``[layers, 2, B, Hkv, S_max, D]``; gathering along B reorders every layer's
    keys and values at once. This copies the whole buffer, which is why paged engines share blocks
    between beams instead (copy on write).
    """
    if not isinstance(cache, StaticCache):
        raise TypeError(f"beam search reorders a static cache, got {type(cache).__name__}")
    cache.buffer = cache.buffer.index_select(2, rows.to(cache.buffer.device))
    cache.batch = rows.numel()


class _Finished:
    """The ``num_beams`` best finished hypotheses seen so far."""

    def __init__(self, num_beams: int):
        self.num_beams = num_beams
        self.items: list[Hypothesis] = []

    def add(self, hypothesis: Hypothesis) -> None:
        self.items.append(hypothesis)
        # Stable sort: on a tie the earlier hypothesis stays ahead, as in HF's merge.
        self.items.sort(key=lambda h: -h.score)
        del self.items[self.num_beams :]

    @property
    def full(self) -> bool:
        return len(self.items) == self.num_beams

    @property
    def worst(self) -> float:
        return self.items[-1].score if self.full else -math.inf


def _normalise(logprob: float, length: int, length_penalty: float) -> float:
    return logprob / (length**length_penalty)


@torch.inference_mode()
def beam_search(
    model: Transformer,
    prompt_ids: Sequence[int],
    num_beams: int,
    max_new_tokens: int,
    length_penalty: float = 1.0,
    eos_token_ids: Sequence[int] = (),
    early_stopping: bool = False,
) -> BeamSearchResult:
    """Beam search from ``prompt_ids``; returns up to ``num_beams`` finished hypotheses, best first.

    ``early_stopping=True`` stops as soon as ``num_beams`` hypotheses have finished; ``False`` (HF's
    default) stops once the best live beam, normalised at its current length, cannot beat the worst
    finished one. Generation also ends after ``max_new_tokens``: the live beams then finish as they are.
    """
    prompt = [int(t) for t in prompt_ids]
    if not prompt:
        raise ValueError("prompt_ids: the prompt is empty; give at least one token")
    if isinstance(num_beams, bool) or not isinstance(num_beams, int) or num_beams < 1:
        raise ValueError(f"num_beams must be a positive integer, got {num_beams!r}")
    check_request(model, len(prompt), max_new_tokens, "static")
    eos = tuple(int(t) for t in eos_token_ids)
    device = model.device
    # Keep enough candidates that num_beams of them survive even if every EOS id is among the best.
    keep = max(2, 1 + len(eos)) * num_beams

    start = time.perf_counter()
    cache = make_cache("static", model.config, 1, len(prompt) + max_new_tokens, dtype=model.dtype, device=device)
    logits = prefill(model, torch.tensor([prompt], device=device), cache)  # [1, V]: the prompt is run once
    select_beams(cache, torch.zeros(num_beams, dtype=torch.long))  # then every beam starts from its cache
    logits = logits.expand(num_beams, -1)
    # Only beam 0 is real at the start; the others would propose the same tokens again.
    beam_scores = torch.full((num_beams,), -1e9, device=device)
    beam_scores[0] = 0.0
    beam_tokens: list[list[int]] = [[] for _ in range(num_beams)]
    finished = _Finished(num_beams)
    result = BeamSearchResult([], 0, 0.0, eos)

    for step in range(max_new_tokens):
        length = step + 1  # tokens each candidate will have
        last = step == max_new_tokens - 1
        scores = F.log_softmax(logits.float(), dim=-1) + beam_scores[:, None]  # [num_beams, V]
        vocab = scores.shape[-1]
        top_scores, top_ids = scores.view(-1).topk(keep)
        next_rows, next_tokens, next_scores = [], [], []
        can_finish = not (early_stopping and finished.full)
        for rank, (score, flat) in enumerate(zip(top_scores.tolist(), top_ids.tolist())):
            row, token = divmod(flat, vocab)
            if token in eos or last:
                # Only the top num_beams candidates may finish; the rest exist to refill the beams.
                if rank < num_beams and can_finish:
                    tokens = (*beam_tokens[row], token)
                    finished.add(Hypothesis(tokens, score, _normalise(score, length, length_penalty)))
            elif len(next_rows) < num_beams:
                next_rows.append(row)
                next_tokens.append(token)
                next_scores.append(score)
        result.steps = step + 1
        if last:
            break
        # Could a live beam still beat the worst finished one? (HF's heuristic: judge it at its current length.)
        best_possible = _normalise(next_scores[0], length, length_penalty)
        if finished.full and (early_stopping or best_possible <= finished.worst):
            result.stopped_early = True
            break
        beam_tokens = [[*beam_tokens[r], t] for r, t in zip(next_rows, next_tokens)]
        beam_scores = torch.tensor(next_scores, device=device)
        if next_rows != list(range(num_beams)):  # skip the copy when every beam kept its own parent
            select_beams(cache, torch.tensor(next_rows))
        logits = model(torch.tensor(next_tokens, device=device)[:, None], cache=cache)[:, -1]  # [num_beams, V]

    result.hypotheses = list(finished.items)
    result.total_s = time.perf_counter() - start
    return result


@torch.inference_mode()
def sequence_logprob(model: Transformer, prompt_ids: Sequence[int], tokens: Sequence[int]) -> float:
    """Sum of log p(token | everything before it) over ``tokens``, from one forward pass over prompt + tokens."""
    prompt, tokens = [int(t) for t in prompt_ids], [int(t) for t in tokens]
    if not tokens:
        return 0.0
    ids = torch.tensor([prompt + tokens], device=model.device)
    logp = F.log_softmax(model(ids)[0, len(prompt) - 1 : -1].float(), dim=-1)  # [N, V]: the rows that chose each token
    return float(logp.gather(1, torch.tensor(tokens, device=model.device)[:, None]).sum())
