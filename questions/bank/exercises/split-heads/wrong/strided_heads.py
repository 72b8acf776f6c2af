"""Splits the features as (D, H), so head h takes every H-th feature instead of a block of D."""
import torch
from torch import Tensor


def split_heads(x: Tensor, n_heads: int) -> Tensor:
    b, t, c = x.shape
    return x.reshape(b, t, c // n_heads, n_heads).permute(0, 3, 1, 2)
