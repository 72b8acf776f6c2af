"""Compares raw logits with min_p times the largest logit instead of comparing probabilities."""
import torch
from torch import Tensor


def min_p_filter(logits: Tensor, min_p: float) -> Tensor:
    top = logits.amax(dim=-1, keepdim=True)
    return logits.masked_fill(logits < min_p * top, float("-inf"))
