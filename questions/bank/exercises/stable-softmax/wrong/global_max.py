"""Subtracts the maximum of the whole tensor, not of each slice: a slice far below it underflows to 0 / 0."""
import torch
from torch import Tensor


def softmax(x: Tensor, dim: int = -1) -> Tensor:
    weights = torch.exp(x - x.max())
    return weights / weights.sum(dim=dim, keepdim=True)
