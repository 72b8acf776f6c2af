"""Stops after reshaping to [B, T, H, D]: the heads are left on axis 2."""
import torch
from torch import Tensor


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    b, t, c = x.shape
    return x.reshape(b, t, n_heads, c // n_heads)
