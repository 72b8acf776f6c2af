"""Turning logits into the next token: penalties, temperature, top-k / top-p / min-p, then a draw.

``process_logits`` reproduces HF transformers' logits processors value for value (removed tokens
become exactly -inf) and applies them in the order ``GenerationMixin._get_logits_processor``
builds them:

    repetition penalty -> (frequency / presence penalty) -> temperature -> top-k -> top-p -> min-p

Frequency and presence penalties are the OpenAI-style additive ones (HF has no equivalent); they
sit next to the repetition penalty because all three look at which ids were already seen.
"""
from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import torch


class SamplingError(ValueError):
    """An invalid sampling setting; the message names the field and its allowed range."""


@dataclass(frozen=True)
class SamplingParams:
    temperature: float = 1.0  # 0 = greedy (argmax); >0 divides the logits
    top_k: int = 0  # 0 = off; keep the k most likely tokens
    top_p: float = 1.0  # 1.0 = off; keep the smallest set whose probability reaches top_p
    min_p: float = 0.0  # 0.0 = off; drop tokens less likely than min_p x the top token's probability
    repetition_penalty: float = 1.0  # 1.0 = off; >1 discourages any id already seen (HF/CTRL style)
    frequency_penalty: float = 0.0  # subtract penalty x (times the id was seen)
    presence_penalty: float = 0.0  # subtract penalty once if the id was seen at all
    seed: int | None = None  # fixes the random draws, for reproducible sampling
    stop_token_ids: tuple[int, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        _check_number("temperature", self.temperature, 0.0, 100.0)
        if isinstance(self.top_k, bool) or not isinstance(self.top_k, int) or self.top_k < 0:
            raise SamplingError(f"top_k must be a non-negative integer (0 = off), got {self.top_k!r}")
        _check_number("top_p", self.top_p, 0.0, 1.0, low_open=True)
        _check_number("min_p", self.min_p, 0.0, 1.0)
        _check_number("repetition_penalty", self.repetition_penalty, 0.0, 100.0, low_open=True)
        _check_number("frequency_penalty", self.frequency_penalty, -2.0, 2.0)
        _check_number("presence_penalty", self.presence_penalty, -2.0, 2.0)
        if self.seed is not None and (isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0):
            raise SamplingError(f"seed must be a non-negative integer or None, got {self.seed!r}")
        try:
            ids = tuple(int(t) for t in self.stop_token_ids)
        except (TypeError, ValueError):
            raise SamplingError(f"stop_token_ids must be a list of token ids, got {self.stop_token_ids!r}") from None
        if any(t < 0 for t in ids):
            raise SamplingError(f"stop_token_ids must be non-negative token ids, got {list(ids)}")
        object.__setattr__(self, "stop_token_ids", ids)

    @property
    def greedy(self) -> bool:
        return self.temperature == 0.0

    @property
    def uses_history(self) -> bool:
        return self.repetition_penalty != 1.0 or self.frequency_penalty != 0.0 or self.presence_penalty != 0.0

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> SamplingParams:
        unknown = sorted(set(raw) - set(cls.__dataclass_fields__))
        if unknown:
            raise SamplingError(f"{unknown[0]} is not a sampling setting (known: {', '.join(cls.__dataclass_fields__)})")
        return cls(**raw)


def _check_number(name: str, value: Any, low: float, high: float, low_open: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise SamplingError(f"{name} must be a number, got {value!r}")
    too_low = value <= low if low_open else value < low
    if too_low or value > high:
        bracket = "(" if low_open else "["
        raise SamplingError(f"{name} must be in {bracket}{low:g}, {high:g}], got {value:g}")


def apply_penalties(logits: torch.Tensor, previous_ids: torch.Tensor, params: SamplingParams) -> torch.Tensor:
    """Penalise ids in ``previous_ids`` ([B, N]); logits is [B, V]. Returns a new tensor."""
    if previous_ids.numel() == 0:
        return logits
    if params.repetition_penalty != 1.0:
        # HF/CTRL: divide positive logits, multiply negative ones, so both move towards "less likely".
        seen = torch.gather(logits, 1, previous_ids)
        seen = torch.where(seen < 0, seen * params.repetition_penalty, seen / params.repetition_penalty)
        logits = logits.scatter(1, previous_ids, seen)
    if params.frequency_penalty or params.presence_penalty:
        counts = torch.zeros_like(logits).scatter_add_(1, previous_ids, torch.ones_like(previous_ids, dtype=logits.dtype))
        logits = logits - params.frequency_penalty * counts - params.presence_penalty * (counts > 0).to(logits.dtype)
    return logits


def top_k_filter(logits: torch.Tensor, k: int) -> torch.Tensor:
    """Keep tokens scoring at least the k-th best (ties with it survive, as in HF)."""
    k = min(k, logits.size(-1))
    kth = torch.topk(logits, k)[0][..., -1, None]
    return logits.masked_fill(logits < kth, -math.inf)


def top_p_filter(logits: torch.Tensor, p: float) -> torch.Tensor:
    """Nucleus filter: drop the least likely tokens whose total probability is at most 1 - p.

    Sorting ascending and cutting the low tail (rather than summing from the top) is HF's
    formulation; the most likely token is always kept.
    """
    sorted_logits, sorted_idx = torch.sort(logits, descending=False)
    cumulative = sorted_logits.softmax(dim=-1).cumsum(dim=-1)
    remove_sorted = cumulative <= (1 - p)
    remove_sorted[..., -1:] = False
    remove = remove_sorted.scatter(1, sorted_idx, remove_sorted)
    return logits.masked_fill(remove, -math.inf)


def min_p_filter(logits: torch.Tensor, min_p: float) -> torch.Tensor:
    """Drop tokens whose probability is below min_p x the top token's; the top token always stays."""
    probs = logits.softmax(dim=-1)
    remove = probs < min_p * probs.amax(dim=-1, keepdim=True)
    remove.scatter_(-1, probs.argmax(dim=-1, keepdim=True), False)
    return logits.masked_fill(remove, -math.inf)


def process_logits(logits: torch.Tensor, previous_ids: torch.Tensor | None, params: SamplingParams) -> torch.Tensor:
    """Penalties, temperature and filters, in HF's order. ``logits`` is [B, V] (or [V]).

    With ``temperature == 0`` (greedy) only the penalties apply, as in HF when do_sample=False.
    """
    squeeze = logits.dim() == 1
    if squeeze:
        logits = logits.unsqueeze(0)
        previous_ids = previous_ids.unsqueeze(0) if previous_ids is not None and previous_ids.dim() == 1 else previous_ids
    if previous_ids is not None and params.uses_history:
        logits = apply_penalties(logits, previous_ids.to(logits.device, torch.long), params)
    if not params.greedy:
        if params.temperature != 1.0:
            logits = logits / params.temperature
        if params.top_k:
            logits = top_k_filter(logits, params.top_k)
        if params.top_p < 1.0:
            logits = top_p_filter(logits, params.top_p)
        if params.min_p > 0.0:
            logits = min_p_filter(logits, params.min_p)
    return logits.squeeze(0) if squeeze else logits


def make_generator(params: SamplingParams, device: torch.device | str = "cpu") -> torch.Generator | None:
    """A private generator when a seed is given, so reproducibility does not depend on global RNG state."""
    if params.seed is None:
        return None
    return torch.Generator(device=device).manual_seed(params.seed)


def sample(logits: torch.Tensor, params: SamplingParams, generator: torch.Generator | None = None) -> torch.Tensor:
    """Pick next ids ([B]) from processed logits ([B, V]): argmax when greedy, else a seeded draw."""
    if params.greedy:
        return logits.argmax(dim=-1)
    probs = logits.float().softmax(dim=-1)
    return torch.multinomial(probs, 1, generator=generator).squeeze(-1)


def next_token(
    logits: torch.Tensor,  # [B, V]: the last position's logits
    params: SamplingParams,
    history: torch.Tensor | Sequence[int] | None = None,  # ids seen so far ([B, n] or one row), for penalties
    generator: torch.Generator | None = None,
) -> torch.Tensor:
    """The next ids ([B]): the one rule generation, batching and speculative decoding all follow.

    Plain greedy skips the filters entirely (one argmax per step is the decode loop's hot path);
    ``history`` is only turned into a tensor when a penalty needs it, so callers may pass a list.
    """
    if params.greedy and not params.uses_history:
        return logits.argmax(dim=-1)
    if params.uses_history and history is not None and not isinstance(history, torch.Tensor):
        history = torch.tensor([list(history)], dtype=torch.long, device=logits.device)
    return sample(process_logits(logits, history, params), params, generator)
