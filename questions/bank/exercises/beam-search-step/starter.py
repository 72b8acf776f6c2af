import torch
from torch import Tensor


def beam_step(beam_scores: Tensor, logprobs: Tensor, beam_width: int) -> tuple[Tensor, Tensor, Tensor]:
    """Rank every (beam, token) continuation and keep the beam_width best.

    beam_scores: [K] running log-probabilities; logprobs: [K, V] next-token log-probabilities.
    Returns (scores [W], beam_idx [W] int64, token_idx [W] int64), best first.
    """
    raise NotImplementedError
