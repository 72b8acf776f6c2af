"""Exponentiates the raw scores: exp(1000) overflows to inf and inf / inf is NaN."""
import torch
from torch import Tensor


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    weights = torch.exp(x)
    return weights / weights.sum(dim=dim, keepdim=True)
