import torch
from torch import Tensor


def apply_rope(x: Tensor, positions: Tensor, base: float = 10000.0) -> Tensor:
    """Rotate x by its positions, LLaMA / Hugging Face half-split convention.

    x: [B, H, T, D] float32 or float64, D even. positions: [T] int64 absolute positions.
    Dimension i pairs with i + D/2 and turns by positions[t] * base ** (-2i / D).
    Returns a tensor of x's shape and dtype.
    """
    raise NotImplementedError
