"""Ranks candidates by the new token's log-probability only, ignoring each beam's running score."""
import torch
from torch import Tensor


def beam_step(beam_scores: Tensor, logprobs: Tensor, beam_width: int) -> tuple[Tensor, Tensor, Tensor]:
    vocab = logprobs.size(1)
    scores, flat = logprobs.reshape(-1).topk(beam_width)
    return scores, flat // vocab, flat % vocab
