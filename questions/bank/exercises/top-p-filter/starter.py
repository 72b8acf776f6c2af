import torch
from torch import Tensor


def top_p_filter(logits: Tensor, p: float) -> Tensor:
    """Keep each row's smallest set of most likely tokens whose probability reaches p; -inf elsewhere.

    logits: [B, V] float tensor; 0 < p <= 1. The most likely token always survives.
    Returns a new [B, V] tensor of the same dtype.
    """
    raise NotImplementedError
