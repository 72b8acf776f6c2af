import torch
from torch import Tensor


def beam_step(beam_scores: Tensor, logprobs: Tensor, beam_width: int) -> tuple[Tensor, Tensor, Tensor]:
    """Rank every (beam, token) continuation and keep the beam_width best."""
    vocab = logprobs.size(1)
    # Score of a whole sequence: the beam's running total plus the new token's log-probability.
    candidates = beam_scores[:, None] + logprobs  # [K, V]
    # All beams compete: one top-k over the flattened table, sorted best first.
    scores, flat = candidates.reshape(-1).topk(beam_width)
    return scores, flat // vocab, flat % vocab  # row-major: flat = beam * V + token
