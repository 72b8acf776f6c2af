"""Multiplies positive logits and divides negative ones: the rule backwards, so penalty > 1 favours repeats."""
import torch
from torch import Tensor


def repetition_penalty(logits: Tensor, previous_ids: Tensor, penalty: float) -> Tensor:
    seen = torch.gather(logits, 1, previous_ids)
    seen = torch.where(seen > 0, seen * penalty, seen / penalty)
    return logits.scatter(1, previous_ids, seen)
