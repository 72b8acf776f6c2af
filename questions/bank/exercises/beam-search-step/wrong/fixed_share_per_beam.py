"""Gives every beam an equal share of the next beams (its own best tokens) instead of ranking all K*V candidates together."""
import torch
from torch import Tensor


def beam_step(beam_scores: Tensor, logprobs: Tensor, beam_width: int) -> tuple[Tensor, Tensor, Tensor]:
    k, vocab = logprobs.shape
    share = max(1, -(-beam_width // k))  # ceil(W / K) tokens from each beam
    candidates = beam_scores[:, None] + logprobs
    best, tokens = candidates.topk(min(share, vocab), dim=-1)  # [K, share]
    beams = torch.arange(k)[:, None].expand_as(tokens)
    scores, order = best.reshape(-1).topk(beam_width)
    return scores, beams.reshape(-1)[order], tokens.reshape(-1)[order]
