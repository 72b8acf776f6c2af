import torch
from torch import Tensor


def top_k_filter(logits: Tensor, k: int) -> Tensor:
    """Set every logit below the k-th largest of its row to -inf (ties with it are kept).

    logits: [B, V] float tensor; k: positive int (k >= V keeps everything).
    Returns a new [B, V] tensor of the same dtype.
    """
    raise NotImplementedError
