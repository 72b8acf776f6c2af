"""Rotates token t by angle t * theta (0..T-1), ignoring the positions argument."""
import torch
from torch import Tensor


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    d, t = x.shape[-1], x.shape[-2]
    half = d // 2
    inv_freq = base ** (-2.0 * torch.arange(half, dtype=x.dtype) / d)
    angles = torch.arange(t, dtype=x.dtype)[:, None] * inv_freq[None, :]
    cos, sin = angles.cos(), angles.sin()
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)
