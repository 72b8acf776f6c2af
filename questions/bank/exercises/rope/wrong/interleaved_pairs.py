"""Rotates adjacent dimensions (2i, 2i+1) together, the GPT-J layout, instead of (i, i + D/2)."""
import torch
from torch import Tensor


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    d = x.shape[-1]
    pair = torch.arange(d // 2, dtype=x.dtype)
    angles = positions.to(x.dtype)[:, None] * base ** (-2.0 * pair / d)
    cos, sin = angles.cos(), angles.sin()
    even, odd = x[..., 0::2], x[..., 1::2]
    out = torch.stack((even * cos - odd * sin, odd * cos + even * sin), dim=-1)
    return out.flatten(-2)
