"""Divides every seen logit by the penalty regardless of sign, so negative logits move up instead of down."""
import torch
from torch import Tensor


def repetition_penalty(logits: Tensor, previous_ids: Tensor, penalty: float) -> Tensor:
    seen = torch.gather(logits, 1, previous_ids)
    return logits.scatter(1, previous_ids, seen / penalty)
