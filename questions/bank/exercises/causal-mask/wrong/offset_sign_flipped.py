"""Shifts the diagonal by t - s instead of s - t."""
import torch
from torch import Tensor


def causal_mask(t: int, s: int) -> Tensor:
    return torch.ones(t, s, dtype=torch.bool).tril(diagonal=t - s)
