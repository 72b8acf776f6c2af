import torch
from torch import Tensor


def repetition_penalty(logits: Tensor, previous_ids: Tensor, penalty: float) -> Tensor:
    """Penalise every id of each row's history once: positive logits / penalty, negative ones * penalty.

    logits: [B, V] float tensor; previous_ids: [B, L] int64; penalty > 0.
    Returns a new [B, V] tensor of the same dtype.
    """
    raise NotImplementedError
