"""Walks the history and penalises in place, so an id that occurs n times is penalised n times."""
import torch
from torch import Tensor


def repetition_penalty(logits: Tensor, previous_ids: Tensor, penalty: float) -> Tensor:
    out = logits.clone()
    for b in range(previous_ids.size(0)):
        for v in previous_ids[b].tolist():
            z = out[b, v]
            out[b, v] = z * penalty if z < 0 else z / penalty
    return out
