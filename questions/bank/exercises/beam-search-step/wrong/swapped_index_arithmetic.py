"""Decodes the flat index with the beam count (flat % K, flat // K) instead of the vocabulary size."""
import torch
from torch import Tensor


def beam_step(beam_scores: Tensor, logprobs: Tensor, beam_width: int) -> tuple[Tensor, Tensor, Tensor]:
    k = logprobs.size(0)
    candidates = beam_scores[:, None] + logprobs
    scores, flat = candidates.reshape(-1).topk(beam_width)
    return scores, flat % k, flat // k
