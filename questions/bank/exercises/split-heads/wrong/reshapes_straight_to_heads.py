"""Reshapes [B, T, H*D] straight to [B, H, T, D] without a transpose, mixing tokens into heads."""
import torch
from torch import Tensor


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    b, t, c = x.shape
    return x.reshape(b, n_heads, t, c // n_heads)
