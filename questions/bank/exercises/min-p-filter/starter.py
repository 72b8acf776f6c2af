import torch
from torch import Tensor


def min_p_filter(logits: Tensor, min_p: float) -> Tensor:
    """Set to -inf every token less likely than min_p times its row's most likely token.

    logits: [B, V] float tensor; 0 <= min_p <= 1.
    Returns a new [B, V] tensor of the same dtype.
    """
    raise NotImplementedError
