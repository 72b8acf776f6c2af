import torch
from torch import Tensor


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """Half-split RoPE: dims i and i + D/2 rotate together by positions * base ** (-2i / D)."""
    d = x.shape[-1]
    half = d // 2
    # Built in x's dtype: at position m the angle's rounding error is about m * eps(dtype).
    pair = torch.arange(half, dtype=x.dtype, device=x.device)
    inv_freq = base ** (-2.0 * pair / d)  # [D/2]
    angles = positions.to(x.dtype)[:, None] * inv_freq[None, :]  # [T, D/2]
    cos, sin = angles.cos(), angles.sin()  # broadcast over [B, H, T, D/2]
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat((x1 * cos - x2 * sin, x2 * cos + x1 * sin), dim=-1)
